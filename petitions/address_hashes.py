"""Keyed hashes of email addresses: what uniqueness, look-ups and erasure are checked on, never the address itself."""
import functools
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


@functools.lru_cache(maxsize=256)
def petition_key(secret_key, petition_id):
    """The look-up key of one petition: HMAC(lookup key, "petition:<id>")."""
    return hmac.new(lookup_key(secret_key), f"petition:{petition_id}".encode(), hashlib.sha256).digest()


def petition_hash_of(secret_key, petition_id, address_hash):
    """A site-wide ``email_hash`` turned into one petition's own hash.

    Signatures and sign-ons store only this, so the rows of two petitions
    cannot be linked to one person without HASH_KEY. Chained on the site-wide
    hash (not on the address) so that an erasure link, which carries only the
    site-wide hash, and migration 0009, which re-keys existing rows, need no
    address.
    """
    return hmac.new(petition_key(secret_key, petition_id), address_hash.encode(), hashlib.sha256).hexdigest()


def petition_email_hash(secret_key, petition_id, address):
    """HMAC of the normalised address under ``petition_id``'s own key, hex: what uniqueness is checked on."""
    return petition_hash_of(secret_key, petition_id, email_hash(secret_key, address))


def email_domain(address):
    """The domain of an address, normalised as for uniqueness, without a trailing dot: "" if it has none.

    >>> email_domain("Sasha@Example.ORG.")
    'example.org'
    """
    return normalise_email(address).rpartition("@")[2].rstrip(".")


@functools.lru_cache(maxsize=256)
def _domain_key(secret_key, petition_id):
    """The key of one petition's domain hashes: apart from the address look-up key, so neither stands for the other."""
    base = hmac.new(secret_key.encode(), b"petitions.domain-hash.v1", hashlib.sha256).digest()
    return hmac.new(base, f"petition:{petition_id}".encode(), hashlib.sha256).digest()


def petition_domain_hash(secret_key, petition_id, domain):
    """HMAC of an email domain (as ``email_domain`` gives it) under ``petition_id``'s own key, hex.

    What a signature keeps of its address's domain, so a flood from one domain
    can be found and set aside with signer data sealed, and the domains of two
    petitions' signers cannot be compared without HASH_KEY.
    """
    return hmac.new(_domain_key(secret_key, petition_id), domain.encode(), hashlib.sha256).hexdigest()
