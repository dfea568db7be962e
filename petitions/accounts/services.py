"""Organiser accounts: passwords, second factors, memberships, invitations and the audit log.

Accounts are looked up, like signatures, by a keyed hash of the normalised
address. Passwords are hashed with argon2id. A TOTP code is accepted once:
the time step it was made for is remembered, so a code seen over a shoulder
or in a log cannot be replayed. Recovery codes stand in for the app when the
phone is lost; each works once. Everything that opens or protects an account
(sign-ins, second factors, passwords) is written to the audit log of every
organisation the account belongs to.
"""
import hashlib
import hmac
import secrets
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pyotp
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import case, delete, func, insert, or_, select, update

from ..extensions import db
from ..links import external_url
from ..mail import messages
from ..models import (
    Account, AuditEvent, Invitation, KeyWrap, Membership, Organisation, OutboxMessage, Petition, RecoveryCode, Role,
    utcnow,
)
from ..plaintext import single_line
from ..address_hashes import email_hash, normalise_email
from ..tokens import TokenExpired, TokenInvalid, invitation_tokens, password_reset_tokens


class AccountError(Exception):
    """A request about accounts that cannot be carried out; subclasses say why."""


class InvalidCredentials(AccountError):
    """Unknown address or wrong password (deliberately not told apart)."""


class InvalidCode(AccountError):
    """The one-time code is wrong, expired or already used."""


class SecondStepLocked(AccountError):
    """Too many wrong codes within SECOND_STEP_WINDOW_SECONDS: no code is checked until the window passes."""


class ResetLinkUnusable(AccountError):
    """The password-reset link expired, was used (the password changed since), or is not genuine."""


class WouldPromote(AccountError):
    """The account is already a member with a lower role; raising it needs an explicit yes."""

    def __init__(self, role):
        super().__init__(role)
        self.role = role


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


class SignInMethod:
    """How a sign-in was completed; each is its own audit action (``sign_in.<method>``)."""

    PASSWORD = "password"            # an account without a second factor
    TOTP = "totp"                    # password and a code from the app
    RECOVERY_CODE = "recovery_code"  # password and a single-use recovery code
    ALL = (PASSWORD, TOTP, RECOVERY_CODE)


RECOVERY_CODE_COUNT = 10
# 16 characters from 31 that cannot be mistaken for one another (no 0/o, 1/l/i): about 79 bits each.
RECOVERY_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_LENGTH = 16


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
        name=single_line(name), password_hash=password_hasher().hash(password), language=language,
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
    # The count of wrong codes is NOT reset here: whoever has the password could otherwise
    # sign in again after every few guesses and try codes without end (see second_step).
    return account


