"""The organiser's pages: petitions list, editor, dashboard, updates, paper signatures, exports.

Every page about a petition goes through ``_petition``, which answers 404
unless the signed-in member's organisation owns it and their role is enough.
"""
from flask import (
    Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext

from .. import charts
from ..accounts import auth
from ..accounts import services as accounts
from ..accounts.forms import EmptyForm
from ..embed.snippets import iframe_snippets
from ..i18n import country_name, current_language, format_percent, language_in_ui, language_name, number
from ..mail import reminders as reminders_mail
from ..mail import updates as updates_mail
from ..mail.health import mail_health
from ..markup import render_markdown
from ..models import PaperBatch, PetitionKind, PetitionStatus, PetitionUpdate, Role, utcnow
from ..signing.forms import SignForm
from ..lookups import part_of_or_404
from ..texts import petition_text, public_counts, text_versions
from . import campaign, exports, protection, services, stats
from . import integrity
from .unlocking import closing, unlock_limited, unlocked
from .forms import (
    ExportForm, NewPetitionForm, PaperCountForm, PaperCsvForm, SendUpdateForm, SettingsForm, TextForm, UpdateForm,
)

bp = auth.organiser_blueprint("organiser", __name__)
MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL integer)


# Button labels, by where the petition goes and where it comes from.
TRANSITION_LABELS = {(PetitionStatus.DRAFT, PetitionStatus.OPEN): _l("Publish and open for signing"),
                     (PetitionStatus.CLOSED, PetitionStatus.OPEN): _l("Reopen for signing"),
                     (PetitionStatus.OPEN, PetitionStatus.CLOSED): _l("Close"),
                     (PetitionStatus.CLOSED, PetitionStatus.DELIVERED): _l("Mark as delivered")}


# The parts of a text a checklist names ("Русский: addressee missing").
FIELD_LABELS = {"title": _l("title"), "addressee": _l("addressee"), "summary": _l("summary"), "body": _l("text"),
                "demands": _l("demands")}


@bp.app_context_processor
def _labels():
    return {"status_label": status_label_for,
            "transition_label": lambda old, new: TRANSITION_LABELS.get((old, new), new),
            "field_label": lambda f: FIELD_LABELS.get(f, f),
            "format_percent": format_percent}


class _AsIfOpen:
    """A petition seen as if open for signing: the preview shows the sign form a reader will get, not "closed"."""

    is_signable = True

    def __init__(self, petition):
        self._petition = petition

    def __getattr__(self, name):
        return getattr(self._petition, name)


def status_label_for(status, kind=PetitionKind.PETITION):
    """A status in words that agree with the kind: Russian «закрыта» (петиция) but «закрыто» (письмо)."""
    if kind == PetitionKind.LETTER:
        labels = {PetitionStatus.DRAFT: pgettext("letter", "Draft"),
                  PetitionStatus.OPEN: pgettext("letter", "Open for signing"),
                  PetitionStatus.CLOSED: pgettext("letter", "Closed"),
                  PetitionStatus.DELIVERED: pgettext("letter", "Delivered")}
    else:
        labels = {PetitionStatus.DRAFT: pgettext("petition", "Draft"),
                  PetitionStatus.OPEN: pgettext("petition", "Open for signing"),
                  PetitionStatus.CLOSED: pgettext("petition", "Closed"),
                  PetitionStatus.DELIVERED: pgettext("petition", "Delivered")}
    return labels.get(status, str(status))


def _petition(slug, wanted=Role.VIEWER):
    found = services.petition_for(auth.current_account(), slug, wanted)
    if found is None:
        abort(404)
    return found


def _editor_message(error):
    messages = {
        "slug_taken": _("This web address is taken. Please choose another."),
        "goal_below_count": ngettext("The goal cannot be below the %(count)s signature already collected.",
                                     "The goal cannot be below the %(count)s signatures already collected.",
                                     error.details.get("count", 0), count=number(error.details.get("count", 0))),
        "primary_without_text": _("Write the text in that language before making it the main language."),
        "bad_transition": _("The petition cannot move to that status from where it is now."),
        "incomplete": _("Some languages are incomplete. Tick the box to publish anyway, or complete them first."),
        "bad_kind": _("Please choose a petition or an open letter."),
    }
    return messages[error.code]


