"""Signing in and out, account recovery, the member's own account, members of an organisation, invitations, audit log."""
import segno
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from markupsafe import Markup

from ..extensions import db, limiter
from ..i18n import current_language, format_date, language_name, number
from ..models import Account, Invitation, Membership, Organisation, Role
from ..ratelimits import client_key, configured_limit, submitted_address_hash
from ..timeline import outcome_label
from . import auth, services
from .forms import (
    AcceptInvitationForm, EmptyForm, EnableTotpForm, ForgotPasswordForm, InviteForm,
    PasswordAgainForm, PasswordForm, ProfileForm, ResetPasswordForm, RoleForm, SecondStepForm, SignInForm,
)

bp = auth.organiser_blueprint("accounts", __name__)

TOTP_SETUP_KEY = "totp_setup_secret"

ROLE_LABELS = {Role.OWNER: _l("Owner"), Role.EDITOR: _l("Editor"), Role.VIEWER: _l("Viewer")}
AUDIT_LABELS = {
    "export.csv": _l("Exported signatures as CSV"),
    "export.pdf": _l("Exported a PDF delivery pack"),
    "member.invite": _l("Invited a member"),
    "member.uninvite": _l("Withdrew an invitation"),
    "member.join": _l("Joined"),
    "member.role": _l("Changed a member's role"),
    "member.remove": _l("Removed a member"),
    "sign_in.password": _l("Signed in with a password only"),
    "sign_in.totp": _l("Signed in with a password and a code from the app"),
    "sign_in.recovery_code": _l("Signed in with a password and a recovery code"),
    "sign_in.locked": _l("Sign-in stopped after too many wrong codes"),
    "two_factor.on": _l("Turned on two-factor authentication"),
    "two_factor.off": _l("Turned off two-factor authentication"),
    "recovery_codes.new": _l("Made new recovery codes"),
    "password.change": _l("Changed their password"),
    "password.reset": _l("Set a new password through an emailed link"),
    "password.set": _l("Set a new password for a member"),
    "key.create": _l("Turned protection of signer data on"),
    "key.create_refused": _l("Refused to turn protection on"),
    "key.unlock": _l("Unlocked the organisation's key"),
    "key.unlock_refused": _l("Refused to unlock the organisation's key"),
    "key.grant": _l("Gave a member a copy of the key"),
    "key.grant_refused": _l("Refused to give a copy of the key"),
    "key.passphrase": _l("Changed the passphrase of their copy of the key"),
    "key.passphrase_refused": _l("Refused to change the passphrase of a copy of the key"),
    "timeline.delivery": _l("Recorded the petition's delivery"),
    "timeline.response": _l("Recorded a response"),
    "timeline.outcome": _l("Recorded the campaign's outcome"),
    "timeline.remove": _l("Removed an entry from the timeline"),
    "signatures.invalidate": _l("Invalidated signatures"),
    "signatures.restore": _l("Undid an invalidation"),
    "statement.publish": _l("Published a statement"),
    "statement.unpublish": _l("Took a statement back to draft"),
    "statement.delete": _l("Deleted a statement"),
}
# Audit pages go back by event id; ids are 32-bit integers, and a larger number must not reach the database.
MAX_EVENT_ID = 2**31 - 1


AUDIT_DETAIL_LABELS = {
    "rows": _l("rows"), "language": _l("language"), "with_emails": _l("with email addresses"),
    "slug": _l("petition"), "email": _l("address"), "member": _l("member"), "role": _l("role"),
    "from": _l("from"), "to": _l("to"),
    "fingerprint": _l("fingerprint"), "reason": _l("reason"), "for": _l("for"), "with": _l("with"),
    "signatures": _l("signatures"), "sign-ons": _l("letter sign-ons"),
    "date": _l("date"), "kind": _l("entry"), "outcome": _l("outcome"),
    "invalidation": _l("invalidation"), "by": _l("matched by"), "match": _l("match"),
    "confirmed": _l("confirmed"), "pending": _l("pending"),
    "statement": _l("statement"), "title": _l("title"), "subscribers": _l("subscribers"),
}
# Values some details hold, as words rather than the codes stored.
AUDIT_VALUE_LABELS = {
    "by": {"fingerprint": _l("network fingerprint"), "domain": _l("email domain")},
    "kind": {"delivery": _l("delivery"), "response": _l("response"), "outcome": _l("outcome")},
}


