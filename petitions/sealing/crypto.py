"""The cryptography of sealed signer data, and the only module that imports PyNaCl.

- An organisation has an X25519 key pair. The server keeps its public half;
  the private half exists only wrapped (SecretBox under an Argon2id key from
  a passphrase) and in the owner's recovery kit.
- Each process seals with an ephemeral X25519 key pair of its own that lives
  only in memory (``Sealer``). ``Box(ephemeral private, organisation public)``
  precomputes one shared key, so sealing a record costs one symmetric
  XSalsa20-Poly1305 encryption; the row stores which ephemeral public key it
  used. Opening needs ``Box(organisation private, ephemeral public)``: one key
  agreement per ephemeral key, then symmetric decryption per row. Nothing at
  rest opens a row without the organisation's private key.
"""
import base64
import hashlib
import hmac
import json
import re

import nacl.bindings
import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.utils

KEY_BYTES = nacl.public.PrivateKey.SIZE
NONCE_BYTES = nacl.public.Box.NONCE_SIZE
MIN_PASSPHRASE_LENGTH = 12

# Argon2id cost of a passphrase wrap, by profile name. "moderate" is libsodium's
# recommendation for keys that protect data at rest; tests use the cheapest.
KDF_PROFILES = {
    "sensitive": (nacl.pwhash.argon2id.OPSLIMIT_SENSITIVE, nacl.pwhash.argon2id.MEMLIMIT_SENSITIVE),
    "moderate": (nacl.pwhash.argon2id.OPSLIMIT_MODERATE, nacl.pwhash.argon2id.MEMLIMIT_MODERATE),
    "interactive": (nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE, nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE),
    "cheapest": (nacl.pwhash.argon2id.OPSLIMIT_MIN, nacl.pwhash.argon2id.MEMLIMIT_MIN),
}


class WrongKey(Exception):
    """The passphrase or recovery kit does not open this organisation's key."""


class BadRecoveryKit(WrongKey):
    """The text given as a recovery kit holds no readable key."""


class SealedDataError(Exception):
    """A sealed value could not be opened: it was altered, or sealed to another key."""


def new_key_pair():
    """(private bytes, public bytes) of a fresh organisation key."""
    private = nacl.public.PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def public_of(private_bytes):
    return bytes(nacl.public.PrivateKey(private_bytes).public_key)


def fingerprint(public_bytes):
    """BLAKE2b-128 of the public key, hex in groups of four: read aloud or compared by another channel."""
    digest = hashlib.blake2b(public_bytes, digest_size=16).hexdigest()
    return " ".join(digest[i:i + 4] for i in range(0, len(digest), 4))


# --- wrapping the private key under a passphrase --------------------------------

def wrap(private_bytes, passphrase, profile="moderate"):
    """The private key sealed under an Argon2id key from ``passphrase``: a dict of what to store."""
    opslimit, memlimit = KDF_PROFILES[profile]
    salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
    box = nacl.secret.SecretBox(_kdf(passphrase, salt, opslimit, memlimit))
    return {"salt": salt, "opslimit": opslimit, "memlimit": memlimit, "wrapped": bytes(box.encrypt(private_bytes))}


def unwrap(salt, opslimit, memlimit, wrapped, passphrase):
    """The private key bytes, or WrongKey if the passphrase does not open the wrap."""
    box = nacl.secret.SecretBox(_kdf(passphrase, salt, opslimit, memlimit))
    try:
        return box.decrypt(wrapped)
    except nacl.exceptions.CryptoError:
        raise WrongKey("the passphrase does not open this key") from None


def _kdf(passphrase, salt, opslimit, memlimit):
    return nacl.pwhash.argon2id.kdf(
        nacl.secret.SecretBox.KEY_SIZE, passphrase.encode("utf-8"), salt, opslimit=opslimit, memlimit=memlimit,
    )


# --- the recovery kit ------------------------------------------------------------

KIT_BEGIN = "-----BEGIN PETITIONS ORGANISATION KEY-----"
KIT_END = "-----END PETITIONS ORGANISATION KEY-----"


def recovery_kit(organisation_name, private_bytes, created_on):
    """The text of a recovery kit: instructions, the fingerprint and the private key with a checksum."""
    key = base64.b64encode(private_bytes + _checksum(private_bytes)).decode("ascii")
    return "\n".join([
        "PETITIONS RECOVERY KIT",
        "",
        f"Organisation: {organisation_name}",
        f"Fingerprint:  {fingerprint(public_of(private_bytes))}",
        f"Created:      {created_on}",
        "",
        "This file opens every signer's name, email address and city that this",
        "organisation's petitions and letters keep. Anyone who has it can read them.",
        "",
        "- Print it, or copy it to a USB stick, and keep it away from the server and",
        "  from the office: somewhere a raid would not reach. Then delete this file",
        "  from the computer it was downloaded to.",
        "- If both the passphrase and this kit are lost, the sealed data is lost for good:",
        "  nobody, not even the site's operator, can open it.",
        "- To export with it: petitions export SLUG --recovery-file THIS_FILE -o OUT",
        "- Check that the fingerprint above matches the one the site shows.",
        "",
        KIT_BEGIN,
        key,
        KIT_END,
        "",
    ])


