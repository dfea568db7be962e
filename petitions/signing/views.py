"""Public pages: the petition, signing, and the confirmation link."""
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from sqlalchemy import select

from flask_limiter.util import get_remote_address

from .. import privacy
from ..extensions import db, limiter
from ..i18n import best_language, country_name, current_language, languages
from ..mail import messages
from ..markup import render_markdown
from ..models import Petition, PetitionStatus
from ..security import email_hash
from ..tokens import TokenExpired, TokenInvalid, erasure_tokens
from . import services
from .forms import EmailForm, SignForm

bp = Blueprint("signing", __name__)


def _sign_limit():
    return current_app.config["RATELIMIT_SIGN"]


def _sign_email_limit():
    return current_app.config["RATELIMIT_SIGN_EMAIL"]


def _resend_limit():
    return current_app.config["RATELIMIT_RESEND"]


def client_key():
    """Rate-limit key for the client: a keyed hash, so no raw address reaches the limiter's storage."""
    return "client:" + privacy.client_hash(get_remote_address())


def _email_key():
    # Per-address limit, keyed on the same keyed hash used for uniqueness.
    return "email:" + email_hash(current_app.config["HASH_KEY"], request.form.get("email", ""))


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
    recent = [(name, country_name(code, lang))
              for name, code in privacy.recent_public_signers(petition.id, current_app.config["RECENT_SIGNERS_SHOWN"])]
    context = dict(
        petition=petition, text=text, fallback=fallback, body_html=render_markdown(text.body),
        count=count, next_goal=next_goal, form=form, alternates=alternates, notice=notice, recent=recent,
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
@limiter.limit(_sign_limit, key_func=client_key, methods=["POST"])
@limiter.limit(_sign_email_limit, key_func=_email_key, methods=["POST"])
def petition(slug):
    petition = _petition_or_404(slug)
    form = SignForm(current_language())
    if request.method == "GET":
        return _page(petition, form)
    if not petition.is_signable:
        return _page(petition, form, status=409, notice="closed")
    done = redirect(url_for("signing.check_inbox", slug=slug), code=303)
    if form.looks_automated(current_app.config["FORM_MIN_SECONDS"]):
        # Dropped without a word: to the sender it looks exactly like success.
        return done
    if not form.validate():
        return _page(petition, form, status=400)
    details = services.SignerDetails(
        full_name=form.full_name.data, email=form.email.data, country=form.country.data,
        city=form.city.data or None, show_name=form.show_name.data, wants_updates=form.wants_updates.data,
        public_name=form.public_name_choice(),
    )
    services.sign(petition, details, current_language(), ip_hash=privacy.client_hash(get_remote_address()))
    return done


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
    except services.TokenSuperseded:
        return render_template("signing/link_superseded.html"), 409
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
@limiter.limit(_resend_limit, key_func=client_key)
def resend():
    token = request.form.get("token", "")
    try:
        services.resend_confirmation(token)
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    # The same page whether or not a message went out: the limit on re-sends
    # is not something to reveal or to probe.
    return render_template("signing/check_inbox.html", petition=None, text=None)


@bp.route("/<lang:lang>/withdraw/<token>", methods=["GET", "POST"])
def withdraw(token):
    """GET asks, POST withdraws: a mail scanner that follows links must not withdraw anyone."""
    try:
        signature = services.signature_for_withdrawal(token)
    except (TokenInvalid, TokenExpired):
        return render_template("signing/link_invalid.html"), 400
    if signature is None:
        return render_template("signing/withdrawn.html", already=True)
    text, _ = services.petition_text(signature.petition, current_language())
    if request.method == "GET":
        return render_template("signing/withdraw.html", text=text, token=token)
    withdrawn = privacy.withdraw(signature)
    return render_template("signing/withdrawn.html", already=not withdrawn, text=text)


def _erase_limit():
    return current_app.config["RATELIMIT_ERASE"]


def _erase_email_limit():
    return current_app.config["RATELIMIT_ERASE_EMAIL"]


@bp.route("/<lang:lang>/my-data", methods=["GET", "POST"])
@limiter.limit(_erase_limit, key_func=client_key, methods=["POST"])
@limiter.limit(_erase_email_limit, key_func=_email_key, methods=["POST"])
def erase_request():
    """Ask for everything about an address to be erased; the owner confirms by email."""
    form = EmailForm()
    if request.method == "GET" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("signing/erase_request.html", form=form), status
    key = email_hash(current_app.config["HASH_KEY"], form.email.data)
    found = privacy.signatures_of(key)
    # Mail goes only to an address that signed, and the page is the same either way.
    if found:
        token = erasure_tokens(current_app).make({"h": key})
        url = services.external_url("signing.erase", lang=current_language(), token=token)
        messages.queue_erasure_request(form.email.data, current_language(), url, len(found))
    return render_template("signing/check_inbox.html", petition=None, text=None, erasure=True)


@bp.route("/<lang:lang>/erase/<token>", methods=["GET", "POST"])
def erase(token):
    try:
        payload = erasure_tokens(current_app).read(token)
    except (TokenInvalid, TokenExpired):
        return render_template("signing/link_invalid.html"), 400
    key = payload.get("h") if isinstance(payload, dict) else None
    if not isinstance(key, str):
        return render_template("signing/link_invalid.html"), 400
    if request.method == "GET":
        return render_template("signing/erase_confirm.html", token=token, count=len(privacy.signatures_of(key)))
    erased = privacy.erase_everything(key)
    return render_template("signing/erased.html", count=erased)


@bp.app_template_global()
def page_alternates():
    """This page in every interface language, for pages that do not name their own."""
    rule = request.url_rule
    # Links with tokens are not pages to offer in other languages.
    if rule is None or "lang" not in rule.arguments or request.method != "GET" or "token" in rule.arguments:
        return []
    return [(code, url_for(request.endpoint, **{**(request.view_args or {}), "lang": code})) for code in languages()]


@bp.before_app_request
def _remember_language_for_errors():
    # Error pages raised before routing (404 on an unknown path) still learn the prefix.
    if "lang" not in g and request.path.count("/") >= 2:
        prefix = request.path.split("/", 2)[1]
        if prefix in languages():
            g.lang = prefix
