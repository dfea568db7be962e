"""Open letters: the public page with its numbered signatories, co-signing, and confirmation."""
from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from .. import caching
from ..extensions import csrf, limiter
from ..i18n import current_language, languages
from ..markup import render_markdown
from ..models import SignatoryKind
from ..signing.services import petition_text
from ..tokens import TokenExpired, TokenInvalid
from ..web import client_key, configured_limit
from . import services
from .documents import counts_line
from .forms import IndividualForm, OrganisationForm

bp = Blueprint("letters", __name__)
csrf.exempt(bp)  # co-signing forms are guarded by forgery.py instead of session tokens

FORMS = {SignatoryKind.ORGANISATION: OrganisationForm, SignatoryKind.INDIVIDUAL: IndividualForm}


def _letter_or_404(slug):
    letter = services.find_public_letter(slug)
    if letter is None:
        abort(404)
    return letter


def _alternates(endpoint, letter, **values):
    offered = languages()
    return [(code, url_for(endpoint, lang=code, slug=letter.slug, **values))
            for code in letter.languages if code in offered]


@bp.get("/<lang:lang>/letter/<slug>")
@caching.public
def letter(slug):
    letter = _letter_or_404(slug)
    lang = current_language()
    text, fallback = petition_text(letter, lang)
    organisations, individuals = services.public_lists(letter, lang)
    return render_template("letters/letter.html", letter=letter, text=text, fallback=fallback,
                           body_html=render_markdown(text.body), organisations=organisations,
                           individuals=individuals, counts=counts_line(organisations, individuals, lang), alternates=_alternates("letters.letter", letter))


@bp.route("/<lang:lang>/letter/<slug>/sign/<kind>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN"), key_func=client_key, methods=["POST"])
@caching.public  # the GET; a POST is never kept
def sign(slug, kind):
    letter = _letter_or_404(slug)
    if kind not in FORMS:
        abort(404)
    lang = current_language()
    form = FORMS[kind](lang)
    text, _fallback = petition_text(letter, lang)
    status = 200
    if not letter.is_signable:
        return render_template("letters/sign.html", letter=letter, text=text, form=form, kind=kind, closed=True), 409
    if form.is_submitted():
        done = redirect(url_for("letters.check_inbox", slug=slug), code=303)
        if form.looks_automated(current_app.config["FORM_MIN_SECONDS"]):
            return done
        if form.validate():
            data = form.data  # each kind of form has only some of the optional fields
            details = services.SignOn(
                kind=kind, name=data["name"], countries=form.chosen_countries(), email=data["email"],
                **{key: data.get(key) or "" for key in ("title", "website", "contact_name", "contact_role")},
            )
            services.sign_on(letter, details, lang)
            return done
        status = 400
    return render_template("letters/sign.html", letter=letter, text=text, form=form, kind=kind, closed=False,
                           alternates=_alternates("letters.sign", letter, kind=kind)), status


@bp.get("/<lang:lang>/letter/<slug>/check-inbox")
def check_inbox(slug):
    return render_template("letters/check_inbox.html", letter=_letter_or_404(slug))


@bp.get("/<lang:lang>/letter/confirm/<token>")
def confirm(token):
    try:
        row, _newly = services.confirm(token)
    except TokenExpired:
        return render_template("signing/link_invalid.html"), 410
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    return render_template("letters/confirmed.html", signatory=row)