def verify_password(account, password):
    """Raise InvalidCredentials unless ``password`` is the account's: asked again before changing a factor."""
    try:
        password_hasher().verify(account.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise InvalidCredentials() from None


_DUMMY = {}


def _dummy_hash(hasher):
    key = (hasher.time_cost, hasher.memory_cost)
    if key not in _DUMMY:
        _DUMMY[key] = hasher.hash("not a password anyone has")
    return _DUMMY[key]


def record_sign_in(account, method, now=None):
    """Note a completed sign-in on the account and in its organisations' audit logs."""
    if method not in SignInMethod.ALL:
        raise ValueError(method)
    account.last_sign_in_at = now or utcnow()
    account.second_step_failures = 0
    account.second_step_failed_at = None
    audit_account(account, account, f"sign_in.{method}", now=now)


def end_sessions(account):
    """End every session of the account, on every device, at its next request."""
    account.session_epoch += 1


def change_password(account, current, new):
    """Change the password; every other session of the account ends."""
    verify_password(account, current)
    check_password_strength(new)
    account.password_hash = password_hasher().hash(new)
    end_sessions(account)
    audit_account(account, account, "password.change")


# --- password reset ----------------------------------------------------------

def _password_digest(account):
    """A digest of the current password hash: a reset link carries it, so it dies when the password changes."""
    return _digest_of(account.password_hash)


def _digest_of(password_hash):
    key = hmac.new(current_app.config["HASH_KEY"].encode(), b"petitions.password-reset.v1", hashlib.sha256).digest()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def request_password_reset(email):
    """Queue a reset link to the address if it has an account, in the account's language.

    Nothing is sent to an address without an account (an email from this site could itself put
    someone at risk), and the caller answers the same either way. It also takes the same time:
    for an unknown address a link is made all the same and a row written to the outbox, one
    already marked sent, with no recipient and no content, so nothing goes out and the purge
    removes it with other sent mail. Doing nothing there answered twice as fast, and the
    difference told which addresses have accounts.
    """
    account = find_account(email)
    minutes = max(1, current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
    if account is None:
        token = password_reset_tokens(current_app).make([0, _digest_of(_dummy_hash(password_hasher()))])
        external_url("accounts.reset_password", token=token)  # made and dropped: the same work as a real link
        _queue_nothing("password_reset")
        return None
    token = password_reset_tokens(current_app).make([account.id, _password_digest(account)])
    messages.queue_password_reset(account.email, account.language,
                                  external_url("accounts.reset_password", token=token), minutes)
    return account


def _queue_nothing(kind):
    # The same INSERT as a real message, of a row the outbox treats as sent (and purge deletes).
    now = utcnow()
    db.session.execute(insert(OutboxMessage.__table__), dict(
        kind=kind, recipient="", context=None, created_at=now, next_attempt_at=now, sent_at=now,
        signature_id=None, headers=None,
    ))


def account_from_reset_token(token):
    """The account a reset link stands for while its password is unchanged; else ResetLinkUnusable."""
    try:
        payload = password_reset_tokens(current_app).read(token)
    except (TokenInvalid, TokenExpired):
        raise ResetLinkUnusable() from None
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise ResetLinkUnusable()
    account = db.session.get(Account, payload[0])
    if account is None or not hmac.compare_digest(_password_digest(account), payload[1]):
        raise ResetLinkUnusable()
    return account


def reset_password(account, new, actor=None):
    """Set a new password without the old one: from an emailed link, or by an operator (``actor``).

    Every session ends. The second factor stays: whoever resets must still show a code to sign in.
    """
    check_password_strength(new)
    account.password_hash = password_hasher().hash(new)
    end_sessions(account)
    if actor is None:
        audit_account(account, account, "password.reset")
    else:
        audit_account(account, actor, "password.set", detail={"member": account.email})


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
    if not looks_like_totp(code):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(datetime.fromtimestamp(now, tz=timezone.utc))
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def looks_like_totp(code):
    """Whether a typed code has the shape of an app's code (six digits) rather than a recovery code's."""
    code = "".join((code or "").split())
    # ASCII only: str.isdigit() is true of "١٢٣٤٥٦" and "²²²²²²" too, which compare_digest refuses.
    return code.isascii() and code.isdigit() and len(code) == 6


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


def second_step(account, code, now=None):
    """Complete a sign-in whose password was accepted: a code from the app, or a recovery code.

    Returns the SignInMethod used. A wrong code raises InvalidCode; once SECOND_STEP_MAX_FAILURES
    codes have been tried within SECOND_STEP_WINDOW_SECONDS of one another, SecondStepLocked, and
    no code is checked until the window has passed since the last. The attempt is counted before
    the code is checked, in one UPDATE guarded by the limit: parallel guesses wait on the row
    instead of all reading the same count, so no more than the limit are ever checked (a rate
    limiter that deducts after the request lets parallel ones through). The count lives in the
    database because the session cookie is the client's to replay, and a right password does
    not reset it (only a completed sign-in does), or the password's holder could start over
    after every few guesses.
    """
    limit = current_app.config["SECOND_STEP_MAX_FAILURES"]
    now_at = utcnow()
    stale = or_(Account.second_step_failed_at.is_(None),
                Account.second_step_failed_at < now_at - timedelta(seconds=current_app.config["SECOND_STEP_WINDOW_SECONDS"]))
    counted = db.session.execute(
        update(Account).where(Account.id == account.id, or_(stale, Account.second_step_failures < limit))
        .values(second_step_failures=case((stale, 1), else_=Account.second_step_failures + 1),
                second_step_failed_at=now_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(account, ["second_step_failures", "second_step_failed_at"])
    if not counted:
        raise SecondStepLocked()
    try:
        if looks_like_totp(code):
            verify_totp(account, code, now)
            method = SignInMethod.TOTP
        else:
            use_recovery_code(account, code)
            method = SignInMethod.RECOVERY_CODE
    except InvalidCode:
        if account.second_step_failures >= limit:
            audit_account(account, account, "sign_in.locked")
            raise SecondStepLocked() from None
        raise
    record_sign_in(account, method)
    return method


def enrol_totp(account, password, secret, code, now=None):
    """Turn on the second factor: the password again and a code from the app. Returns new recovery codes.

    The password is asked because a session alone (a borrowed laptop, a copied cookie) must not
    be able to add a factor that then counts as a fresh second factor for exports.
    """
    verify_password(account, password)
    enable_totp(account, secret, code, now)
    codes = new_recovery_codes(account)
    audit_account(account, account, "two_factor.on")
    return codes


def _clear_totp(account):
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))


def disable_totp(account, password, code, now=None):
    """Turn off the second factor: the password and a current code (or, with the phone lost, a recovery code)."""
    verify_password(account, password)
    if looks_like_totp(code):
        verify_totp(account, code, now)
    else:
        use_recovery_code(account, code)
    _clear_totp(account)
    audit_account(account, account, "two_factor.off")


def disable_totp_for(account, actor):
    """An operator turns off a member's second factor (phone and recovery codes lost); codes are deleted."""
    _clear_totp(account)
    audit_account(account, actor, "two_factor.off", detail={"member": account.email})


# --- recovery codes ------------------------------------------------------------
# Stored as HMAC-SHA256 with a per-code salt, keyed with a key derived from HASH_KEY. A slow hash
# (argon2) would add nothing: the codes are random with about 79 bits, so no guessing list helps,
# while checking one typed code against ten argon2 hashes would cost the server ten hashings per
# attempt. The key is not in the database, so a copy of the database alone cannot test guesses.

def _recovery_key():
    return hmac.new(current_app.config["HASH_KEY"].encode(), b"petitions.recovery-code.v1", hashlib.sha256).digest()


def _normalised_recovery_code(code):
    # People copy codes with spaces, hyphens or in capitals; none of that matters.
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _recovery_digest(salt, code):
    return hmac.new(_recovery_key(), salt + code.encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(account, now=None):
    """Replace the account's recovery codes with new ones and return them: the only time they exist in clear."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        code = "".join(secrets.choice(RECOVERY_CODE_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        salt = secrets.token_bytes(16)
        db.session.add(RecoveryCode(account_id=account.id, created_at=now or utcnow(),
                                    code_hash=f"hmac-sha256${salt.hex()}${_recovery_digest(salt, code)}"))
        codes.append("-".join(code[i:i + 4] for i in range(0, RECOVERY_CODE_LENGTH, 4)))
    db.session.flush()
    return codes


def regenerate_recovery_codes(account, password, code, now=None):
    """New recovery codes for the member; the old ones stop working.

    Like any change of the second factor, it needs the password and a current code from the
    app (or, with the phone lost, an unused recovery code): the password alone is what a
    phished or reused password gives, and new codes would be a second factor of its own.
    """
    verify_password(account, password)
    if not account.has_totp:
        raise InvalidCode()
    if looks_like_totp(code):
        verify_totp(account, code, now)
    else:
        use_recovery_code(account, code)
    codes = new_recovery_codes(account)
    audit_account(account, account, "recovery_codes.new")
    return codes


def recovery_codes_left(account):
    """How many of the account's recovery codes are still unused."""
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)))