@bp.get("/")
@auth.login_required
def home():
    me = auth.current_account()
    mine = services.petitions_for(me)
    letters = services.letter_figures([p.id for p, _role in mine if p.is_letter])
    items = [(p, role, petition_text(p, current_language())[0], letters.get(p.id)) for p, role in mine]
    return render_template("organiser/home.html", items=items, memberships=accounts.memberships_of(me),
                           me=me, empty=EmptyForm())


@bp.route("/new", methods=["GET", "POST"])
@auth.login_required
def new_petition():
    me = auth.current_account()
    organisations = [m.organisation for m in accounts.memberships_of(me) if Role.at_least(m.role, Role.EDITOR)]
    if not organisations:
        abort(404)
    form = NewPetitionForm(organisations)
    if form.validate_on_submit():
        organisation = next(o for o in organisations if o.id == form.organisation.data)
        try:
            petition = services.create_petition(organisation, form.slug.data, form.primary_language.data,
                                                form.goal.data, form.title.data, kind=form.kind.data)
        except services.EditorError as error:
            form.slug.errors.append(_editor_message(error))
        else:
            return redirect(url_for("organiser.edit_text", slug=petition.slug, code=petition.primary_language))
    return render_template("organiser/new.html", form=form), 400 if form.errors else 200


@bp.get("/p/<slug>/")
@auth.login_required
def dashboard(slug):
    petition, role = _petition(slug)
    lang = current_language()
    missing = services.missing_text(petition)
    common = dict(petition=petition, role=role, text=petition_text(petition, lang)[0], missing=missing,
                  transitions=PetitionStatus.TRANSITIONS[petition.status], empty=EmptyForm(),
                  can_edit=Role.at_least(role, Role.EDITOR),
                  incomplete=[(code, fields) for code, fields in missing.items() if fields])
    if petition.is_letter:
        # A letter counts sign-ons, not signatures: no goal, no chart of confirmations.
        return render_template("organiser/letter_dashboard.html",
                               letter=services.letter_figures([petition.id])[petition.id], **common)
    if petition.status == PetitionStatus.DRAFT:
        # Nothing to count yet: the checklist and the publish button are the page.
        return render_template("organiser/dashboard.html", figures=None, **common)
    figures = stats.dashboard(petition, utcnow())
    chart = charts.daily_signatures_svg(
        figures.per_day, locale=lang, title=_("Confirmed signatures per day"),
        description=_("One bar per day, from the first confirmed signature to today (UTC)."),
        empty_text=_("No confirmed signatures yet."),
    )
    countries = [(country_name(code, lang), count) for code, count in figures.by_country]
    languages = [(language_name(code), count) for code, count in figures.by_language]
    return render_template(
        "organiser/dashboard.html", figures=figures, chart=chart, countries=countries, languages=languages,
        embeds=iframe_snippets(petition),
        reminders=reminders_mail.dashboard_figures(petition),
        mail_health=mail_health(petition.id),
        integrity=integrity.summary(petition, utcnow()),
        **common,
    )


@bp.route("/p/<slug>/settings", methods=["GET", "POST"])
@auth.login_required
def settings(slug):
    petition, _role = _petition(slug, Role.EDITOR)
    form = SettingsForm(petition.languages or [petition.primary_language], obj=petition)
    if form.validate_on_submit():
        try:
            services.update_settings(petition, form.goal.data, form.primary_language.data, form.organisation_name.data)
        except services.EditorError as error:
            field = form.goal if error.code == "goal_below_count" else form.primary_language
            field.errors.append(_editor_message(error))
        else:
            flash(_("Saved."))
            return redirect(url_for("organiser.dashboard", slug=slug))
    return render_template("organiser/settings.html", petition=petition, form=form), 400 if form.errors else 200


