"""The organiser's timeline page: record the delivery, responses and the outcome that the public page shows.

Viewers read it; editors and owners record, translate, remove, and turn an
entry into an update draft for signers (sent from the updates page, as any update).
"""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import timeline as public
from ..accounts import auth
from ..accounts.forms import EmptyForm
from ..i18n import number
from ..lookups import part_of_or_404
from ..markup import render_markdown
from ..models import Role, TimelineEntry, TimelineFileKind, utcnow
from . import services, timeline
from .timeline_forms import DeliveryForm, EntryTextForm, OutcomeForm, ResponseForm, uploaded

bp = auth.organiser_blueprint("organiser_timeline", __name__)


@bp.record_once
def _body_limit(state):
    # The request body these forms may send (see BODY_LIMITS in create_app): the larger file plus a long text.
    config = state.app.config
    config["TIMELINE_MAX_CONTENT_LENGTH"] = (max(config["TIMELINE_PHOTO_MAX_BYTES"], config["TIMELINE_PDF_MAX_BYTES"])
                                             + config["TEXT_MAX_CONTENT_LENGTH"])


@bp.context_processor
def _helpers():
    return {"outcome_label": public.outcome_label, "file_kinds": TimelineFileKind, "render_markdown": render_markdown}


def _petition(slug, wanted=Role.VIEWER):
    found = services.petition_for(auth.current_account(), slug, wanted)
    if found is None:
        abort(404)
    return found


def _megabytes(limit):
    return number(round(limit / 2**20, 1))


def _message(error):
    """A refusal in the organiser's words: which field it is about, and what to do."""
    details = error.details
    messages = {
        "future_date": ("happened_on", _("The date cannot be in the future.")),
        "bad_language": ("language", _("Please choose one of the petition's languages.")),
        "bad_outcome": ("outcome", _("Please choose one of the outcomes offered.")),
        "who_missing": ("who", _("Please say who.")),
        "text_missing": ("body", _("Please write what they said, or a summary of it.")),
        "alt_missing": ("photo_alt", _("Please describe the photo for people who cannot see it.")),
        "photo_too_large": ("photo", _("The photo is too large: at most %(size)s MB.",
                                       size=_megabytes(details.get("limit", 0)))),
        "photo_too_many_pixels": ("photo", _("The photo has too many pixels. Please send a smaller one.")),
        "not_a_photo": ("photo", _("This file is not a photo this site can read. Please send a JPEG, PNG or WebP.")),
        "pdf_too_large": ("pdf", _("The PDF is too large: at most %(size)s MB.",
                                   size=_megabytes(details.get("limit", 0)))),
        "not_a_pdf": ("pdf", _("This file is not a PDF.")),
        "no_delivery": ("outcome", _("Record the delivery first: “no answer” counts the days since it.")),
        "before_delivery": ("happened_on", _("This date is before the delivery.")),
    }
    return messages[error.code]


def _refused(form, error):
    name, message = _message(error)
    field = getattr(form, name, None) or form.happened_on
    field.errors = [*field.errors, message]


def _forms(petition, **given):
    languages = petition.languages or [petition.primary_language]
    today = utcnow().date().isoformat()
    forms = {"delivery": DeliveryForm(languages, prefix="delivery", formdata=None, happened_on=today),
             "response": ResponseForm(languages, prefix="response", formdata=None, happened_on=today),
             "outcome": OutcomeForm(languages, prefix="outcome", formdata=None, happened_on=today)}
    forms.update(given)
    return forms


def _page(petition, role, status=200, text_form=None, text_entry_id=None, **forms):
    can_edit = Role.at_least(role, Role.EDITOR)
    entries = public.entries_of(petition.id)
    languages = petition.languages or [petition.primary_language]
    return render_template(
        "organiser/timeline.html", petition=petition, role=role, can_edit=can_edit, entries=entries,
        forms=_forms(petition, **forms),
        text_form=text_form or EntryTextForm(languages, formdata=None), text_entry_id=text_entry_id,
    ), status


@bp.get("/p/<slug>/timeline")
@auth.login_required
def page(slug):
    petition, role = _petition(slug)
    return _page(petition, role)