def _checksum(private_bytes):
    return hashlib.blake2b(private_bytes, digest_size=4, person=b"petitions-kit").digest()


def read_recovery_kit(text):
    """The private key bytes a recovery kit holds. Raises BadRecoveryKit if it is damaged or not a kit."""
    match = re.search(re.escape(KIT_BEGIN) + r"\s*([A-Za-z0-9+/=\s]+?)\s*" + re.escape(KIT_END), text or "")
    if not match:
        raise BadRecoveryKit("no key found in the recovery kit")
    try:
        raw = base64.b64decode("".join(match.group(1).split()), validate=True)
    except ValueError:
        raise BadRecoveryKit("the key in the recovery kit is damaged") from None
    private_bytes, checksum = raw[:KEY_BYTES], raw[KEY_BYTES:]
    if len(private_bytes) != KEY_BYTES or not hmac.compare_digest(checksum, _checksum(private_bytes)):
        raise BadRecoveryKit("the key in the recovery kit is damaged")
    return private_bytes


# --- sealing and opening records ---------------------------------------------------

# A record's plaintext: keys and values alternating, separated by NUL, with None as SOH. Names and
# addresses never contain either (the forms drop control characters); a record that does is
# written as JSON instead, which starts with "{". Splitting costs a sixth of json.loads, and an
# export splits a million of them.
_SEP, _NONE = "\x00", "\x01"


def _plain(text):
    return isinstance(text, str) and _SEP not in text and _NONE not in text


def encode_record(values):
    """A dict of strings (or None) as the bytes that are sealed."""
    if not all(_plain(key) and not key.startswith("{") and (value is None or _plain(value))
               for key, value in values.items()):
        return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    flat = []
    for key, value in values.items():
        flat += [key, _NONE if value is None else value]
    return _SEP.join(flat).encode("utf-8")


def decode_record(plaintext):
    """The dict ``encode_record`` was given."""
    if plaintext[:1] == b"{":
        return json.loads(plaintext)
    if not plaintext:
        return {}
    parts = plaintext.decode("utf-8").split(_SEP)
    return {key: None if value == _NONE else value for key, value in zip(parts[::2], parts[1::2], strict=True)}


class EphemeralSealer:
    """One process's ephemeral key pair towards one organisation's public key.

    The private half lives only in this object's memory; the shared key is
    computed once, so each record is one symmetric encryption.
    """

    def __init__(self, organisation_public):
        private = nacl.public.PrivateKey.generate()
        self.public_key = bytes(private.public_key)
        self._box = nacl.public.Box(private, nacl.public.PublicKey(organisation_public))

    def seal(self, values):
        """A dict of strings as nonce + XSalsa20-Poly1305 ciphertext (a random nonce each time)."""
        return bytes(self._box.encrypt(encode_record(values)))


class Opener:
    """The organisation's private key, for one job: opens rows sealed by any of its ephemeral keys.

    Holds one precomputed Box per ephemeral public key. ``close()`` drops them
    and the private key; the caller never keeps an Opener beyond its job.
    """

    def __init__(self, private_bytes):
        self._private = nacl.public.PrivateKey(private_bytes)
        self._boxes = {}
        self.public_key = bytes(self._private.public_key)

    def add_sealing_key(self, key_id, ephemeral_public):
        # The precomputed shared key of Box(organisation private, ephemeral public): opening a
        # row is then crypto_box_open_afternm alone, without Box's per-call wrapping.
        self._boxes[key_id] = nacl.public.Box(self._private, nacl.public.PublicKey(ephemeral_public)).shared_key()

    def knows(self, key_id):
        return key_id in self._boxes

    def open(self, key_id, sealed):
        """The dict a row's sealed bytes hold. Raises SealedDataError if they cannot be opened."""
        shared = self._boxes.get(key_id)
        if shared is None:
            raise SealedDataError(f"no sealing key {key_id} for this organisation")
        try:
            return decode_record(nacl.bindings.crypto_box_open_afternm(sealed[NONCE_BYTES:], sealed[:NONCE_BYTES], shared))
        except (nacl.exceptions.CryptoError, ValueError):
            raise SealedDataError("a sealed value was altered or sealed to another key") from None

    def function(self, missing):
        """``open`` as a plain function for a million calls; ``missing(key_id)`` is called for an unknown key."""
        boxes, open_afternm, decode, nonce = self._boxes, nacl.bindings.crypto_box_open_afternm, decode_record, NONCE_BYTES

        def open_one(key_id, sealed):
            shared = boxes.get(key_id)
            if shared is None:
                missing(key_id)
                shared = boxes.get(key_id)
                if shared is None:
                    raise SealedDataError(f"no sealing key {key_id} for this organisation")
            try:
                return decode(open_afternm(sealed[nonce:], sealed[:nonce], shared))
            except (nacl.exceptions.CryptoError, ValueError):
                raise SealedDataError("a sealed value was altered or sealed to another key") from None

        return open_one

    def private_bytes(self):
        """For granting a copy to another member, or a new recovery kit; never stored as it is."""
        return bytes(self._private)

    def close(self):
        self._boxes.clear()
        self._private = None