@bp.route("/p/<slug>/text/<code>", methods=["GET", "POST"])
@auth.login_required
def edit_text(slug, code):
    petition, _role = _petition(slug, Role.EDITOR)
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    translation = petition.translation(code)
    saved = {}
    if translation is not None:
        saved = {field: getattr(translation, field) for field in ("title", "addressee", "summary", "body")}
        saved["demands"] = "\n".join(translation.demands)
    form = TextForm(data=saved)
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form and petition.published_at is None:
            # A draft's preview is the real page, so what was typed is saved first: nothing is lost on the way.
            services.save_text(petition, code, form.fields(), auth.current_account())
            return redirect(url_for("organiser.preview", slug=slug, code=code))
        if "preview" in request.form:
            # A public petition keeps every saved version, so here the preview does not save: the form comes back as typed.
            preview = render_markdown(form.body.data or "")
        else:
            changed = services.save_text(petition, code, form.fields(), auth.current_account())
            flash(_("Saved.") if changed else _("Nothing changed."))
            return redirect(url_for("organiser.edit_text", slug=slug, code=code))
    return render_template(
        "organiser/text.html", petition=petition, form=form, code=code, preview=preview,
        versions=text_versions(petition, code), languages=current_app.config["LANGUAGES"],
    ), 400 if form.errors else 200


@bp.post("/p/<slug>/status")
@auth.login_required
def change_status(slug):
    petition, _role = _petition(slug, Role.EDITOR)
    if EmptyForm().validate_on_submit():
        try:
            services.change_status(petition, request.form.get("status", ""),
                                   incomplete_ok=request.form.get("incomplete_ok") == "y")
        except services.EditorError as error:
            flash(_editor_message(error), "error")
            return redirect(url_for("organiser.dashboard", slug=slug)), 303
        flash(_("Status changed."))
    return redirect(url_for("organiser.dashboard", slug=slug))


@bp.get("/p/<slug>/preview/<code>")
@auth.login_required
def preview(slug, code):
    """The public page as it will look, for any status (drafts are seen only here)."""
    petition, _role = _petition(slug)
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    if petition.is_letter:
        text, fallback = petition_text(petition, code)
        return render_template("organiser/preview.html", petition=petition, text=text, fallback=fallback,
                               body_html=render_markdown(text.body))
    # The real public page, as a reader of ``code`` sees it, with its form and links made inert;
    # the banner above it stays in the organiser's language.
    banner = {"heading": _("Preview"),
              "notice": _("This is the real page as readers of this language will see it; nothing on it works "
                          "here. Status: %(status)s.", status=status_label_for(petition.status, petition.kind)),
              "back": _("Back to the dashboard"), "edit": _("Edit this text"), "languages": _("Languages")}
    ui_language = current_language()
    with force_locale(code):
        text, fallback = petition_text(petition, code)
        count, next_goal = public_counts(petition)
        page = render_template(
            "organiser/preview_page.html", petition=_AsIfOpen(petition), text=text, fallback=fallback,
            body_html=render_markdown(text.body), count=count, next_goal=next_goal, form=SignForm(code),
            alternates=[], notice=None, recent=[], edited_at=None, updates=[], banner=banner, preview_code=code,
            preview_languages=[(other, language_name(other)) for other in petition.languages],
            banner_language=ui_language,
        )
    return page


def _update_id(name):
    """An update's id from the form, or 404 (PostgreSQL would refuse to look up a number this large)."""
    update_id = request.form.get(name, type=int)
    if update_id is None or not 0 < update_id <= MAX_ID:
        abort(404)
    return update_id


@bp.route("/p/<slug>/updates", methods=["GET", "POST"])
@auth.login_required
def updates(slug):
    """Updates are written as drafts, in every language, and sent only when an organiser presses "Send"."""
    petition, role = _petition(slug)
    recipients = campaign.recipients_by_language(petition.id)
    form = UpdateForm(_update_languages(petition, recipients))
    if request.method == "POST":
        if not Role.at_least(role, Role.EDITOR):
            abort(404)
        if form.validate_on_submit():
            if "update" in request.form:
                update = part_of_or_404(PetitionUpdate, _update_id("update"), petition)
                campaign.translate_update(update, form.language.data, form.title.data, form.body.data)
                flash(_("Translation saved."))
            else:
                campaign.draft_update(petition, form.language.data, form.title.data, form.body.data,
                                      auth.current_account())
                flash(_("Draft saved. Add the other languages, then press “Send”."))
            return redirect(url_for("organiser.updates", slug=slug))
    return _updates_page(petition, role, form, recipients)


