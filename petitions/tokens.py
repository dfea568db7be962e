"""Signed, expiring tokens for links in emails.

Wraps itsdangerous so callers see domain errors, not library ones, and so
each purpose has its own salt: a token made for one purpose never works for
another.
"""
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenError(Exception):
    """A token that cannot be used."""


class TokenInvalid(TokenError):
    """The token was tampered with, truncated, or made for another purpose."""


class TokenExpired(TokenError):
    """The token is genuine but older than allowed; ``payload`` says what it was for."""

    def __init__(self, payload):
        super().__init__("token expired")
        self.payload = payload


class TokenService:
    """Makes and reads tokens for one purpose."""

    def __init__(self, secret_key, purpose, max_age):
        self._serializer = URLSafeTimedSerializer(secret_key, salt=f"petitions.{purpose}")
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


def confirmation_tokens(app):
    """The token service for signature-confirmation links."""
    return TokenService(app.config["SECRET_KEY"], "confirm-signature", app.config["CONFIRM_TOKEN_MAX_AGE"])