def use_recovery_code(account, code, now=None):
    """Spend one of the account's recovery codes; InvalidCode if it is not one, or was used."""
    code = _normalised_recovery_code(code)
    if len(code) != RECOVERY_CODE_LENGTH:
        raise InvalidCode()
    unused = db.session.scalars(select(RecoveryCode).where(
        RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)).order_by(RecoveryCode.id)).all()
    for row in unused:
        _scheme, salt, digest = row.code_hash.split("$")
        if hmac.compare_digest(digest, _recovery_digest(bytes.fromhex(salt), code)):
            # A guarded UPDATE: two requests racing with the same code cannot both spend it.
            spent = db.session.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now or utcnow()).execution_options(synchronize_session=False)
            ).rowcount
            db.session.expire(row)
            if spent != 1:
                break
            return
    raise InvalidCode()


# --- organisations and members -----------------------------------------------

def find_or_create_organisation(name):
    """The organisation with this exact name, created if there is none."""
    name = single_line(name)  # it reaches mail headers (invitations)
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


class Bootstrap:
    """What ``bootstrap_owner`` did, so the command line can say it."""

    CREATED = "created"      # a new account, owner of the organisation
    ADDED = "added"          # an existing account, newly an owner of the organisation
    ALREADY = "already"      # an existing account that was an owner already: nothing changed
    PROMOTED = "promoted"    # an existing member raised to owner (only when asked to)


