"""Defects found reviewing the session's work (mail bytes, configuration, tallies), each pinned by a test."""
import secrets
from email import policy
from email.parser import BytesParser

import pytest

from sqlalchemy import select

from petitions.config import ConfigError, load
from petitions.extensions import db
from petitions.mail.compose import compose


def _part_lines(data, encoding):
    """The encoded lines of the body part sent with ``encoding``."""
    head = f"Content-Transfer-Encoding: {encoding}\r\n\r\n".encode("ascii")
    assert head in data
    body = data.split(head, 1)[1].split(b"\r\n--=_", 1)[0]
    return body.split(b"\r\n")


@pytest.mark.parametrize("trailing", [" ", "\t"])
def test_quoted_printable_lines_keep_to_76_characters(trailing):
    # RFC 2045, 6.7: an encoded line is at most 76 characters. binascii.b2a_qp writes 77 when a line's
    # last character is whitespace it must encode (=20, =09) right where it wraps.
    text = "a" * 74 + trailing + "\nGrüße aus Köln\n"
    outgoing = compose("p@example.org", "a@example.org", "Hi", text, "<p>x</p>\n", "<r6.1@example.org>")
    encoding = "quoted-printable" if b"quoted-printable" in outgoing.data else "base64"
    assert max(len(line) for line in _part_lines(outgoing.data, encoding)) <= 76
    message = BytesParser(policy=policy.default).parsebytes(outgoing.data)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text


def _production(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.sqlite'}")
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    monkeypatch.delenv("HASH_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load("production")


def test_production_refuses_the_test_suite_s_sealing_kdf(monkeypatch, tmp_path):
    # The minimum Argon2id cost lets someone who seized the database try passphrases by the million;
    # PASSWORD_HASH_PROFILE=cheapest is refused for the same reason.
    with pytest.raises(ConfigError, match="SEALING_KDF_PROFILE"):
        _production(monkeypatch, tmp_path, SEALING_KDF_PROFILE="cheapest")
    assert _production(monkeypatch, tmp_path, SEALING_KDF_PROFILE="interactive")["SEALING_KDF_PROFILE"] == "interactive"


def test_erasure_deletes_in_petition_order_so_concurrent_writers_never_deadlock(app, client, make_petition):
    # The tally triggers lock (petition, dimension, key, shard) rows in that order within a statement. A
    # transaction that deletes one signature per petition over several statements must visit the petitions
    # in the same order, or two erasures (or an erasure and the purge) can each hold what the other waits
    # for: on PostgreSQL, 11 of 600 three-signature transactions in random order deadlocked, none in order.
    from sqlalchemy import event

    from petitions import erasure
    from petitions.address_hashes import email_hash
    from petitions.models import Signature

    from .helpers import sign

    petitions = [make_petition(slug=f"p{n}") for n in range(6)]
    for petition in reversed(petitions):  # later petitions get lower signature ids, and the hashes fall as they may
        sign(client, slug=petition.slug, email="both@example.org")
    petition_of = dict(db.session.execute(select(Signature.id, Signature.petition_id)).all())
    assert sorted(petition_of.values()) == sorted(p.id for p in petitions)
    deleted = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM SIGNATURES"):
            values = parameters.values() if isinstance(parameters, dict) else parameters
            deleted.extend(petition_of[v] for v in values if isinstance(v, int) and v in petition_of)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert erasure.erase_everything(email_hash(app.config["HASH_KEY"], "both@example.org")) == 6
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert deleted and deleted == sorted(deleted)