def _update_languages(petition, recipients):
    # Signers may read a page in a language the petition has no text in: their update can still be written in it.
    offered = current_app.config["LANGUAGES"]
    return petition.languages + [c for c in recipients if c in offered and c not in petition.languages]


def _updates_page(petition, role, form, recipients, send_form=None, refused_id=None):
    """The updates page; ``refused_id``: the draft whose "Send" was refused, shown with ``send_form``'s errors."""
    items = [(u, campaign.untranslated_for(u, recipients) if u.is_draft else [])
             for u in campaign.updates_of(petition.id)]
    send_form = send_form or SendUpdateForm()
    return render_template("organiser/updates.html", petition=petition, form=form, role=role, items=items,
                           recipients=[(code, language_in_ui(code), n) for code, n in recipients.items()],
                           send_form=send_form, refused_id=refused_id,
                           protected=protection.is_protected(petition.organisation_id),
                           can_edit=Role.at_least(role, Role.EDITOR)), \
        400 if form.errors or send_form.errors else 200


@bp.post("/p/<slug>/updates/send")
@auth.login_required
@unlock_limited
def send_update(slug):
    """Send a draft. A protected organisation's signers' addresses are sealed: the code and the key's
    passphrase are asked on "Send", and the whole mailing is queued at once while the key is unlocked."""
    petition, role = _petition(slug, Role.EDITOR)
    update = part_of_or_404(PetitionUpdate, _update_id("update"), petition)
    form = SendUpdateForm()
    if not form.validate_on_submit():
        return redirect(url_for("organiser.updates", slug=slug))
    opener = None
    if protection.is_protected(petition.organisation_id):
        me = auth.current_account()
        # Unlocked before anything changes: a refused passphrase is committed (audited) by ``unlocked``.
        opener = unlocked(petition, form, "update", me) if me.has_totp else None
        if opener is None:
            if not me.has_totp:
                form.code.errors = [_("Turn on two-factor authentication to unlock your organisation's key.")]
            recipients = campaign.recipients_by_language(petition.id)
            return _updates_page(petition, role, UpdateForm(_update_languages(petition, recipients)), recipients,
                                 form, update.id)
    try:
        campaign.send_update(update, campaign.recipients_by_language(petition.id),
                             untranslated_ok=form.untranslated_ok.data)
        if opener is not None:
            updates_mail.queue_all_now(update, opener)
    except campaign.UpdateError as error:
        if error.code == "already_sent":
            flash(_("This update has already been sent."), "error")
        else:
            names = ", ".join(language_in_ui(code) for code in error.details["languages"])
            flash(_("Not sent: no text yet in %(languages)s. Add it, or tick “Send anyway”.", languages=names),
                  "error")
        return redirect(url_for("organiser.updates", slug=slug)), 303
    finally:
        if opener is not None:
            opener.close()
    flash(_("Update published. Signers who asked for updates will receive it by email."))
    return redirect(url_for("organiser.updates", slug=slug))


@bp.post("/p/<slug>/updates/discard")
@auth.login_required
def discard_update(slug):
    petition, _role = _petition(slug, Role.EDITOR)
    update = part_of_or_404(PetitionUpdate, _update_id("update"), petition)
    if EmptyForm().validate_on_submit():
        try:
            campaign.discard_update(update)
        except campaign.UpdateError:
            flash(_("This update has already been sent."), "error")
            return redirect(url_for("organiser.updates", slug=slug)), 303
        flash(_("Draft deleted."))
    return redirect(url_for("organiser.updates", slug=slug))