def bootstrap_owner(email, name, password, organisation_name, language="en", actor="command line",
                    promote=False):
    """The command line's way in: make (or reuse) an account and make it an owner of the organisation.

    Returns (account, organisation, outcome, previous role). An existing account keeps its name and
    password. An existing member with a lower role is raised to owner only with ``promote``; without
    it, WouldPromote says which role they have and nothing is changed.
    """
    organisation = find_or_create_organisation(organisation_name)
    account = find_account(email)
    created = account is None
    if created:
        account = create_account(email, name, password, language)
    existing = membership(account, organisation.id)
    previous = existing.role if existing else None
    if existing is None:
        db.session.add(Membership(organisation=organisation, account=account, role=Role.OWNER))
        outcome = Bootstrap.CREATED if created else Bootstrap.ADDED
        audit(organisation.id, actor, "member.join", detail={"member": account.email, "role": Role.OWNER})
    elif existing.role == Role.OWNER:
        outcome = Bootstrap.ALREADY
    elif not promote:
        raise WouldPromote(existing.role)
    else:
        existing.role = Role.OWNER
        outcome = Bootstrap.PROMOTED
        audit(organisation.id, actor, "member.role",
              detail={"member": account.email, "from": previous, "to": Role.OWNER})
    db.session.flush()
    return account, organisation, outcome, previous


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
    if not Role.at_least(role, Role.EDITOR):
        _drop_key_copy(target)
    audit(target.organisation_id, actor, "member.role", detail={"member": target.account.email,
                                                                 "from": before, "to": role})


def _drop_key_copy(target):
    """A viewer or a former member keeps no copy of the organisation's key: it would still open every sealed row."""
    db.session.execute(delete(KeyWrap).where(KeyWrap.organisation_id == target.organisation_id,
                                             KeyWrap.account_id == target.account_id))


def remove_member(target, actor):
    """Take a member out of the organisation; the last owner cannot be removed."""
    if target.role == Role.OWNER and owners_count(target.organisation_id) <= 1:
        raise LastOwner()
    audit(target.organisation_id, actor, "member.remove", detail={"member": target.account.email})
    _drop_key_copy(target)
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


def audit_account(account, actor, action, detail=None, now=None):
    """Write one line about an account into the audit log of every organisation it belongs to.

    The log is kept per organisation (its owners read it), so an account's own events are copied
    into each; an account in no organisation leaves none.
    """
    organisation_ids = db.session.scalars(
        select(Membership.organisation_id).where(Membership.account_id == account.id).order_by(Membership.organisation_id)
    ).all()
    return [audit(organisation_id, actor, action, detail=detail, now=now) for organisation_id in organisation_ids]


def audit_log(organisation_id, limit=200, before_id=None):
    query = select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
