"""The organiser's pages: petitions list, editor, dashboard, updates, paper signatures, exports.

Every page about a petition goes through ``_petition``, which answers 404
unless the signed-in member's organisation owns it and their role is enough.
"""
from flask import (
    Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for,
)
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from .. import charts
from ..accounts import auth
from ..accounts import services as accounts
from ..accounts.forms import EmptyForm
from ..embed.snippets import iframe_snippets
from ..i18n import country_name, current_language, language_name, number
from ..mail import updates as updates_mail
from ..markup import render_markdown
from ..models import PaperBatch, PetitionStatus, PetitionUpdate, Role, utcnow
from ..signing.services import petition_text, text_versions
from ..web import part_of_or_404
from . import campaign, exports, protection, services, stats
from .unlocking import closing, unlock_limited, unlocked
from .forms import (
    ExportForm, NewPetitionForm, PaperCountForm, PaperCsvForm, SettingsForm, TextForm, UpdateForm,
)

bp = auth.organiser_blueprint("organiser", __name__)


STATUS_LABELS = {PetitionStatus.DRAFT: _l("Draft"), PetitionStatus.OPEN: _l("Open for signing"),
                 PetitionStatus.CLOSED: _l("Closed"), PetitionStatus.DELIVERED: _l("Delivered")}
# Button labels, by where the petition goes and where it comes from.
TRANSITION_LABELS = {(PetitionStatus.DRAFT, PetitionStatus.OPEN): _l("Publish and open for signing"),
                     (PetitionStatus.CLOSED, PetitionStatus.OPEN): _l("Reopen for signing"),
                     (PetitionStatus.OPEN, PetitionStatus.CLOSED): _l("Close"),
                     (PetitionStatus.CLOSED, PetitionStatus.DELIVERED): _l("Mark as delivered")}


@bp.app_context_processor
def _labels():
    return {"status_label": lambda s: STATUS_LABELS.get(s, s),
            "transition_label": lambda old, new: TRANSITION_LABELS.get((old, new), new),
            "format_percent": format_percent}


def _petition(slug, wanted=Role.VIEWER):
    found = services.petition_for(auth.current_account(), slug, wanted)
    if found is None:
        abort(404)
    return found


def _editor_message(error):
    messages = {
        "slug_taken": _("This web address is taken. Please choose another."),
        "goal_below_count": _("The goal cannot be below the %(count)s signatures already collected.",
                              count=error.details.get("count", 0)),
        "primary_without_text": _("Write the text in that language before making it the main language."),
        "bad_transition": _("The petition cannot move to that status from where it is now."),
    }
    return messages[error.code]


@bp.get("/")
@auth.login_required
def home():
    me = auth.current_account()
    items = [(p, role, petition_text(p, current_language())[0]) for p, role in services.petitions_for(me)]
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
                                                form.goal.data, form.title.data, current_app.config["COUNTER_SHARDS"])
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
    figures = stats.dashboard(petition, utcnow())
    chart = charts.daily_signatures_svg(
        figures.per_day, locale=lang, title=_("Confirmed signatures per day"),
        description=_("One bar per day, from the first confirmed signature to today (UTC)."),
        empty_text=_("No confirmed signatures yet."),
    )
    countries = [(country_name(code, lang), count) for code, count in figures.by_country]
    languages = [(language_name(code), count) for code, count in figures.by_language]
    return render_template(
        "organiser/dashboard.html", petition=petition, role=role, figures=figures, chart=chart,
        countries=countries, languages=languages, text=petition_text(petition, lang)[0],
        transitions=services.TRANSITIONS[petition.status], missing=services.missing_text(petition),
        empty=EmptyForm(), can_edit=Role.at_least(role, Role.EDITOR),
        embeds=iframe_snippets(petition) if petition.kind != "letter" else None,
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
        if "preview" in request.form:
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
            services.change_status(petition, request.form.get("status", ""))
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
    text, fallback = petition_text(petition, code)
    return render_template("organiser/preview.html", petition=petition, text=text, fallback=fallback,
                           body_html=render_markdown(text.body))


@bp.route("/p/<slug>/updates", methods=["GET", "POST"])
@auth.login_required
@unlock_limited
def updates(slug):
    petition, role = _petition(slug)
    form = UpdateForm(petition.languages)
    protected = protection.is_protected(petition.organisation_id)
    if request.method == "POST":
        if not Role.at_least(role, Role.EDITOR):
            abort(404)
        if form.validate_on_submit():
            update_id = request.form.get("update", type=int)
            if update_id:
                update = part_of_or_404(PetitionUpdate, update_id, petition)
                campaign.translate_update(update, form.language.data, form.title.data, form.body.data)
                flash(_("Translation saved."))
            elif protected:
                # The signers' addresses are sealed: the mailing is queued now, with the key unlocked for it.
                me = auth.current_account()
                opener = unlocked(petition, form, "update", me) if me.has_totp else None
                if opener is None:
                    if not me.has_totp:
                        form.code.errors = [_("Turn on two-factor authentication to unlock your organisation's key.")]
                    return _updates_page(petition, form, role, protected)
                try:
                    update = campaign.post_update(petition, form.language.data, form.title.data, form.body.data, me)
                    updates_mail.queue_all_now(update, opener)
                finally:
                    opener.close()
                flash(_("Update published. Signers who asked for updates will receive it by email."))
            else:
                campaign.post_update(petition, form.language.data, form.title.data, form.body.data,
                                     auth.current_account())
                flash(_("Update published. Signers who asked for updates will receive it by email."))
            return redirect(url_for("organiser.updates", slug=slug))
    return _updates_page(petition, form, role, protected)


def _updates_page(petition, form, role, protected):
    return render_template("organiser/updates.html", petition=petition, form=form, role=role, protected=protected,
                           updates=campaign.updates_of(petition.id), can_edit=Role.at_least(role, Role.EDITOR)), \
        400 if form.errors else 200


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
            export = exports.start(petition, form.format.data, form.language.data, form.with_emails.data, me,
                                   opener=opener)
            response = Response(stream_with_context(closing(export.chunks, opener)), mimetype=export.mimetype)
            response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
            return response
    return render_template("organiser/export.html", petition=petition, form=form, me=me, ready=ready,
                           protected=protected, count=exports.count(petition)), 400 if form.errors else 200
