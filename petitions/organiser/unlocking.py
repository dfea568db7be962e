"""Unlocking an organisation's key on the web, for one export, update mailing or moderation view.

The member types a fresh two-factor code and the key's passphrase; refused
tries are audited and rate-limited per member (RATELIMIT_UNLOCK).
"""
from flask import g, request
from flask_babel import gettext as _

from .. import sealing
from ..accounts import auth
from ..accounts import services as accounts
from ..extensions import db, limiter
from ..ratelimits import configured_limit
from . import protection


def _unlock_refused():
    """Only refused codes and passphrases use up the unlock limit."""
    return g.get("unlock_refused", False)


def _member_key():
    return f"unlock:{auth.current_account().id if auth.current_account() else request.remote_addr}"


def unlock_limited(view):
    """Rate-limits a view's refused unlocks per member: each passphrase tried costs an Argon2id run."""
    return limiter.limit(configured_limit("RATELIMIT_UNLOCK"), key_func=_member_key, methods=["POST"],
                         deduct_when=lambda response: _unlock_refused())(view)


def unlocked(petition, form, purpose, me):
    """The organisation's key, opened for one job with the code and passphrase typed in ``form``.

    Returns None with the problem set on the form when either is wrong. A
    refused passphrase stays in the audit log although the response is an
    error: that commit is this function's, on purpose.
    """
    try:
        accounts.verify_totp(me, form.code.data or "")
    except accounts.InvalidCode:
        g.unlock_refused = True
        form.code.errors = [_("That code is not right, or was already used.")]
        return None
    try:
        opener = protection.unlock(petition.organisation_id, me, purpose, passphrase=form.passphrase.data or "",
                                   account=me, petition=petition)
    except sealing.WrongKey:
        g.unlock_refused = True
        db.session.commit()
        form.passphrase.errors = [_("That passphrase does not open your organisation's key.")]
        return None
    return opener


def closing(chunks, opener):
    """The export's chunks, then the key dropped: it was unlocked for this one export."""
    try:
        yield from chunks
    finally:
        if opener is not None:
            opener.close()
