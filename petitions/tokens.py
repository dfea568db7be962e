"""Signed, expiring tokens for links in emails.

Wraps itsdangerous so callers see domain errors, not library ones, and so
each purpose has its own salt: a token made for one purpose never works for
another.
"""
import time
from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer


class TokenError(Exception):
    """A token that cannot be used."""


class TokenInvalid(TokenError):
    """The token was tampered with, truncated, or made for another purpose."""


class TokenExpired(TokenError):
    """The token is genuine but older than allowed; ``payload`` says what it was for."""

    def __init__(self, payload):
        super().__init__("token expired")
        self.payload = payload


@lru_cache(maxsize=64)
def _serializer(kind, keys, salt):
    # A serializer holds only its keys and salt, so one serves every request that asks for the same ones.
    # Building them anew (a press reads a token and a stamp) was 2% of a confirmation's instructions.
    return kind(list(keys), salt=salt)


class TokenService:
    """Makes and reads tokens for one purpose."""

    def __init__(self, secret_keys, purpose, max_age):
        # A list of keys, newest last: tokens made before a key rotation still work.
        self._serializer = _serializer(URLSafeTimedSerializer, tuple(secret_keys), f"petitions.{purpose}")
        self.max_age = max_age

    def make(self, payload):
        return self._serializer.dumps(payload)

    def read(self, token, max_age=None):
        """Return the payload, or raise TokenInvalid / TokenExpired."""
        try:
            return self._serializer.loads(token, max_age=self.max_age if max_age is None else max_age)
        except SignatureExpired as exc:
            # The signature was checked before the age, so the payload is genuine.
            return self._raise_expired(exc)
        except (BadSignature, UnicodeError, ValueError) as exc:
            raise TokenInvalid(str(exc)) from exc

    def _raise_expired(self, exc):
        try:
            payload = self._serializer.load_payload(exc.payload)
        except BadSignature as inner:
            raise TokenInvalid(str(inner)) from inner
        raise TokenExpired(payload) from exc


def signing_keys(app):
    """SECRET_KEY_FALLBACKS (oldest first) then SECRET_KEY: verify with all, sign with the last."""
    return [*app.config.get("SECRET_KEY_FALLBACKS", []), app.config["SECRET_KEY"]]


def confirmation_tokens(app):
    """Tokens in confirmation links: they confirm one signature."""
    return TokenService(signing_keys(app), "confirm-signature", app.config["CONFIRM_TOKEN_MAX_AGE"])


def withdrawal_tokens(app):
    """Tokens in every signer email: they withdraw one signature."""
    return TokenService(signing_keys(app), "withdraw-signature", app.config["WITHDRAW_TOKEN_MAX_AGE"])


def erasure_tokens(app):
    """Tokens in erasure emails: they erase everything stored about one address."""
    return TokenService(signing_keys(app), "erase-signer", app.config["ERASE_TOKEN_MAX_AGE"])


def cosign_tokens(app):
    """Tokens in co-signing emails: they confirm one sign-on to an open letter."""
    return TokenService(signing_keys(app), "confirm-cosign", app.config["CONFIRM_TOKEN_MAX_AGE"])


def cosign_withdrawal_tokens(app):
    """Tokens in every co-signing email: they withdraw one sign-on to an open letter."""
    return TokenService(signing_keys(app), "withdraw-cosign", app.config["WITHDRAW_TOKEN_MAX_AGE"])


def invitation_tokens(app):
    """Tokens in invitation emails: they let one address join one organisation."""
    return TokenService(signing_keys(app), "invitation", app.config["INVITE_TOKEN_MAX_AGE"])


def password_reset_tokens(app):
    """Tokens in password-reset emails: they set a new password for one account, once.

    The payload binds a digest of the password hash the account had when the link was made
    (see accounts.services), so the link stops working as soon as the password changes.
    """
    return TokenService(signing_keys(app), "password-reset", app.config["PASSWORD_RESET_MAX_AGE"])


def unsubscribe_tokens(app):
    """Tokens in update emails: they stop updates to one signature."""
    return TokenService(signing_keys(app), "unsubscribe", app.config["UNSUBSCRIBE_TOKEN_MAX_AGE"])


class FormStamp:
    """A signed "this form was served at" time, to spot forms filled faster than a person can."""

    def __init__(self, app):
        self._serializer = _serializer(URLSafeSerializer, tuple(signing_keys(app)), "petitions.form-served-at")

    def make(self, at=None):
        # Milliseconds: with whole seconds, a press 0.1 s after the page was served could read as a
        # second old when the clock ticked over in between, and pass a one-second minimum.
        return self._serializer.dumps(int((at if at is not None else time.time()) * 1000))

    def age(self, stamp, now=None):
        """Seconds since the form was served, or None if the stamp is missing or forged."""
        try:
            served = self._serializer.loads(stamp or "")
        except (BadSignature, UnicodeError, ValueError):
            return None
        if not isinstance(served, int):
            return None
        # Stamps made before they carried milliseconds hold whole seconds (far below 10**11).
        served_at = served / 1000 if served > 10**11 else served
        return (now if now is not None else time.time()) - served_at
