"""The organiser's side of an open letter: moderation, bulk import, order, and the letter as a document."""
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext

from ..accounts import auth
from ..i18n import current_language, format_date, number
from ..markup import render_markdown
from ..models import LetterSignatory, Role, SignatoryKind, utcnow
from ..organiser import protection
from ..organiser.forms import UnlockForm
from ..organiser.services import petition_for
from ..organiser.unlocking import unlock_limited, unlocked
from ..lookups import part_of_or_404
from ..texts import petition_text
from . import documents, importing, importing_labels, services

bp = auth.organiser_blueprint("organiser_letters", __name__)


@bp.context_processor
def _helpers():
    return {"place_label": lambda row: services.place_of(row, current_language()), "website_href": website_href}


def website_href(website):
    """A link for the website a signer typed ("spring96.org" → https://spring96.org), or None if it is no web address.

    Only http and https: a "javascript:" address stays text.
    """
    website = (website or "").strip()
    if website.lower().startswith(("https://", "http://")):
        return website
    if website and "://" not in website and ":" not in website.split("/")[0] and " " not in website \
            and "." in website.split("/")[0]:
        return "https://" + website
    return None


def _letter(slug, wanted):
    found = petition_for(auth.current_account(), slug, wanted)
    if found is None or not found[0].is_letter:
        abort(404)
    return found


FLAG_LABELS = {
    "free_mail": lambda: _("sent from a free email address"),
    "domain_mismatch": lambda: _("the email domain differs from the website's"),
    "already_signed": lambda: _("this name has already signed"),
}
@bp.get("/p/<slug>/signatories")
@auth.login_required
def signatories(slug):
    letter, role = _letter(slug, Role.EDITOR)
    return _moderation_page(letter, UnlockForm())


def _moderation_page(letter, form, opened=None, status=200):
    """The moderation page; ``opened``: sealed contact details by row id, opened for this view only."""
    queue = [(row, [FLAG_LABELS[f]() for f in found]) for row, found in services.moderation_queue(letter)]
    return render_template("letters/moderation.html", petition=letter, queue=queue, opened=opened or {},
                           protected=protection.is_protected(letter.organisation_id), unlock_form=form,
                           approved=services.approved(letter), problems=None), status


@bp.post("/p/<slug>/signatories/unlock")
@auth.login_required
@unlock_limited
def unlock(slug):
    """Show the waiting sign-ons' sealed contact details, for this one view (the key is dropped after it)."""
    letter, _role = _letter(slug, Role.EDITOR)
    form = UnlockForm()
    if not form.validate_on_submit():
        return _moderation_page(letter, form, status=400)
    opener = unlocked(letter, form, "moderation", auth.current_account())
    if opener is None:
        return _moderation_page(letter, form, status=400)
    try:
        opened = {row.id: opener.open_row(row.sealing_key_id, row.sealed)
                  for row, _flags in services.moderation_queue(letter) if row.sealed is not None}
    finally:
        opener.close()
    return _moderation_page(letter, form, opened)


@bp.post("/p/<slug>/signatories/<int:signatory_id>/decide")
@auth.login_required
@unlock_limited
def decide(slug, signatory_id):
    """A decision; on a sealed sign-on it needs the key, unlocked for the one email that tells the signer."""
    letter, _role = _letter(slug, Role.EDITOR)
    row = part_of_or_404(LetterSignatory, signatory_id, letter)
    decision, note = request.form.get("decision", ""), request.form.get("note", "").strip()
    if decision == "reject" and request.form.get("confirmed") != "y":
        # A rejection cannot be taken back and mails the signer: one more step, which needs no JavaScript.
        # A sealed sign-on's code and passphrase are asked for on that step, never carried through it.
        return render_template("organiser/reject_confirm.html", petition=letter, row=row, note=note,
                               unlock_form=UnlockForm() if row.sealed is not None else None)
    opener = None
    if row.sealed is not None:
        form = UnlockForm()
        opener = unlocked(letter, form, "moderation", auth.current_account()) if form.validate_on_submit() else None
        if opener is None:
            flash(_("Nothing was changed: the code or the passphrase was not right."), "error")
            return redirect(url_for("organiser_letters.signatories", slug=slug)), 303
    try:
        services.decide(letter, row, decision, note, auth.current_account(), opener=opener)
    except services.LetterError as error:
        messages = {
            "duplicate": _("An organisation with this name is already listed."),
            "already_decided": _("This signature has already been decided."),
            "bad_decision": _("Nothing was changed: please choose approve, ask for changes or reject."),
        }
        flash(messages[error.code], "error")
        return redirect(url_for("organiser_letters.signatories", slug=slug)), 303
    finally:
        if opener is not None:
            opener.close()
    flash(_("Decision saved. The signer has been told by email."))
    return redirect(url_for("organiser_letters.signatories", slug=slug))


