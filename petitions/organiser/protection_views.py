"""The owner's pages for sealed signer data: turn protection on, see its state, grant copies; a member's own copy.

The recovery kit exists on the server only while the response that shows
it is made: it is never stored, put in the session or logged, and the page
is sent with ``Cache-Control: no-store`` (organiser_blueprint).
"""
import time

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import SQLAlchemyError

from .. import sealing
from ..accounts import auth
from ..accounts import services as accounts
from ..extensions import db
from ..i18n import number
from ..models import Account, Organisation, Role
from . import protection, wizard
from .protection_forms import CopyPassphraseForm, GrantForm, TurnOnForm
from .unlocking import unlock_limited

bp = auth.organiser_blueprint("protection", __name__)

# How long turning protection on waits for signing requests already under way before sealing once more
# (as `petitions keys create` does).
STRAGGLER_SECONDS = 2.0


def _organisation(organisation_id, wanted):
    """The organisation and the signed-in member if their role is at least ``wanted``; 404 otherwise."""
    me = auth.current_account()
    role = accounts.role_in(me, organisation_id)
    if role is None or not Role.at_least(role, wanted):
        abort(404)
    return db.session.get(Organisation, organisation_id), me


def _refused(form, refused, fields):
    """Put a refusal's message on the form field it is about; keep its audit line although the answer is a 400."""
    g.unlock_refused = True
    messages = {
        wizard.PASSWORD: _("Your password is not right."),
        wizard.CODE: _("That code is not right, or was already used."),
        wizard.PASSPHRASE: _("That passphrase does not open your organisation's key."),
        wizard.WEAK: ngettext("A passphrase needs at least %(count)s character. A few unrelated words are easy to "
                              "remember and hard to guess.",
                              "A passphrase needs at least %(count)s characters. A few unrelated words are easy to "
                              "remember and hard to guess.",
                              sealing.MIN_PASSPHRASE_LENGTH, count=number(sealing.MIN_PASSPHRASE_LENGTH)),
    }
    getattr(form, fields[refused.reason]).errors = [messages[refused.reason]]
    db.session.commit()


def _grant_form(organisation, me, **kwargs):
    form = GrantForm(**kwargs)
    form.member.choices = [(m.account_id, f"{m.account.name} ({m.account.email})")
                           for m in wizard.grantable_members(organisation, me)]
    return form


def _holders(organisation_id):
    """Names of who holds a copy of the key; the operator's copy (command line) has no account."""
    holders = sealing.wrap_holders(organisation_id)
    names = sorted(a.name for a in db.session.query(Account).filter(Account.id.in_(holders - {None})))
    if None in holders:
        names.append(_("The operator (a copy made on the command line)"))
    return names


def _page(organisation, me, turn_on_form=None, grant_form=None):
    status = protection.status(organisation)
    return render_template(
        "organiser/protection.html", organisation=organisation, me=me, status=status,
        holders=_holders(organisation.id) if status["protected"] else [],
        turn_on_form=turn_on_form or TurnOnForm(), grant_form=grant_form or _grant_form(organisation, me),
        min_length=sealing.MIN_PASSPHRASE_LENGTH,
    )


@bp.route("/org/<int:organisation_id>/protection", methods=["GET", "POST"])
@auth.login_required
@unlock_limited
def protection_page(organisation_id):
    """Owners only: whether protection is on, its fingerprint, sealed and plain rows; the form that turns it on."""
    organisation, me = _organisation(organisation_id, Role.OWNER)
    form = TurnOnForm()
    if request.method == "POST" and me.has_totp and form.validate_on_submit():
        try:
            kit = wizard.turn_on(organisation, me, form.password.data, form.code.data, form.passphrase.data)
        except wizard.Refused as refused:
            _refused(form, refused, {wizard.PASSWORD: "password", wizard.CODE: "code", wizard.WEAK: "passphrase"})
        except sealing.AlreadyProtected:
            db.session.rollback()
            flash(_("Protection is already on. Nothing was changed."))
            return redirect(url_for("protection.protection_page", organisation_id=organisation_id))
        else:
            return _kit_once(organisation, kit)
    return _page(organisation, me, turn_on_form=form), 400 if form.errors else 200


def _kit_once(organisation, kit):
    """The page with the recovery kit, made before the commit so protection is never on without it shown.

    Then the rest of what `petitions keys create` does: seal rows stored plain
    by requests that read "protection off" just before the commit, and
    rewrite the database files so no blanked value survives in them.
    """
    key = sealing.organisation_key(organisation.id)
    page = render_template("organiser/protection_kit.html", organisation=organisation, kit=kit,
                           fingerprint=key.fingerprint,
                           filename=f"recovery-kit-{key.fingerprint.replace(' ', '')[:8]}.txt")
    db.session.commit()
    time.sleep(STRAGGLER_SECONDS)
    protection.seal_stragglers(organisation)
    db.session.commit()  # the session's connection goes back to the pool: VACUUM needs no open transaction
    try:
        protection.erase_leftovers(db.engine)
    except SQLAlchemyError as error:
        # Protection is on and committed: the owner must still see the kit. The mail worker truncates
        # the WAL later; the operator can run `petitions keys status` and VACUUM by hand.
        current_app.logger.warning("protection on, but rewriting the database files failed: %s", type(error).__name__)
    return page


@bp.post("/org/<int:organisation_id>/protection/grant")
@auth.login_required
@unlock_limited
def grant(organisation_id):
    """An owner gives an editor or owner a copy of the key, unlocking it with their own passphrase and a code."""
    organisation, me = _organisation(organisation_id, Role.OWNER)
    if not protection.is_protected(organisation.id):
        abort(404)
    form = _grant_form(organisation, me)
    if me.has_totp and form.validate_on_submit():
        member = db.session.get(Account, form.member.data)
        try:
            wizard.grant(organisation, me, member, form.code.data, form.passphrase.data, form.new_passphrase.data)
        except wizard.Refused as refused:
            _refused(form, refused, {wizard.CODE: "code", wizard.PASSPHRASE: "passphrase",
                                     wizard.WEAK: "new_passphrase"})
        else:
            flash(_("%(name)s now holds a copy of the key. Tell them its passphrase by another channel than email, "
                    "and ask them to change it.", name=member.name))
            return redirect(url_for("protection.protection_page", organisation_id=organisation_id))
    return _page(organisation, me, grant_form=form), 400


@bp.route("/org/<int:organisation_id>/protection/my-copy", methods=["GET", "POST"])
@auth.login_required
@unlock_limited
def my_copy(organisation_id):
    """Editors and owners: whether they hold a copy of the key, and changing its passphrase."""
    organisation, me = _organisation(organisation_id, Role.EDITOR)
    key = sealing.organisation_key(organisation.id)
    holds = key is not None and wizard.holds_copy(organisation.id, me)
    form = CopyPassphraseForm()
    if request.method == "POST" and holds and form.validate_on_submit():
        try:
            wizard.change_passphrase(organisation, me, form.current.data, form.new_passphrase.data)
        except wizard.Refused as refused:
            _refused(form, refused, {wizard.PASSPHRASE: "current", wizard.WEAK: "new_passphrase"})
        else:
            flash(_("The passphrase of your copy of the key is changed."))
            return redirect(url_for("protection.my_copy", organisation_id=organisation_id))
    return render_template("organiser/protection_copy.html", organisation=organisation, holds=holds, form=form,
                           fingerprint=key.fingerprint if key else None,
                           min_length=sealing.MIN_PASSPHRASE_LENGTH), 400 if form.errors else 200
