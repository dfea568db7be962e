"""Open letters: the public page with its numbered signatories, co-signing, confirmation and withdrawal."""
from functools import wraps

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for

from .. import caching, timeline, withdrawal
from ..extensions import csrf, limiter
from ..i18n import current_language, languages
from ..markup import render_markdown
from ..models import SignatoryKind, SignatoryStatus
from ..texts import petition_text
from ..tokens import TokenExpired, TokenInvalid
from ..ratelimits import client_key, configured_limit, email_key
from . import services
from .documents import counts_line
from .forms import IndividualForm, OrganisationForm

bp = Blueprint("letters", __name__)
csrf.exempt(bp)  # co-signing forms are guarded by forgery.py instead of session tokens

FORMS = {SignatoryKind.ORGANISATION: OrganisationForm, SignatoryKind.INDIVIDUAL: IndividualForm}


def _not_stored(view):
    """Cache-Control: no-store. These pages come from a link in someone's email and say who signed."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers["Cache-Control"] = "no-store"
        return response
    return wrapper


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
                           individuals=individuals, counts=counts_line(organisations, individuals, lang), alternates=_alternates("letters.letter", letter),
                           timeline=timeline.public_timeline(letter, lang))


@bp.route("/<lang:lang>/letter/<slug>/sign/<kind>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN"), key_func=client_key, methods=["POST"])
# Per address too: each submission for an address may mail it, whoever sends it.
@limiter.limit(configured_limit("RATELIMIT_SIGN_EMAIL"), key_func=email_key, methods=["POST"])
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
@_not_stored
def check_inbox(slug):
    return render_template("letters/check_inbox.html", letter=_letter_or_404(slug))


@bp.route("/<lang:lang>/letter/confirm/<token>", methods=["GET", "POST"])
@_not_stored
def confirm(token):
    """GET shows what will be confirmed, POST confirms: a mail scanner that follows links confirms nothing."""
    try:
        if request.method == "POST":
            row, _newly = services.confirm(token)
        else:
            row = services.sign_on_to_confirm(token)
    except TokenExpired:
        return render_template("signing/link_invalid.html"), 410
    except services.DetailsChanged:
        return render_template("signing/link_superseded.html"), 409
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    if row.status != SignatoryStatus.UNCONFIRMED:
        return render_template("letters/confirmed.html", signatory=row)
    return render_template("letters/confirm.html", token=token,
                           entry=services.summary(row, current_language()))


@bp.route("/<lang:lang>/letter/withdraw/<token>", methods=["GET", "POST"])
@_not_stored
def withdraw(token):
    """GET asks, POST withdraws: a mail scanner that follows links must not withdraw anyone."""
    try:
        row = services.sign_on_for_withdrawal(token)
    except (TokenInvalid, TokenExpired):
        return render_template("signing/link_invalid.html"), 400
    if row is None:
        return render_template("letters/withdrawn.html", already=True)
    if request.method != "POST":  # HEAD too: only a POST acts
        return render_template("letters/withdraw.html", token=token, entry=services.summary(row, current_language()))
    withdrawal.withdraw_sign_on(row)
    return render_template("letters/withdrawn.html", already=False)