def audit_details(detail):
    """An audit line's details as (label, value) pairs a person can read in their language."""
    pairs = []
    for key, value in sorted((detail or {}).items()):
        if isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif key in ("role", "from", "to"):
            value = ROLE_LABELS.get(value, value)
        elif key == "language":
            value = language_name(value)
        elif key == "outcome":
            value = outcome_label(value)
        elif key in AUDIT_VALUE_LABELS:
            value = AUDIT_VALUE_LABELS[key].get(value, value)
        elif isinstance(value, int):
            value = number(value)
        pairs.append((AUDIT_DETAIL_LABELS.get(key, key), value))
    return pairs


@bp.app_context_processor
def organiser_helpers():
    return {
        "organiser_account": auth.current_account,
        "role_label": lambda role: ROLE_LABELS.get(role, role),
        "audit_action_label": lambda action: AUDIT_LABELS.get(action, action),
        "audit_details": audit_details,
        "format_date": format_date,
    }


AUTH_FAILED = "petitions.auth_failed"


def _failed():
    """Only failed attempts use up the sign-in limits: a member who types well is never locked out."""
    return request.environ.get(AUTH_FAILED, False)


def _fail():
    # On the request, not on ``g``: an app context (and its ``g``) can outlive a request and
    # would then count the next, successful request as a failure too.
    request.environ[AUTH_FAILED] = True


# Every failed password or code for one account, on any of the pages below, counts in one bucket.
ACCOUNT_LIMIT_SCOPE = "organiser-account"


def _account_key_for(account):
    return "account:" + (account.email_hash if account is not None else "none")


def _submitted_account_key():
    """The sign-in form's address: an address without an account is limited like one with."""
    return "account:" + submitted_address_hash()


def _pending_account_key():
    """The account whose password was accepted, from the signed session, never from a form field.

    A field the client adds (``email``) must not choose the bucket: that let wrong codes go on forever.
    """
    pending = session.get(auth.PENDING_KEY)
    account = db.session.get(Account, pending.get("id")) if isinstance(pending, dict) else None
    return _account_key_for(account)


def _signed_in_account_key():
    return _account_key_for(auth.current_account())


def _limit_account(key_func):
    """The per-account limit on failed passwords and codes, shared by every page that checks them."""
    return limiter.shared_limit(configured_limit("RATELIMIT_SIGN_IN_ACCOUNT"), ACCOUNT_LIMIT_SCOPE, key_func=key_func,
                                methods=["POST"], deduct_when=lambda r: _failed())


def _reset_address_key():
    return "reset:" + submitted_address_hash()


