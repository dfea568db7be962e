"""Return paths (VERP): each message's envelope sender names the message, never its recipient.

With BOUNCE_ADDRESS = "bounces@example.org", a message leaves with the SMTP
envelope sender (MAIL FROM, which the receiving server writes as
Return-Path) ``bounces+<token>@example.org``. Bounces come back to that
address, and feedback reports quote it, so the token says which message
failed without anyone parsing a recipient out of a report.

The token is an HMAC of the message's Message-ID under a key derived from
SECRET_KEY: 128 bits, written in lower-case base32 (26 characters), because
mail servers may change the case of a local part. Derived, not random, so a
message sent again after a crash (it keeps its Message-ID) carries the same
token, and nothing has to be written before the server has the message. It
cannot be guessed or forged: a bounce counts only through a ``ReturnPath``
row made when the server accepted the message (``remember``), so a made-up
token changes nothing, and only a message's recipient (and the servers on its
way) ever sees its token.

The row is found by a digest of the token, and holds the recipient's
site-wide address hash sealed (PyNaCl SecretBox) under a key derived from the
token: the token is not stored, so the database alone cannot say which
messages went to one person, which would link their signatures on different
petitions (each petition keys its own address hashes for that reason).
"""
import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox
from sqlalchemy import delete, insert

from ..config import bounce_address_parts
from ..extensions import db
from ..models import EventKind, ReturnPath
from ..models.events import count_event

TOKEN_LENGTH = 26  # 16 bytes of HMAC in base32, without padding
_TOKEN_CHARACTERS = "[a-z2-7]"
_INSERT = insert(ReturnPath.__table__)


@dataclass(frozen=True)
class Sent:
    """What a message leaves behind once the server has it: its petition's count, and what a bounce needs."""

    kind: str
    petition_id: int | None
    token: str | None = None            # None when BOUNCE_ADDRESS is not set: no return path
    address_hash: str | None = None     # the recipient's site-wide keyed hash, sealed when remembered


def _token_key(secret_key):
    return hmac.new(secret_key.encode(), b"petitions.return-path.v1", hashlib.sha256).digest()


def token_for(secret_key, message_id):
    """The return-path token of the message with this Message-ID."""
    digest = hmac.new(_token_key(secret_key), message_id.encode(), hashlib.sha256).digest()[:16]
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def envelope_sender(bounce_address, token):
    """``local+token@domain`` of BOUNCE_ADDRESS."""
    local, domain = bounce_address_parts(bounce_address)
    return f"{local}+{token}@{domain}"


def token_pattern(bounce_address):
    """A regular expression that finds BOUNCE_ADDRESS's return paths in text, the token as its group."""
    local, domain = bounce_address_parts(bounce_address)
    return re.compile(rf"(?<![A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]){re.escape(local)}\+({_TOKEN_CHARACTERS}{{{TOKEN_LENGTH}}})"
                      rf"@{re.escape(domain)}(?![A-Za-z0-9-])", re.IGNORECASE)


def _digest(token):
    return hashlib.blake2b(token.encode("ascii"), digest_size=32, person=b"petitions.rp.id").hexdigest()


def _box(token):
    return SecretBox(hashlib.blake2b(token.encode("ascii"), digest_size=32, person=b"petitions.rp.key").digest())


def prepare(row, address_hash):
    """The ``Sent`` of a claimed outbox row about to go, and its envelope sender (None: MAIL_FROM's)."""
    config = current_app.config
    petition_id = (row.context or {}).get("petition_id")
    if not isinstance(petition_id, int):
        petition_id = None
    if not config.get("BOUNCE_ADDRESS") or not row.message_id:
        return Sent(row.kind, petition_id), None
    token = token_for(config["SECRET_KEY"], row.message_id)
    return Sent(row.kind, petition_id, token, address_hash), envelope_sender(config["BOUNCE_ADDRESS"], token)


def remember(sent, now):
    """The server accepted the message: count it for its petition, and keep what a bounce will need. Flushes.

    Called in the transaction that marks the message sent, once (outbox.record_sent).
    """
    if sent.petition_id is not None:
        count_event(db.session, sent.petition_id, EventKind.MAIL_SENT)
    if sent.token and sent.address_hash:
        db.session.execute(_INSERT, dict(
            token_digest=_digest(sent.token), sealed_address=bytes(_box(sent.token).encrypt(bytes.fromhex(sent.address_hash))),
            petition_id=sent.petition_id, kind=sent.kind, sent_at=now,
        ))


@dataclass
class Returned:
    """A message a report names: its row, and the recipient's address hash opened with the report's token."""

    row: ReturnPath
    address_hash: str


def find(token):
    """The message a token names, or None: unknown, forged, or older than BOUNCE_WINDOW_DAYS."""
    token = token.lower()
    row = db.session.get(ReturnPath, _digest(token))
    if row is None:
        return None
    try:
        opened = _box(token).decrypt(row.sealed_address)
    except CryptoError:  # a digest collision with another token: not this message
        return None
    return Returned(row, opened.hex())


def purge(now, days):
    """Forget return paths of messages sent more than ``days`` ago. Returns how many."""
    return db.session.execute(delete(ReturnPath).where(ReturnPath.sent_at < now - timedelta(days=days))).rowcount