def _paper_problem_text(problem):
    texts = {
        "columns": _("line %(line)s: expected three columns (name, city, country): %(text)s"),
        "name": _("line %(line)s: the name is empty: %(text)s"),
        "too_long": _("line %(line)s: the name or city is too long: %(text)s"),
        "country": _("line %(line)s: country not recognised: %(text)s"),
    }
    return texts[problem.code] % {"line": problem.line, "text": problem.text}


@bp.route("/p/<slug>/paper", methods=["GET", "POST"])
@auth.login_required
def paper(slug):
    petition, role = _petition(slug)
    count_form = PaperCountForm(prefix="count")
    csv_form = PaperCsvForm(prefix="csv")
    problems = []
    if request.method == "POST":
        if not Role.at_least(role, Role.EDITOR):
            abort(404)
        me = auth.current_account()
        if "count-count" in request.form and count_form.validate_on_submit():
            campaign.record_paper_count(petition, count_form.count.data, count_form.note.data, me)
            flash(_("Paper signatures added."))
            return redirect(url_for("organiser.paper", slug=slug))
        if "csv-note" in request.form and csv_form.validate_on_submit():
            upload = csv_form.file.data
            data = upload.read() if upload else b""
            try:
                batch = campaign.import_paper_csv(petition, data, csv_form.note.data, me)
            except campaign.PaperImportRefused as refused:
                reasons = {
                    "encoding": _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."),
                    "malformed": _("The file is not a readable CSV file."),
                    "empty": _("The file contains no signatures."),
                    "too_many": _("The file has too many lines for one import."),
                }
                problems = [reasons[refused.reason]] if refused.reason else \
                    [_paper_problem_text(p) for p in refused.problems]
                if refused.more:
                    problems.append(ngettext("… and %(count)s more line with a problem.",
                                             "… and %(count)s more lines with problems.",
                                             refused.more, count=number(refused.more)))
            else:
                flash(ngettext("%(count)s paper signature imported.", "%(count)s paper signatures imported.",
                               batch.count, count=number(batch.count)))
                return redirect(url_for("organiser.paper", slug=slug))
    status = 400 if (problems or count_form.errors or csv_form.errors) else 200
    return render_template("organiser/paper.html", petition=petition, role=role, count_form=count_form,
                           csv_form=csv_form, problems=problems, batches=campaign.paper_batches(petition.id),
                           empty=EmptyForm(), can_edit=Role.at_least(role, Role.EDITOR)), status


@bp.post("/p/<slug>/paper/<int:batch_id>/delete")
@auth.login_required
def delete_paper(slug, batch_id):
    petition, _role = _petition(slug, Role.EDITOR)
    batch = part_of_or_404(PaperBatch, batch_id, petition)
    if EmptyForm().validate_on_submit():
        campaign.delete_paper_batch(petition, batch)
        flash(_("Paper signatures removed."))
    return redirect(url_for("organiser.paper", slug=slug))


@bp.route("/p/<slug>/export", methods=["GET", "POST"])
@auth.login_required
@unlock_limited
def export(slug):
    """Delivery exports. Personal data: editors and owners only, signed in with a second factor.

    A protected organisation's export also asks for a fresh code and the passphrase of its key.
    """
    petition, _role = _petition(slug, Role.EDITOR)
    me = auth.current_account()
    form = ExportForm(language=current_language())
    ready = me.has_totp and auth.totp_is_fresh()
    protected = protection.is_protected(petition.organisation_id)
    if request.method == "POST" and ready and form.validate_on_submit():
        opener = unlocked(petition, form, "export", me) if protected else None
        if opener is not None or not protected:
            try:
                export = exports.start(petition, form.format.data, form.language.data, form.with_emails.data, me,
                                       opener=opener)
            except BaseException:
                if opener is not None:
                    opener.close()  # nothing will stream: ``closing`` below would never run
                raise
            response = Response(stream_with_context(closing(export.chunks, opener)), mimetype=export.mimetype)
            response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
    return render_template("organiser/export.html", petition=petition, form=form, me=me, ready=ready,
                           protected=protected, count=exports.count(petition)), 400 if form.errors else 200