def _pasted_list(slug):
    """(text, kind) of the list in the form: the file if one was given, else the text box."""
    upload = request.files.get("file")
    text = request.form.get("lines", "")
    if upload and upload.filename:
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            flash(_("The file is not UTF-8 text. Save it as UTF-8 and try again."), "error")
            return None, None
    return text, request.form.get("kind", SignatoryKind.ORGANISATION)


@bp.post("/p/<slug>/signatories/import")
@auth.login_required
def import_list(slug):
    """The preview of a pasted list: each line as it would be listed, and the choices it needs. Stores nothing."""
    letter, _role = _letter(slug, Role.EDITOR)
    text, kind = _pasted_list(slug)
    if text is None:
        return redirect(url_for("organiser_letters.signatories", slug=slug)), 303
    try:
        lines = importing.preview(letter, text, kind)
    except services.LetterError:
        abort(400)
    return render_template("letters/import_preview.html", petition=letter, kind=kind, text=text,
                           lines=[importing_labels.shown(line, current_language()) for line in lines])


@bp.post("/p/<slug>/signatories/import/confirm")
@auth.login_required
def import_confirm(slug):
    """Save the previewed list with the organiser's choices; report every line that was not saved."""
    letter, _role = _letter(slug, Role.EDITOR)
    decisions = {int(key[7:]): value for key, value in request.form.items()
                 if key.startswith("choice-") and key[7:].isdigit() and len(key) < 15}
    try:
        outcome = importing.save(letter, request.form.get("lines", ""), request.form.get("kind", ""), decisions)
    except services.LetterError:
        abort(400)
    saved = len(outcome.saved)
    flash(ngettext("%(count)s signatory imported.", "%(count)s signatories imported.", saved, count=number(saved)))
    if not outcome.reported:
        return redirect(url_for("organiser_letters.signatories", slug=slug))
    problems = [importing_labels.shown(line, current_language()) for line in outcome.reported]
    return render_template("letters/moderation.html", petition=letter, queue=[], approved=services.approved(letter),
                           problems=problems)


@bp.post("/p/<slug>/signatories/order")
@auth.login_required
def order(slug):
    letter, _role = _letter(slug, Role.EDITOR)
    positions = {}
    for key, value in request.form.items():
        # ASCII digits only: int() of "²" raises, and "١٢" is no order anyone typed here.
        if key.startswith("position-") and key[9:].isascii() and key[9:].isdigit() \
                and value.strip().isascii() and value.strip().isdigit():
            positions[int(key[9:])] = min(int(value), 1_000_000)
    try:
        services.set_order(letter, request.form.get("mode", ""), positions)
    except services.LetterError:
        abort(400)
    flash(_("Order saved."))
    return redirect(url_for("organiser_letters.signatories", slug=slug))


@bp.get("/p/<slug>/letter.<fmt>")
@auth.login_required
def document(slug, fmt):
    """The letter with its numbered signatories, as HTML or PDF, in ``?lang=`` (public data only)."""
    letter, _role = _letter(slug, Role.VIEWER)
    lang = request.args.get("lang") or current_language()
    if lang not in current_app.config["LANGUAGES"] or fmt not in ("html", "pdf"):
        abort(404)
    text = petition_text(letter, lang)[0]
    organisations, individuals = services.public_lists(letter, lang)
    now = utcnow()
    filename = f"{letter.slug}-{lang}.{fmt}"
    if fmt == "pdf":
        body = documents.letter_pdf(letter, text, lang, organisations, individuals, now)
        response = Response(body, mimetype="application/pdf")
    else:
        with force_locale(lang):
            html = render_template("letters/document.html", letter=letter, text=text, language=lang,
                                   body_html=render_markdown(text.body), organisations=organisations,
                                   individuals=individuals, date=format_date(now, "long"),
                                   counts=documents.counts_line(organisations, individuals, lang))
        response = Response(html, mimetype="text/html")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
