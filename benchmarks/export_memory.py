"""Delivery exports at 100, 100,000 and 1,000,000 signatures: time and peak memory.

Runs the real `petitions export` command in a child process against a database
filled here with bulk inserts, and prints wall time and the child's peak RSS.

    .venv/bin/python benchmarks/export_memory.py                       # SQLite, temporary file
    .venv/bin/python benchmarks/export_memory.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python benchmarks/export_memory.py --sizes 100,100000 --formats csv
    .venv/bin/python benchmarks/export_memory.py --sealed     # protection on: rows sealed, export unlocks the key

The PostgreSQL database is emptied and refilled; never point this at real data.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

from support import BIN, ROOT

PETITIONS = str(BIN / "petitions")

FILL_SQLITE = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
INSERT INTO signatures (petition_id, email_hash, email, full_name, country, city, language, show_name,
                        public_name, wants_updates, status, confirmation_sends, created_at, confirmed_at)
SELECT :pid, printf('%064x', i), 'signer' || i || '@example.org',
       CASE i % 3 WHEN 0 THEN 'Алесь Бяляцкі ' || i WHEN 1 THEN 'Jürgen Groß ' || i ELSE 'Anna Nowak ' || i END,
       CASE i % 4 WHEN 0 THEN 'BY' WHEN 1 THEN 'DE' WHEN 2 THEN 'PL' ELSE 'RU' END,
       'Minsk', 'be', 0, 'full', 0, 'confirmed', 1,
       datetime('2026-01-01', '+' || (i / 10) || ' seconds'), datetime('2026-01-01', '+' || (i / 10) || ' seconds')
FROM n
"""
FILL_POSTGRES = """
INSERT INTO signatures (petition_id, email_hash, email, full_name, country, city, language, show_name,
                        public_name, wants_updates, status, confirmation_sends, created_at, confirmed_at)
SELECT :pid, lpad(to_hex(i), 64, '0'), 'signer' || i || '@example.org',
       CASE i % 3 WHEN 0 THEN 'Алесь Бяляцкі ' || i WHEN 1 THEN 'Jürgen Groß ' || i ELSE 'Anna Nowak ' || i END,
       (ARRAY['BY','DE','PL','RU'])[i % 4 + 1], 'Minsk', 'be', false, 'full', false, 'confirmed', 1,
       timestamp '2026-01-01' + (i / 10) * interval '1 second', timestamp '2026-01-01' + (i / 10) * interval '1 second'
FROM generate_series(1, :count) AS i
"""


def environment(url, instance):
    return {**os.environ, "PETITIONS_ENV": "testing", "DATABASE_URL": url, "PETITIONS_INSTANCE": instance,
            "SECRET_KEY": "benchmark-secret-key-benchmark-secret-key"}


PASSPHRASE = "benchmark passphrase, long enough"
# One ephemeral key per this many rows: a million rows then name 2,000 keys, as many as
# four web workers make in three weeks of hourly rotation.
ROWS_PER_SEALING_KEY = 500

SEAL = """
    org_id = petition.organisation_id
    from sqlalchemy import select, update
    from petitions import sealing
    from petitions.models import Signature
    private = sealing.create_key(org_id, {passphrase!r})
    db.session.commit()
    last, sealer = 0, None
    while True:
        rows = db.session.execute(select(Signature.id, Signature.email, Signature.full_name, Signature.city)
                                  .where(Signature.id > last).order_by(Signature.id).limit(10000)).all()
        if not rows:
            break
        changes = []
        for i, row in enumerate(rows):
            if i % {per_key} == 0:
                sealer = sealing.job_sealer(org_id)
            key_id, box = sealing.seal(sealer, {{"email": row.email, "full_name": row.full_name, "city": row.city}})
            changes.append({{"id": row.id, "sealing_key_id": key_id, "sealed": box, "email": "", "full_name": "",
                            "city": None}})
        db.session.execute(update(Signature), changes)
        db.session.commit()
        last = rows[-1].id
    # As `petitions keys create` does: the file rewritten, so the rows lie as if they had been signed sealed.
    from petitions.organiser.protection import erase_leftovers
    db.session.remove()
    erase_leftovers(db.engine)
"""


def fill(url, instance, count, sealed=False):
    """Empty the database, create the schema and one petition with ``count`` confirmed signatures.

    ``sealed``: the organisation's protection is on and every row sealed, by many ephemeral keys.
    """
    env = environment(url, instance)
    code = f"""
from sqlalchemy import text
from petitions import create_app
from petitions.extensions import db
from petitions.organiser.services import import_petition
app = create_app()
with app.app_context():
    db.drop_all(); db.create_all()
    data = {{"slug": "bench", "goal": 1000, "primary_language": "en", "organisation": "Bench", "status": "open",
            "translations": {{"en": {{"title": "Benchmark petition", "body": "Text", "demands": ["One"]}},
                              "be": {{"title": "Тэставая петыцыя", "body": "Тэкст", "demands": ["Адно"]}}}}}}
    petition, _ = import_petition(data, app.config["LANGUAGES"])
    sql = {FILL_POSTGRES!r} if db.engine.dialect.name == "postgresql" else {FILL_SQLITE!r}
    db.session.execute(text(sql), {{"pid": petition.id, "count": {count}}})
    db.session.commit()
"""
    if sealed:
        code += SEAL.format(passphrase=PASSPHRASE, per_key=ROWS_PER_SEALING_KEY)
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)


def export(url, instance, fmt, output, passphrase_file=None):
    """Run `petitions export` in a child; return (seconds, peak RSS in MB of that child, output bytes)."""
    started = time.perf_counter()
    args = [PETITIONS, "export", "bench", "--format", fmt, "--lang", "be", "-o", output]
    if passphrase_file:
        args += ["--passphrase-file", passphrase_file]
    child = subprocess.Popen(args, env=environment(url, instance), cwd=ROOT, stderr=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL)
    # wait4 gives this child's own resource usage (RUSAGE_CHILDREN would mix in the fill processes).
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"export failed with {child.returncode}")
    return seconds, usage.ru_maxrss / 1024, os.path.getsize(output)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sizes", default="100,100000,1000000")
    parser.add_argument("--formats", default="csv,pdf")
    parser.add_argument("--sealed", action="store_true", help="seal every row; the export unlocks the key")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
        passphrase_file = None
        if args.sealed:
            kind += " sealed"
            passphrase_file = f"{tmp}/passphrase"
            with open(passphrase_file, "w") as handle:
                handle.write(PASSPHRASE + "\n")
        print(f"{kind}: rows, format, seconds, peak RSS of the export process (MB), file size (MB)")
        for size in [int(s) for s in args.sizes.split(",")]:
            fill(url, tmp, size, args.sealed)
            for fmt in args.formats.split(","):
                seconds, peak, size_bytes = export(url, tmp, fmt, f"{tmp}/out.{fmt}", passphrase_file)
                print(f"{kind:10} {size:>9,} {fmt:4} {seconds:7.2f} s {peak:7.1f} MB {size_bytes / 1e6:8.1f} MB",
                      flush=True)


if __name__ == "__main__":
    main()
