"""Links that act on one signature from an email: shared by signing and by every mail sent to signers."""
from flask import current_app

from .links import external_url
from .tokens import withdrawal_tokens


def token_payload(signature):
    # The hash prefix ties a token to the address, so a token can never act on
    # a later signature that reused a deleted one's id.
    return {"s": signature.id, "h": signature.email_hash[:16]}


def withdraw_url(signature):
    """The link every email to a signer carries, to take the signature back."""
    token = withdrawal_tokens(current_app).make(token_payload(signature))
    return external_url("signing.withdraw", lang=signature.language, token=token)
