"""Public pages: the petition, signing, and the confirmation link."""
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db, limiter
from ..i18n import best_language, current_language, languages
from ..markup import render_markdown
from ..models import Petition, PetitionStatus
from ..security import email_hash
from ..tokens import TokenExpired, TokenInvalid
from . import services
from .forms import SignForm

bp = Blueprint("signing", __name__)


def _sign_limit():
    return current_app.config["RATELIMIT_SIGN"]


def _sign_email_limit():
    return current_app.config["RATELIMIT_SIGN_EMAIL"]


def _resend_limit():
    return current_app.config["RATELIMIT_RESEND"]


def _email_key():
    # Per-address limit, keyed on the same keyed hash used for uniqueness.
    return "email:" + email_hash(current_app.config["SECRET_KEY"], request.form.get("email", ""))


def _token_key():
    # The first part of a token is its payload: the same for every link to one signature.
    return "resend:" + request.form.get("token", "").split(".", 1)[0][:100]


def _petition_or_404(slug):
    petition = services.find_public_petition(slug)
    if petition is None:
        abort(404)
    return petition


def _reading_languages(petition):
    """Languages this petition can be read in with a full interface: written in and offered."""
    offered = languages()
    return [lang for lang in petition.languages if lang in offered]


def _page(petition, form, status=200, notice=None):
    lang = current_language()
    text, fallback = services.petition_text(petition, lang)
    count, next_goal = services.public_counts(petition)
    alternates = [(code, url_for("signing.petition", lang=code, slug=petition.slug))
                  for code in _reading_languages(petition)]
    context = dict(
        petition=petition, text=text, fallback=fallback, body_html=render_markdown(text.body),
        count=count, next_goal=next_goal, form=form, alternates=alternates, notice=notice,
    )
    return render_template("signing/petition.html", **context), status


@bp.get("/")
def root():
    return _vary(redirect(url_for("signing.index", lang=best_language(languages(), current_app.config["DEFAULT_LANGUAGE"]))))


@bp.get("/<lang:lang>/")
def index():
    petitions = db.session.scalars(
        select(Petition).where(Petition.status == PetitionStatus.OPEN).order_by(Petition.created_at.desc()).limit(50)
    ).all()
    lang = current_language()
    items = [(p, services.petition_text(p, lang)[0], services.public_counts(p)) for p in petitions]
    alternates = [(code, url_for("signing.index", lang=code)) for code in languages()]
    return render_template("signing/index.html", items=items, alternates=alternates)


@bp.get("/p/<slug>")
def petition_redirect(slug):
    petition = _petition_or_404(slug)
    readable = _reading_languages(petition)
    fallback = readable[0] if readable else current_app.config["DEFAULT_LANGUAGE"]
    lang = best_language(readable, fallback) if readable else fallback
    return _vary(redirect(url_for("signing.petition", lang=lang, slug=slug)))


def _vary(response):
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.route("/<lang:lang>/p/<slug>", methods=["GET", "POST"])
@limiter.limit(_sign_limit, methods=["POST"])
@limiter.limit(_sign_email_limit, key_func=_email_key, methods=["POST"])
def petition(slug):
    petition = _petition_or_404(slug)
    form = SignForm(current_language())
    if request.method == "GET":
        return _page(petition, form)
    if not petition.is_signable:
        return _page(petition, form, status=409, notice="closed")
    if not form.validate():
        return _page(petition, form, status=400)
    details = services.SignerDetails(
        full_name=form.full_name.data, email=form.email.data, country=form.country.data,
        city=form.city.data or None, show_name=form.show_name.data, wants_updates=form.wants_updates.data,
    )
    services.sign(petition, details, current_language())
    return redirect(url_for("signing.check_inbox", slug=slug), code=303)


@bp.get("/<lang:lang>/p/<slug>/check-inbox")
def check_inbox(slug):
    petition = _petition_or_404(slug)
    text, _ = services.petition_text(petition, current_language())
    return render_template("signing/check_inbox.html", petition=petition, text=text)


@bp.get("/<lang:lang>/confirm/<token>")
def confirm(token):
    try:
        signature, newly = services.confirm(token)
    except TokenExpired:
        return render_template("signing/link_expired.html", token=token), 410
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    except services.PetitionNotSignable:
        return render_template("signing/petition_closed.html"), 409
    petition = signature.petition
    text, _ = services.petition_text(petition, current_language())
    count, next_goal = services.public_counts(petition)
    return render_template(
        "signing/confirmed.html", petition=petition, text=text, newly=newly, count=count, next_goal=next_goal,
    )


@bp.post("/<lang:lang>/confirm/resend")
@limiter.limit(_resend_limit, key_func=_token_key)
def resend():
    token = request.form.get("token", "")
    try:
        services.resend_confirmation(token)
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    # The same page whether or not a message went out: the limit on re-sends
    # is not something to reveal or to probe.
    return render_template("signing/check_inbox.html", petition=None, text=None)


@bp.app_template_global()
def page_alternates():
    """This page in every interface language, for pages that do not name their own."""
    rule = request.url_rule
    # A confirmation link is not a page to offer in other languages: it acts once.
    if rule is None or "lang" not in rule.arguments or request.method != "GET" or request.endpoint == "signing.confirm":
        return []
    return [(code, url_for(request.endpoint, **{**(request.view_args or {}), "lang": code})) for code in languages()]


@bp.before_app_request
def _remember_language_for_errors():
    # Error pages raised before routing (404 on an unknown path) still learn the prefix.
    if "lang" not in g and request.path.count("/") >= 2:
        prefix = request.path.split("/", 2)[1]
        if prefix in languages():
            g.lang = prefix
