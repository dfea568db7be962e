"""What the benchmark scripts share: where things are, a free port, a fresh database, the demo petition."""
import re
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
DEMO = ROOT / "petitions" / "demo" / "petition.json"
SLUG = "letters-behind-bars"  # the demo petition's
DEMO_ORGANISATION = "Letters Behind Bars"  # and its organisation
# The sign form's hidden "served at" stamp, which a submission must carry back.
STAMP_RE = re.compile(r'name="served"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="served"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served_stamp(html):
    match = STAMP_RE.search(html)
    return match.group(1) or match.group(2)


def recreate_postgres(url, name):
    """Drop and create the database ``name`` on the server of ``url``; return its URL. Never point at real data."""
    import psycopg

    base = url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def migrate_and_load_demo(env=None):
    """`petitions db upgrade` and import the demo petition, with ``env`` (default: this process's)."""
    for command in (["db", "upgrade"], ["petition", "import", str(DEMO)]):
        subprocess.run([str(BIN / "petitions"), *command], env=env, cwd=ROOT, check=True, capture_output=True)
