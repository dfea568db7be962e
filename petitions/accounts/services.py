"""Organiser accounts: passwords, second factors, memberships, invitations and the audit log.

Accounts are looked up, like signatures, by a keyed hash of the normalised
address. Passwords are hashed with argon2id. A TOTP code is accepted once:
the time step it was made for is remembered, so a code seen over a shoulder
or in a log cannot be replayed.
"""
import hmac
import time
from datetime import datetime, timezone
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..links import external_url
from ..mail import messages
from ..models import Account, AuditEvent, Invitation, Membership, Organisation, Petition, Role, utcnow
from ..security import email_hash, normalise_email
from ..tokens import TokenExpired, TokenInvalid, invitation_tokens


class AccountError(Exception):
    """A request about accounts that cannot be carried out; subclasses say why."""


class InvalidCredentials(AccountError):
    """Unknown address or wrong password (deliberately not told apart)."""


class InvalidCode(AccountError):
    """The one-time code is wrong, expired or already used."""


class WeakPassword(AccountError):
    """The new password is too short or too long."""


class LastOwner(AccountError):
    """An organisation must keep at least one owner."""


class AlreadyMember(AccountError):
    """The address already belongs to a member of this organisation."""


class InvitationUnusable(AccountError):
    """The invitation was accepted, revoked, expired, or the link is not genuine."""


class WrongAccount(AccountError):
    """The invitation was sent to another address than the signed-in account's."""


MAX_PASSWORD_LENGTH = 1024
TOTP_ISSUER = "Petitions"


@lru_cache(maxsize=4)
def _hasher(profile):
    if profile == "cheapest":
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


def password_hasher():
    return _hasher(current_app.config["PASSWORD_HASH_PROFILE"])


def check_password_strength(password):
    """Raise WeakPassword unless the password is long enough (length is what matters most)."""
    if len(password) < current_app.config["MIN_PASSWORD_LENGTH"] or len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(password and len(password))


def find_account(email):
    """The account for an address, or None."""
    return db.session.scalar(
        select(Account).where(Account.email_hash == email_hash(current_app.config["HASH_KEY"], email))
    )


def create_account(email, name, password, language):
    """A new account (flushes). The caller makes it a member of something."""
    check_password_strength(password)
    account = Account(
        email=normalise_email(email), email_hash=email_hash(current_app.config["HASH_KEY"], email),
        name=name.strip(), password_hash=password_hasher().hash(password), language=language,
    )
    db.session.add(account)
    db.session.flush()
    return account


def authenticate(email, password):
    """The account if the password is right; else InvalidCredentials.

    An unknown address costs the same hashing work as a wrong password, so
    timing does not tell which addresses have accounts.
    """
    account = find_account(email)
    hasher = password_hasher()
    if account is None:
        try:
            hasher.verify(_dummy_hash(hasher), password + "x")
        except VerificationError:
            pass
        raise InvalidCredentials()
    try:
        hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    return account


_DUMMY = {}


def _dummy_hash(hasher):
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not a password anyone has")
    return _DUMMY[key]


def record_sign_in(account, now=None):
    account.last_sign_in_at = now or utcnow()


def change_password(account, current, new):
    """Change the password; every other session of the account ends."""
    try:
        password_hasher().verify(account.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None
    check_password_strength(new)
    account.password_hash = password_hasher().hash(new)
    account.session_epoch += 1


# --- second factor -----------------------------------------------------------

def new_totp_secret():
    return pyotp.random_base32()


def totp_uri(account, secret):
    """The otpauth:// URI an authenticator app reads from the QR code."""
    issuer = current_app.config["SITE_NAME"] or TOTP_ISSUER
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)


def _matching_step(secret, code, now):
    """The time step ``code`` belongs to (this one or a neighbour, for clock drift), or None."""
    code = "".join((code or "").split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.fromtimestamp(now, tz=timezone.utc))
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def enable_totp(account, secret, code, now=None):
    """Turn on the second factor once the member has shown a code from their app."""
    now = now or time.time()
    step = _matching_step(secret, code, now)
    if step is None:
        raise InvalidCode()
    account.totp_secret = secret
    account.totp_last_step = step
    account.totp_enabled_at = utcnow()


def verify_totp(account, code, now=None):
    """Accept a code from the account's app once; raise InvalidCode otherwise."""
    if not account.has_totp:
        raise InvalidCode()
    step = _matching_step(account.totp_secret, code, now or time.time())
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        raise InvalidCode()
    account.totp_last_step = step


def disable_totp(account, code, now=None):
    verify_totp(account, code, now)
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None


# --- organisations and members -----------------------------------------------

def find_or_create_organisation(name):
    """The organisation with this exact name, created if there is none."""
    name = name.strip()
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name)
        db.session.add(organisation)
        db.session.flush()
    return organisation


def membership(account, organisation_id):
    """The account's membership of an organisation, or None."""
    if account is None:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.account_id == account.id, Membership.organisation_id == organisation_id)
    )


def role_in(account, organisation_id):
    found = membership(account, organisation_id)
    return found.role if found else None


def memberships_of(account):
    return db.session.scalars(
        select(Membership).join(Organisation).where(Membership.account_id == account.id).order_by(Organisation.name)
    ).all()


