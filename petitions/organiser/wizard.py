"""The owner's protection wizard: turning protection on from the web, granting copies of the key, changing one's copy.

Each step asks again for what proves the person is who the session says
(the account's password, a fresh two-factor code, or a passphrase that
opens the key): a session left open on a seized laptop must not be enough
to make, copy or re-wrap the key. Every refusal is written to the audit log
and raised as ``Refused``, whose ``reason`` the view turns into a message.
"""

from .. import sealing
from ..accounts import services as accounts
from ..models import Role
from . import protection

# Why a step was refused: the field that was wrong.
PASSWORD, CODE, PASSPHRASE, WEAK = "password", "code", "passphrase", "weak passphrase"


class Refused(Exception):
    """A wizard step was refused; ``reason`` is PASSWORD, CODE, PASSPHRASE or WEAK. Already audited."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class NoCopy(Exception):
    """The member holds no copy of the key of their own."""


def _refuse(organisation_id, actor, action, reason, **detail):
    accounts.audit(organisation_id, actor, f"{action}_refused", detail={"reason": reason, **detail})
    raise Refused(reason)


def _check_new_passphrase(organisation_id, actor, action, passphrase, **detail):
    try:
        sealing.check_passphrase(passphrase)
    except sealing.WeakPassphrase:
        _refuse(organisation_id, actor, action, WEAK, **detail)


def _check_password_and_code(organisation_id, account, action, password, code):
    try:
        accounts.verify_password(account, password)
    except accounts.InvalidCredentials:
        _refuse(organisation_id, account, action, PASSWORD)
    try:
        accounts.verify_totp(account, code or "")
    except accounts.InvalidCode:
        _refuse(organisation_id, account, action, CODE)


def turn_on(organisation, owner, password, code, passphrase, now=None):
    """Turn protection on for ``owner`` (their password and a fresh code again). Flushes; returns the kit text.

    The owner's own wrapped copy is the first one. The caller commits, shows
    the kit once and then runs ``protection.seal_stragglers`` and
    ``protection.erase_leftovers`` as ``petitions keys create`` does.
    Raises Refused or sealing.AlreadyProtected.
    """
    if protection.is_protected(organisation.id):
        raise sealing.AlreadyProtected(organisation.id)
    _check_password_and_code(organisation.id, owner, "key.create", password, code)
    _check_new_passphrase(organisation.id, owner, "key.create", passphrase)
    private, _counts = protection.turn_on(organisation, passphrase, owner, account=owner, now=now)
    return sealing.recovery_kit(organisation.name, private, now)


def grantable_members(organisation, owner):
    """The members who may be given a copy: editors and owners other than ``owner``."""
    return [m for m in organisation.memberships
            if Role.at_least(m.role, Role.EDITOR) and m.account_id != owner.id]


def grant(organisation, owner, member, code, passphrase, new_passphrase, now=None):
    """Give ``member`` (an editor or owner) their own copy of the key, unlocked by ``owner``. Flushes.

    The owner types a fresh code and their own passphrase; the member's
    copy opens with ``new_passphrase``, which the member should change on
    their own page. Raises Refused.
    """
    detail = {"member": member.name}
    try:
        accounts.verify_totp(owner, code or "")
    except accounts.InvalidCode:
        _refuse(organisation.id, owner, "key.grant", CODE, **detail)
    _check_new_passphrase(organisation.id, owner, "key.grant", new_passphrase, **detail)
    try:
        opener = protection.unlock(organisation.id, owner, "grant", passphrase=passphrase or "", account=owner)
    except sealing.WrongKey:
        raise Refused(PASSPHRASE) from None  # protection.unlock has audited it
    try:
        sealing.grant(opener, organisation.id, member, new_passphrase, now)
    finally:
        opener.close()
    accounts.audit(organisation.id, owner, "key.grant", detail=detail, now=now)


def holds_copy(organisation_id, account):
    return account.id in sealing.wrap_holders(organisation_id)


def change_passphrase(organisation, member, current, new_passphrase, now=None):
    """Re-wrap ``member``'s own copy of the key under a new passphrase. Flushes.

    Raises NoCopy when they hold none (the operator's copy is not theirs to
    change), Refused otherwise.
    """
    if not holds_copy(organisation.id, member):
        raise NoCopy(organisation.id)
    _check_new_passphrase(organisation.id, member, "key.passphrase", new_passphrase)
    try:
        opener = protection.unlock(organisation.id, member, "passphrase", passphrase=current or "", account=member)
    except sealing.WrongKey:
        raise Refused(PASSPHRASE) from None
    try:
        sealing.grant(opener, organisation.id, member, new_passphrase, now)
    finally:
        opener.close()
    accounts.audit(organisation.id, member, "key.passphrase", now=now)
