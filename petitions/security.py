"""Keyed hashes of personal values, and the HTTP headers every response carries."""
import hashlib
import hmac
import unicodedata


def lookup_key(secret_key):
    """Derive the key for look-up hashes from HASH_KEY (or, if unset, SECRET_KEY).

    This key must never change once signatures exist, or duplicates and
    erasure requests would no longer be recognised; that is why it can be
    set apart from SECRET_KEY, which is rotated.
    """
    return hmac.new(secret_key.encode(), b"petitions.lookup-hash.v1", hashlib.sha256).digest()


def normalise_email(address):
    """The form of an address used for uniqueness: NFC, trimmed, case-folded."""
    return unicodedata.normalize("NFC", address).strip().casefold()


def email_hash(secret_key, address):
    """HMAC-SHA256 of the normalised address, hex: what uniqueness is checked on."""
    return hmac.new(lookup_key(secret_key), normalise_email(address).encode(), hashlib.sha256).hexdigest()


SECURITY_HEADERS = {
    # Nothing is loaded from anywhere but this site: no CDN, fonts or analytics.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "interest-cohort=(), camera=(), microphone=(), geolocation=()",
}


HSTS = "max-age=63072000"


def add_security_headers(response, secure=False):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
