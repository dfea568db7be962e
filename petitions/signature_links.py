"""Links that act on one signature from an email: shared by signing and by every mail sent to signers."""
import hashlib

from flask import current_app

from .links import external_url
from .tokens import confirmation_tokens, withdrawal_tokens


def token_payload(signature):
    # The hash prefix ties a token to the address, so a token can never act on
    # a later signature that reused a deleted one's id.
    return {"s": signature.id, "h": signature.email_hash[:16]}


def withdraw_url(signature):
    """The link every email to a signer carries, to take the signature back."""
    token = withdrawal_tokens(current_app).make(token_payload(signature))
    return external_url("signing.withdraw", lang=signature.language, token=token)


def details_digest(signature):
    """A short digest of what the signer is asked to confirm.

    Anyone who knows an address can submit it again with other details while
    it is pending. The confirmation link carries this digest, so a link only
    confirms the details its email showed; an older link stops working.
    """
    # A sealed row is sealed afresh (a new random nonce) whenever its details change, so its
    # ciphertext stands in for the name and city the server cannot read.
    private = (hashlib.sha256(signature.sealed).hexdigest(),) if signature.sealed is not None \
        else (signature.full_name, signature.city or "")
    fields = (*private, signature.country, signature.show_name,
              signature.public_name, signature.wants_updates, signature.language)
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:12]


def confirmation_url(signature):
    """The link that confirms ``signature`` with the details it has now (the confirmation email's and the reminder's)."""
    token = confirmation_tokens(current_app).make({**token_payload(signature), "d": details_digest(signature)})
    return external_url("signing.confirm", lang=signature.language, token=token)