def bootstrap_owner(email, name, password, organisation_name, language="en"):
    """The command line's way in: make (or reuse) an account and make it an owner of the organisation."""
    organisation = find_or_create_organisation(organisation_name)
    account = find_account(email)
    if account is None:
        account = create_account(email, name, password, language)
    existing = membership(account, organisation.id)
    if existing is None:
        db.session.add(Membership(organisation=organisation, account=account, role=Role.OWNER))
    else:
        existing.role = Role.OWNER
    db.session.flush()
    return account, organisation


def owners_count(organisation_id):
    return db.session.scalar(
        select(func.count()).select_from(Membership)
        .where(Membership.organisation_id == organisation_id, Membership.role == Role.OWNER)
    )


def set_role(target, role, actor):
    """Change a member's role; the last owner cannot step down."""
    if role not in Role.ALL:
        raise ValueError(role)
    if target.role == Role.OWNER and role != Role.OWNER and owners_count(target.organisation_id) <= 1:
        raise LastOwner()
    before, target.role = target.role, role
    audit(target.organisation_id, actor, "member.role", detail={"member": target.account.email,
                                                                 "from": before, "to": role})


def remove_member(target, actor):
    """Take a member out of the organisation; the last owner cannot be removed."""
    if target.role == Role.OWNER and owners_count(target.organisation_id) <= 1:
        raise LastOwner()
    audit(target.organisation_id, actor, "member.remove", detail={"member": target.account.email})
    db.session.delete(target)
    db.session.flush()


def invite(organisation, email, role, inviter, language):
    """Record an invitation and queue its email. Returns the invitation."""
    if role not in Role.ALL:
        raise ValueError(role)
    existing = find_account(email)
    if existing is not None and membership(existing, organisation.id) is not None:
        raise AlreadyMember()
    address_hash = email_hash(current_app.config["HASH_KEY"], email)
    # A new invitation replaces any open one to the same address.
    for old in db.session.scalars(select(Invitation).where(
        Invitation.organisation_id == organisation.id, Invitation.email_hash == address_hash,
        Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
    )):
        old.revoked_at = utcnow()
    invitation = Invitation(organisation=organisation, email=normalise_email(email), email_hash=address_hash,
                            role=role, invited_by_id=inviter.id)
    db.session.add(invitation)
    db.session.flush()
    token = invitation_tokens(current_app).make([invitation.id, address_hash[:16]])
    messages.queue_invitation(invitation.email, language, organisation.name, inviter.name, role,
                              external_url("accounts.accept_invitation", token=token))
    audit(organisation.id, inviter, "member.invite", detail={"email": invitation.email, "role": role})
    return invitation


def revoke_invitation(invitation, actor):
    if invitation.is_open:
        invitation.revoked_at = utcnow()
        audit(invitation.organisation_id, actor, "member.uninvite", detail={"email": invitation.email})


def open_invitations(organisation_id):
    return db.session.scalars(
        select(Invitation).where(Invitation.organisation_id == organisation_id, Invitation.accepted_at.is_(None),
                                 Invitation.revoked_at.is_(None)).order_by(Invitation.created_at)
    ).all()


def invitation_from_token(token):
    """The open invitation a link stands for, or InvitationUnusable."""
    try:
        payload = invitation_tokens(current_app).read(token)
    except (TokenInvalid, TokenExpired):
        raise InvitationUnusable() from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)):
        raise InvitationUnusable()
    invitation = db.session.get(Invitation, payload[0])
    if invitation is None or not invitation.is_open or invitation.email_hash[:16] != payload[1]:
        raise InvitationUnusable()
    return invitation


def accept_invitation(invitation, account=None, name=None, password=None, language="en"):
    """Join the organisation: as the signed-in account, or as a new account made now.

    A signed-in account may accept only an invitation sent to its own address.
    """
    if account is None:
        account = find_account(invitation.email)
        if account is not None:
            # The address has an account already: its owner must sign in first.
            raise WrongAccount()
        account = create_account(invitation.email, name or "", password or "", language)
    elif account.email_hash != invitation.email_hash:
        raise WrongAccount()
    if membership(account, invitation.organisation_id) is None:
        db.session.add(Membership(organisation_id=invitation.organisation_id, account=account, role=invitation.role))
    invitation.accepted_at = utcnow()
    audit(invitation.organisation_id, account, "member.join", detail={"role": invitation.role})
    db.session.flush()
    return account


# --- audit log ---------------------------------------------------------------

def actor_label(actor):
    """How the audit log names who acted: an account, or an operator on the command line."""
    if isinstance(actor, Account):
        return f"{actor.name} <{actor.email}>"
    return str(actor)


def audit(organisation_id, actor, action, petition=None, detail=None, now=None):
    """Write one line of the organisation's audit log (flushes)."""
    event = AuditEvent(
        organisation_id=organisation_id, petition_id=petition.id if isinstance(petition, Petition) else None,
        account_id=actor.id if isinstance(actor, Account) else None, actor=actor_label(actor)[:400],
        action=action, detail=detail or {}, created_at=now or utcnow(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def audit_log(organisation_id, limit=200, before_id=None):
    query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
