"""The organisation's subscribers ("keep me informed"): how many, in which languages, and mailing them.

Members see the figures; editors and owners write drafts in every
language; only owners send. A protected organisation's addresses are
sealed, so "Send" asks for a fresh code and the key's passphrase, as an
update mailing does (unlocking.py), and queues the whole mailing at once.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import subscribers
from ..accounts import auth
from ..accounts import services as accounts
from ..accounts.forms import EmptyForm
from ..extensions import db
from ..i18n import language_in_ui
from ..models import Organisation, Role, SubscriberMailing
from ..subscribers import mailings
from . import protection
from .subscriber_forms import MailingForm, SendMailingForm
from .unlocking import unlock_limited, unlocked

bp = auth.organiser_blueprint("organiser_subscribers", __name__)
MAX_ID = 2**31 - 1


@bp.app_context_processor
def _subscriber_figures():
    # The organiser home lists each organisation with its confirmed subscribers (one indexed count each).
    return {"confirmed_subscribers": subscribers.confirmed_count}


class _OrganisationScope:
    """What ``unlocking.unlocked`` reads of a petition: the organisation whose key it opens. A mailing has no
    petition, so the audit line names none."""

    def __init__(self, organisation_id):
        self.organisation_id = organisation_id


def _organisation(organisation_id, wanted=Role.VIEWER):
    """(organisation, the member's role) if they are at least ``wanted`` in it; 404 otherwise, so ids say nothing."""
    role = accounts.role_in(auth.current_account(), organisation_id)
    if role is None or not Role.at_least(role, wanted):
        abort(404)
    return db.session.get(Organisation, organisation_id), role


def _mailing(organisation):
    """The mailing the form names, if it is this organisation's; 404 otherwise."""
    mailing_id = request.form.get("mailing", type=int)
    mailing = db.session.get(SubscriberMailing, mailing_id) if mailing_id and 0 < mailing_id <= MAX_ID else None
    if mailing is None or mailing.organisation_id != organisation.id:
        abort(404)
    return mailing


def _page(organisation, role, form=None, send_form=None, refused_id=None):
    recipients = subscribers.recipients_by_language(organisation.id)
    items = [(m, mailings.untranslated_for(m, recipients) if m.is_draft else [])
             for m in mailings.mailings_of(organisation.id)]
    form = form or MailingForm()
    send_form = send_form or SendMailingForm()
    return render_template(
        "organiser/subscribers.html", organisation=organisation, role=role, form=form, send_form=send_form,
        refused_id=refused_id, items=items, confirmed=sum(recipients.values()),
        recipients=[(code, language_in_ui(code), n) for code, n in recipients.items()],
        stopped=subscribers.stopped_count(organisation.id), protected=protection.is_protected(organisation.id),
        can_edit=Role.at_least(role, Role.EDITOR), can_send=Role.at_least(role, Role.OWNER),
    ), 400 if form.errors or send_form.errors else 200


@bp.route("/org/<int:organisation_id>/subscribers", methods=["GET", "POST"])
@auth.login_required
def subscribers_page(organisation_id):
    """The figures and the mailings; a POST saves a draft, or a draft's text in another language."""
    organisation, role = _organisation(organisation_id)
    form = MailingForm()
    if request.method == "POST":
        if not Role.at_least(role, Role.EDITOR):
            abort(404)
        if form.validate_on_submit():
            if "mailing" in request.form:
                try:
                    mailings.translate(_mailing(organisation), form.language.data, form.subject.data, form.body.data)
                except mailings.MailingError:
                    flash(_("This email has already been sent."), "error")
                    return redirect(url_for(".subscribers_page", organisation_id=organisation_id)), 303
                flash(_("Translation saved."))
            else:
                mailings.draft(organisation, form.language.data, form.subject.data, form.body.data,
                               auth.current_account())
                flash(_("Draft saved. Add the other languages, then press “Send”."))
            return redirect(url_for(".subscribers_page", organisation_id=organisation_id))
    return _page(organisation, role, form)


@bp.post("/org/<int:organisation_id>/subscribers/send")
@auth.login_required
@unlock_limited
def send(organisation_id):
    """Owners send a draft. When protection is on, the code and passphrase unlock the key for this mailing only."""
    organisation, role = _organisation(organisation_id, Role.OWNER)
    mailing = _mailing(organisation)
    form = SendMailingForm()
    if not form.validate_on_submit():
        return redirect(url_for(".subscribers_page", organisation_id=organisation_id))
    opener = None
    if protection.is_protected(organisation.id):
        me = auth.current_account()
        # Unlocked before anything changes: a refused passphrase is committed (audited) by ``unlocked``.
        opener = unlocked(_OrganisationScope(organisation.id), form, "subscribers", me) if me.has_totp else None
        if opener is None:
            if not me.has_totp:
                form.code.errors = [_("Turn on two-factor authentication to unlock your organisation's key.")]
            return _page(organisation, role, send_form=form, refused_id=mailing.id)
    try:
        mailings.send(mailing, subscribers.recipients_by_language(organisation.id),
                      untranslated_ok=form.untranslated_ok.data)
        if opener is not None:
            mailings.queue_all_now(mailing, opener)
    except mailings.MailingError as error:
        if error.code == "already_sent":
            flash(_("This email has already been sent."), "error")
        else:
            names = ", ".join(language_in_ui(code) for code in error.details["languages"])
            flash(_("Not sent: no text yet in %(languages)s. Add it, or tick “Send anyway”.", languages=names),
                  "error")
        return redirect(url_for(".subscribers_page", organisation_id=organisation_id)), 303
    finally:
        if opener is not None:
            opener.close()
    flash(_("Sent. Confirmed subscribers will receive it by email, each in their language."))
    return redirect(url_for(".subscribers_page", organisation_id=organisation_id))


@bp.post("/org/<int:organisation_id>/subscribers/discard")
@auth.login_required
def discard(organisation_id):
    organisation, _role = _organisation(organisation_id, Role.EDITOR)
    mailing = _mailing(organisation)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".subscribers_page", organisation_id=organisation_id))
    try:
        mailings.discard(mailing)
    except mailings.MailingError:
        flash(_("This email has already been sent."), "error")
        return redirect(url_for(".subscribers_page", organisation_id=organisation_id)), 303
    flash(_("Draft deleted."))
    return redirect(url_for(".subscribers_page", organisation_id=organisation_id))
