"""The seizure test: someone copies the database, the instance folder and the environment.

Signers sign and confirm through HTTP with distinctive names, addresses and
cities, their mail is delivered, and then every byte an intruder would take
is searched. No address, no city and no full name may appear; only the
names signers chose to show, in the form they chose.
"""
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from petitions.extensions import db
from petitions.mail.worker import deliver_all

from ..helpers import last_confirm_path, sign

SIGNERS = [
    # (full name, email, city, show_name, public form, what may be seen)
    ("Zmitser Kvitneuski", "zmitser.kvitneuski@seizure.example", "Navapolatsk", "y", "initials", "Z. K."),
    ("Ефрасіння Палачанская", "efrasinnia@seizure.example", "Маладзечна", "", "full", None),
    ("Wolfgang Quellenbach", "w.quellenbach@seizure.example", "Quedlinburg", "y", "full", "Wolfgang Quellenbach"),
]


def secrets_of(signers):
    """Every private value, as the bytes it could be stored as (UTF-8 and, for SQLite's UTF-16, too)."""
    values = []
    for name, email, city, _show, _form, public in signers:
        values += [email, email.split("@")[0], city]
        if public != name:
            values.append(name)
    found = []
    for value in values:
        found += [value.encode("utf-8"), value.encode("utf-16-le")]
    return found


def seized_bytes(app, database_url):
    """The database's files (or a pg_dump), everything in the instance folder, and the environment."""
    chunks = []
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-journal"):
            path = Path(url.database + suffix)
            if path.exists():
                chunks.append(path.read_bytes())
    else:
        dump = subprocess.run(
            ["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
             url.database], capture_output=True, check=True, env={**os.environ, "PGPASSWORD": url.password or ""})
        chunks.append(dump.stdout)
    instance = Path(app.config["INSTANCE_DIR"])
    if instance.exists():
        chunks += [p.read_bytes() for p in instance.rglob("*") if p.is_file()]
    chunks.append("\n".join(f"{k}={v}" for k, v in os.environ.items()).encode("utf-8"))
    return b"\n".join(chunks)


def sign_and_confirm_everyone(client, signers):
    for name, email, city, show, form, _public in signers:
        response = sign(client, full_name=name, email=email, city=city, country="BY", show_name=show, public_name=form)
        assert response.status_code in (200, 302, 303)
    paths = [last_confirm_path(email) for _n, email, *_ in signers]
    assert deliver_all() == (len(signers), 0)
    for path in paths:
        assert client.get(path).status_code == 200
    db.session.remove()


def assert_nothing_private_in(seized, signers):
    leaked = [value for value in secrets_of(signers) if value in seized]
    assert not leaked, f"found in the seized bytes: {leaked}"
    for *_rest, public in signers:
        if public:
            assert public.encode("utf-8") in seized, f"the chosen public name {public!r} should be there"


@pytest.mark.commits
def test_a_seized_server_reveals_no_signer_of_a_protected_organisation(app, client, database_url, protected_petition):
    sign_and_confirm_everyone(client, SIGNERS)
    assert_nothing_private_in(seized_bytes(app, database_url), SIGNERS)


@pytest.mark.commits
def test_turning_protection_on_leaves_no_plaintext_of_existing_signers(app, client, runner, database_url, petition,
                                                                       tmp_path):
    sign_and_confirm_everyone(client, SIGNERS)
    seized = seized_bytes(app, database_url)
    assert b"Navapolatsk" in seized  # not protected yet: the test can see what it looks for
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("seven wild ravens over the marsh\n")
    result = runner.invoke(args=["keys", "create", "--organisation", "Test Rights Group",
                                 "--passphrase-file", str(passphrase), "--recovery-file", str(tmp_path / "kit")])
    assert result.exit_code == 0, result.output
    assert_nothing_private_in(seized_bytes(app, database_url), SIGNERS)


@pytest.mark.commits
def test_the_seizure_search_would_find_an_unprotected_signer(app, client, database_url, petition):
    """The search itself works: without protection the same values are found."""
    sign_and_confirm_everyone(client, SIGNERS)
    seized = seized_bytes(app, database_url)
    assert b"w.quellenbach@seizure.example" in seized and "Маладзечна".encode() in seized