def _record(slug, kind, form_class, record):
    petition, role = _petition(slug, Role.EDITOR)
    form = form_class(petition.languages or [petition.primary_language], prefix=kind)
    if form.validate_on_submit():
        try:
            record(petition, form, auth.current_account())
        except timeline.TimelineError as error:
            _refused(form, error)
        else:
            flash(_("Recorded. It is on the public page."))
            return redirect(url_for("organiser_timeline.page", slug=slug))
    return _page(petition, role, 400, **{kind: form})


@bp.post("/p/<slug>/timeline/delivery")
@auth.login_required
def delivery(slug):
    def record(petition, form, me):
        timeline.record_delivery(petition, form.day, form.language.data, form.who.data, form.body.data or "", me,
                                 photo=uploaded(form.photo), photo_alt=form.photo_alt.data or "")
    return _record(slug, "delivery", DeliveryForm, record)


@bp.post("/p/<slug>/timeline/response")
@auth.login_required
def response(slug):
    def record(petition, form, me):
        timeline.record_response(petition, form.day, form.language.data, form.who.data, form.body.data or "", me,
                                 pdf=uploaded(form.pdf))
    return _record(slug, "response", ResponseForm, record)


@bp.post("/p/<slug>/timeline/outcome")
@auth.login_required
def outcome(slug):
    def record(petition, form, me):
        timeline.mark_outcome(petition, form.outcome.data, form.day, form.language.data, form.body.data or "", me)
    return _record(slug, "outcome", OutcomeForm, record)


@bp.post("/p/<slug>/timeline/<int:entry_id>/text")
@auth.login_required
def write_text(slug, entry_id):
    petition, role = _petition(slug, Role.EDITOR)
    entry = part_of_or_404(TimelineEntry, entry_id, petition)
    form = EntryTextForm(petition.languages or [petition.primary_language])
    if form.validate_on_submit():
        try:
            timeline.write_text(petition, entry, form.language.data, form.who.data, form.body.data or "",
                                form.photo_alt.data or "")
        except timeline.TimelineError as error:
            name, message = _message(error)
            getattr(form, name, form.language).errors = [message]
        else:
            flash(_("Text saved."))
            return redirect(url_for("organiser_timeline.page", slug=slug))
    return _page(petition, role, 400, text_form=form, text_entry_id=entry.id)


@bp.post("/p/<slug>/timeline/<int:entry_id>/remove")
@auth.login_required
def remove(slug, entry_id):
    petition, _role = _petition(slug, Role.EDITOR)
    entry = part_of_or_404(TimelineEntry, entry_id, petition)
    if EmptyForm().validate_on_submit():
        timeline.remove_entry(petition, entry, auth.current_account())
        flash(_("Removed from the public page."))
    return redirect(url_for("organiser_timeline.page", slug=slug))


@bp.post("/p/<slug>/timeline/<int:entry_id>/mail")
@auth.login_required
def mail(slug, entry_id):
    """Turn the entry into an update draft in each of its languages; the updates page sends it."""
    petition, _role = _petition(slug, Role.EDITOR)
    if petition.is_letter:
        abort(404)  # a letter's co-signers are not sent updates
    entry = part_of_or_404(TimelineEntry, entry_id, petition)
    if EmptyForm().validate_on_submit():
        try:
            update = timeline.draft_update(petition, entry, auth.current_account())
        except timeline.TimelineError:
            flash(_("This entry has already been sent to signers."), "error")
            return redirect(url_for("organiser_timeline.page", slug=slug)), 303
        count = len(update.translations)
        flash(ngettext("Update draft written in %(count)s language. Review it, add the other languages, then press "
                       "“Send”.",
                       "Update draft written in %(count)s languages. Review it, add the other languages, then press "
                       "“Send”.", count, count=number(count)))
        return redirect(url_for("organiser.updates", slug=slug))
    return redirect(url_for("organiser_timeline.page", slug=slug))


@bp.get("/p/<slug>/timeline/files/<int:file_id>")
@auth.login_required
def file(slug, file_id):
    """A file as recorded, for the organisers (the public route serves only public petitions' files)."""
    petition, _role = _petition(slug)
    found = public.file_of(petition.id, file_id)
    if found is None:
        abort(404)
    return public.file_response(found, public=False)