def _locked_out():
    """Back to the password, saying how long the code step stays closed after too many wrong codes."""
    minutes = -(-current_app.config["SECOND_STEP_WINDOW_SECONDS"] // 60)
    flash(ngettext("Too many wrong codes. Wait %(count)s minute, then sign in with your password again.",
                   "Too many wrong codes. Wait %(count)s minutes, then sign in with your password again.",
                   minutes, count=number(minutes)), "error")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN_IN"), key_func=client_key, methods=["POST"], deduct_when=lambda r: _failed())
@_limit_account(_submitted_account_key)
def sign_in():
    if auth.current_account() is not None and request.method == "GET":
        return redirect(url_for("organiser.home"))
    form = SignInForm()
    if form.validate_on_submit():
        try:
            account = services.authenticate(form.email.data, form.password.data)
        except services.InvalidCredentials:
            _fail()
            return render_template("accounts/sign_in.html", form=form,
                                   problem=_("That email address and password do not match.")), 200
        next_page = auth.safe_next(request.args.get("next"))
        if account.has_totp and account.second_step_locked(current_app.config["SECOND_STEP_MAX_FAILURES"],
                                                           current_app.config["SECOND_STEP_WINDOW_SECONDS"]):
            return _locked_out()
        if account.has_totp:
            auth.begin_second_step(account)
            return redirect(url_for("accounts.sign_in_code", next=next_page))
        auth.sign_in(account, with_totp=False)
        services.record_sign_in(account, services.SignInMethod.PASSWORD)
        return redirect(next_page or url_for("organiser.home"))
    return render_template("accounts/sign_in.html", form=form, problem=None)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN_IN"), key_func=client_key, methods=["POST"], deduct_when=lambda r: _failed())
@_limit_account(_pending_account_key)
def sign_in_code():
    account = auth.pending_account()
    if account is None:
        return redirect(url_for("accounts.sign_in"))
    form = SecondStepForm()
    problem = None
    if form.validate_on_submit():
        try:
            method = services.second_step(account, form.code.data)
        except services.SecondStepLocked:
            _fail()
            auth.end_pending()
            return _locked_out()
        except services.InvalidCode:
            _fail()
            problem = _("That code is not right, or was already used. Wait for the next code and try again.")
        else:
            auth.sign_in(account, with_totp=True)
            if method == services.SignInMethod.RECOVERY_CODE:
                left = services.recovery_codes_left(account)
                flash(ngettext("You used a recovery code. %(count)s is left.", "You used a recovery code. %(count)s are left.",
                               left, count=number(left)))
            return redirect(auth.safe_next(request.args.get("next")) or url_for("organiser.home"))
    # 200 even for a wrong code: the request's transaction must commit the count of wrong codes.
    return render_template("accounts/sign_in_code.html", form=form, problem=problem)


@bp.post("/sign-out")
def sign_out():
    """Sign out: the session ends on the server too, so a copy of the cookie stops working.

    This ends the member's sessions on other devices as well (the epoch is per account).
    """
    # CSRFProtect has checked the form token before the view runs.
    me = auth.current_account()
    if me is not None:
        services.end_sessions(me)
    auth.sign_out()
    return redirect(url_for("accounts.sign_in"))


@bp.post("/account/sign-out-everywhere")
@auth.login_required
def sign_out_everywhere():
    if EmptyForm().validate_on_submit():
        services.end_sessions(auth.current_account())
        auth.sign_out()
        flash(_("You are signed out on every device."))
        return redirect(url_for("accounts.sign_in"))
    return redirect(url_for("accounts.account"))


# --- account recovery ----------------------------------------------------------

@bp.route("/sign-in/forgot", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_PASSWORD_RESET"), key_func=client_key, methods=["POST"])
@limiter.limit(configured_limit("RATELIMIT_PASSWORD_RESET_EMAIL"), key_func=_reset_address_key, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        # The same page whether or not the address has an account.
        minutes = max(1, current_app.config["PASSWORD_RESET_MAX_AGE"] // 60)
        return render_template("accounts/forgot_password_sent.html", minutes=minutes)
    return render_template("accounts/forgot_password.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN_IN"), key_func=client_key, methods=["POST"])
def reset_password(token):
    """GET only shows the form (mail scanners fetch links); POST sets the password."""
    try:
        account = services.account_from_reset_token(token)
    except services.ResetLinkUnusable:
        return render_template("accounts/reset_unusable.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(account, form.new.data)
        # Not signed in here: an account with a second factor still needs its code.
        auth.sign_out()
        flash(_("Your password is changed and every session has ended. Sign in with the new password."))
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_password.html", form=form), 400 if form.errors else 200


# --- the member's own account ----------------------------------------------

@bp.route("/account", methods=["GET", "POST"])
@auth.login_required
@_limit_account(_signed_in_account_key)
def account():
    me = auth.current_account()
    profile = ProfileForm(prefix="profile", obj=me)
    password = PasswordForm(prefix="password")
    problem = None
    if "profile-name" in request.form and profile.validate_on_submit():
        me.name, me.language = profile.name.data, profile.language.data
        flash(_("Saved."))
        return redirect(url_for("accounts.account"))
    if "password-new" in request.form and password.validate_on_submit():
        try:
            services.change_password(me, password.current.data, password.new.data)
        except services.InvalidCredentials:
            _fail()
            problem = _("Your current password is not right.")
        else:
            # Every other session ends; this one carries on under the new epoch.
            auth.sign_in(me, with_totp=auth.totp_is_fresh())
            flash(_("Your password is changed. Other sessions have been signed out."))
            return redirect(url_for("accounts.account"))
    status = 200 if problem is None and not (profile.errors or password.errors) else 400
    left = services.recovery_codes_left(me) if me.has_totp else None
    return render_template("accounts/account.html", me=me, profile=profile, password=password, problem=problem,
                           memberships=services.memberships_of(me), empty=EmptyForm(), codes_left=left), status


def _two_factor_on_page(me, off=None, codes=None, problem=None, status=200):
    return render_template("accounts/two_factor_on.html", form=off or PasswordAgainForm(prefix="off"),
                           codes_form=codes or PasswordAgainForm(prefix="codes"), problem=problem,
                           left=services.recovery_codes_left(me)), status


def _recovery_codes_page(codes):
    # Shown once, in this response: the codes are never stored in clear, not even in the session cookie.
    return render_template("accounts/recovery_codes.html", codes=codes)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@auth.login_required
@_limit_account(_signed_in_account_key)
def two_factor():
    me = auth.current_account()
    if me.has_totp:
        return _two_factor_on_page(me)
    form = EnableTotpForm()
    problem = None
    # The same key until it is used: a reload (or a second tab) must not make the code already scanned wrong.
    secret = session.get(TOTP_SETUP_KEY)
    if not secret:
        secret = services.new_totp_secret()
        session[TOTP_SETUP_KEY] = secret
    if request.method == "POST" and form.validate_on_submit():
        try:
            codes = services.enrol_totp(me, form.password.data, secret, form.code.data)
        except services.InvalidCredentials:
            _fail()
            problem = _("Your current password is not right.")
        except services.InvalidCode:
            problem = _("That code is not right. Check the time on your phone and try the next code.")
        else:
            session.pop(TOTP_SETUP_KEY, None)
            # Password and code were both shown just now: as good as a sign-in with a second factor.
            auth.mark_totp()
            flash(_("Two-factor authentication is on."))
            return _recovery_codes_page(codes)
    uri = services.totp_uri(me, secret)
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title=_("QR code for your authenticator app")))
    return render_template("accounts/two_factor_setup.html", form=form, secret=secret, qr=qr, problem=problem), (
        400 if problem or form.errors else 200)


@bp.post("/account/two-factor/off")
@auth.login_required
@_limit_account(_signed_in_account_key)
def two_factor_off():
    me = auth.current_account()
    if not me.has_totp:
        return redirect(url_for("accounts.two_factor"))
    form = PasswordAgainForm(prefix="off")
    problem = None
    if form.validate_on_submit():
        done, problem = _with_password_and_code(lambda: services.disable_totp(me, form.password.data, form.code.data))
        if done:
            flash(_("Two-factor authentication is off. Exporting signatures on the web needs it on."))
            return redirect(url_for("accounts.account"))
    return _two_factor_on_page(me, off=form, problem=problem, status=400)


@bp.post("/account/two-factor/recovery-codes")
@auth.login_required
@_limit_account(_signed_in_account_key)
def new_recovery_codes():
    me = auth.current_account()
    if not me.has_totp:
        return redirect(url_for("accounts.two_factor"))
    form = PasswordAgainForm(prefix="codes")
    problem = None
    if form.validate_on_submit():
        codes, problem = _with_password_and_code(
            lambda: services.regenerate_recovery_codes(me, form.password.data, form.code.data))
        if codes:
            return _recovery_codes_page(codes)
    return _two_factor_on_page(me, codes=form, problem=problem, status=400)


def _with_password_and_code(change):
    """Run a change of second factor that needs the password and a current code: (its result or True, problem).

    A wrong password or code uses up the account's allowance of failures.
    """
    try:
        return change() or True, None
    except services.InvalidCredentials:
        _fail()
        return None, _("Your current password is not right.")
    except services.InvalidCode:
        _fail()
        return None, _("That code is not right, or was already used.")


# --- members and invitations ------------------------------------------------

def _organisation_for(organisation_id, wanted):
    """The organisation if the signed-in member has at least the ``wanted`` role in it; 404 otherwise.

    A 404 rather than a 403, so that ids of other organisations reveal nothing.
    """
    me = auth.current_account()
    role = services.role_in(me, organisation_id)
    if role is None or not Role.at_least(role, wanted):
        abort(404)
    return db.session.get(Organisation, organisation_id), role


@bp.route("/org/<int:organisation_id>/members", methods=["GET", "POST"])
@auth.login_required
def members(organisation_id):
    organisation, role = _organisation_for(organisation_id, Role.VIEWER)
    form = InviteForm()
    status = 200
    if request.method == "POST":
        if not Role.at_least(role, Role.OWNER):
            abort(404)
        if form.validate_on_submit():
            try:
                services.invite(organisation, form.email.data, form.role.data, auth.current_account(),
                                current_language())
            except services.AlreadyMember:
                form.email.errors.append(_("This address already belongs to a member."))
                status = 400
            else:
                flash(_("Invitation sent to %(email)s.", email=form.email.data))
                return redirect(url_for("accounts.members", organisation_id=organisation_id))
        else:
            status = 400
    return render_template(
        "accounts/members.html", organisation=organisation, role=role, form=form, empty=EmptyForm(),
        members=organisation.memberships, invitations=services.open_invitations(organisation_id),
        role_form=RoleForm, me=auth.current_account(),
    ), status


def _member(organisation_id, member_id):
    found = db.session.get(Membership, member_id)
    if found is None or found.organisation_id != organisation_id:
        abort(404)
    return found


def _change_member(organisation_id, member_id, form, change, done):
    """Apply an owner's change to one member; the last owner is kept, with a message saying why."""
    _organisation_for(organisation_id, Role.OWNER)
    target = _member(organisation_id, member_id)
    if form.validate_on_submit():
        try:
            change(target)
        except services.LastOwner:
            flash(_("An organisation needs at least one owner. Make someone else an owner first."), "error")
        else:
            flash(done)
    else:
        flash(_("Nothing was changed: please choose one of the roles offered."), "error")
    return redirect(url_for("accounts.members", organisation_id=organisation_id), code=303)


@bp.post("/org/<int:organisation_id>/members/<int:member_id>/role")
@auth.login_required
def change_role(organisation_id, member_id):
    form = RoleForm()
    return _change_member(organisation_id, member_id, form,
                          lambda target: services.set_role(target, form.role.data, auth.current_account()),
                          _("Role changed."))


@bp.post("/org/<int:organisation_id>/members/<int:member_id>/remove")
@auth.login_required
def remove_member(organisation_id, member_id):
    return _change_member(organisation_id, member_id, EmptyForm(),
                          lambda target: services.remove_member(target, auth.current_account()),
                          _("Member removed."))


@bp.post("/org/<int:organisation_id>/invitations/<int:invitation_id>/revoke")
@auth.login_required
def revoke_invitation(organisation_id, invitation_id):
    _organisation_for(organisation_id, Role.OWNER)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation_id:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.revoke_invitation(invitation, auth.current_account())
        flash(_("Invitation withdrawn."))
    return redirect(url_for("accounts.members", organisation_id=organisation_id))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN_IN"), key_func=client_key, methods=["POST"])
def accept_invitation(token):
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationUnusable:
        return render_template("accounts/invitation_unusable.html"), 404
    me = auth.current_account()
    has_account = services.find_account(invitation.email) is not None
    form = AcceptInvitationForm() if me is None and not has_account else EmptyForm()
    if form.validate_on_submit():
        try:
            account = services.accept_invitation(
                invitation, account=me, name=form.data.get("name"), password=form.data.get("password"),
                language=current_language(),
            )
        except services.WrongAccount:
            return render_template("accounts/invitation_wrong_account.html", invitation=invitation), 403
        if me is None:
            auth.sign_in(account, with_totp=False)
        flash(_("Welcome to %(organisation)s.", organisation=invitation.organisation.name))
        return redirect(url_for("organiser.home"))
    status = 400 if form.errors else 200
    return render_template("accounts/invitation.html", invitation=invitation, form=form, me=me,
                           has_account=has_account, token=token), status


@bp.get("/org/<int:organisation_id>/audit")
@auth.login_required
def audit_log(organisation_id):
    organisation, _role = _organisation_for(organisation_id, Role.OWNER)
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before <= MAX_EVENT_ID:
        abort(404)
    events = services.audit_log(organisation_id, before_id=before)
    return render_template("accounts/audit.html", organisation=organisation, events=events)
