"""Public pages: the petition, signing, and the confirmation link."""
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import caching, counting, privacy
from ..extensions import csrf, db, limiter
from ..i18n import best_language, country_name, current_language, languages
from ..markup import render_markdown
from ..models import Petition, PetitionStatus, SignatureStatus
from ..models.petition import title_in
from ..tokens import TokenExpired, TokenInvalid
from ..web import client_key, configured_limit, email_key, petition_or_404
from . import services
from .forms import EmailForm, SignForm

bp = Blueprint("signing", __name__)
csrf.exempt(bp)  # supporters' forms are guarded by forgery.py instead of session tokens

# Pages reached by one person's link, or about one person's address: no cache
# may keep them, neither a shared proxy nor the browser's history.
_NEVER_STORED = frozenset({
    "signing.check_inbox", "signing.confirm", "signing.resend", "signing.withdraw", "signing.unsubscribe",
    "signing.erase_request", "signing.erase",
})


@bp.after_request
def _never_store_personal_pages(response):
    # Here rather than in each view so that error pages (403, 429) are covered too.
    if request.endpoint in _NEVER_STORED:
        response.headers["Cache-Control"] = "no-store"
    return response


def _token_key():
    # The first part of a token is its payload: the same for every link to one signature.
    return "resend:" + request.form.get("token", "").split(".", 1)[0][:100]


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
    updates = [(u, t, render_markdown(t.body)) for u, t in services.public_updates(petition, lang)]
    context = dict(
        petition=petition, text=text, fallback=fallback, body_html=render_markdown(text.body),
        count=count, next_goal=next_goal, form=form, alternates=alternates, notice=notice, recent=recent,
        edited_at=services.last_edited_at(petition, text.language), updates=updates,
    )
    return render_template("signing/petition.html", **context), status


@bp.get("/")
def root():
    return _vary(redirect(url_for("signing.index", lang=best_language(languages(), current_app.config["DEFAULT_LANGUAGE"]))))


@bp.get("/<lang:lang>/")
@caching.public
def index():
    petitions = db.session.scalars(
        select(Petition).options(selectinload(Petition.translations))
        .where(Petition.status == PetitionStatus.OPEN).order_by(Petition.created_at.desc()).limit(50)
    ).all()
    lang = current_language()
    counts = counting.confirmed_counts([p.id for p in petitions])
    items = [(p, services.petition_text(p, lang)[0], counts[p.id]) for p in petitions]
    alternates = [(code, url_for("signing.index", lang=code)) for code in languages()]
    return render_template("signing/index.html", items=items, alternates=alternates)


@bp.get("/p/<slug>")
def petition_redirect(slug):
    petition = petition_or_404(slug)
    readable = _reading_languages(petition)
    fallback = readable[0] if readable else current_app.config["DEFAULT_LANGUAGE"]
    lang = best_language(readable, fallback) if readable else fallback
    endpoint = "letters.letter" if petition.kind == "letter" else "signing.petition"
    return _vary(redirect(url_for(endpoint, lang=lang, slug=slug)))


def _vary(response):
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.route("/<lang:lang>/p/<slug>", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN"), key_func=client_key, methods=["POST"])
@limiter.limit(configured_limit("RATELIMIT_SIGN_EMAIL"), key_func=email_key, methods=["POST"])
@caching.public  # the GET; a POST is never kept
def petition(slug):
    petition = petition_or_404(slug)
    if petition.kind == "letter":
        return redirect(url_for("letters.letter", slug=slug), code=303 if request.method == "POST" else 302)
    form = SignForm(current_language())
    if request.method != "POST":  # a HEAD may carry a form too, and must not sign
        return _page(petition, form)
    if not petition.is_signable:
        return _page(petition, form, status=409, notice="closed")
    if not receive_signature(petition, form):
        return _page(petition, form, status=400)
    return redirect(url_for("signing.check_inbox", slug=slug), code=303)


def receive_signature(petition, form):
    """Take a submitted sign form (the petition page's or a widget's). False: show it again with its errors.

    A submission that looks automated is dropped without a word: to its
    sender it looks exactly like success.
    """
    if form.looks_automated(current_app.config["FORM_MIN_SECONDS"]):
        return True
    if not form.validate():
        return False
    services.sign(petition, form.signer_details(), current_language())
    return True


@bp.get("/<lang:lang>/p/<slug>/versions")
@caching.public
def versions(slug):
    """Every kept version of the text, so a signer can read what they signed."""
    petition = petition_or_404(slug)
    text, _ = services.petition_text(petition, current_language())
    kept = services.text_versions(petition, text.language)
    items = [(v, render_markdown(v.body)) for v in kept]
    alternates = [(code, url_for("signing.versions", lang=code, slug=slug)) for code in _reading_languages(petition)]
    return render_template("signing/versions.html", petition=petition, text=text, items=items, alternates=alternates)


@bp.get("/<lang:lang>/p/<slug>/check-inbox")
def check_inbox(slug):
    return render_template("signing/check_inbox.html", petition=petition_or_404(slug))


@bp.route("/<lang:lang>/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """GET shows what the link would confirm, with one button; only the POST confirms.

    Mail gateways (Safe Links and the like) fetch every link in a message and
    run its scripts: a link that confirmed on GET would let anyone make any
    address "sign", and list its owner's name. So no script presses the
    button either. The POST is checked by forgery.py like every supporter's form.
    """
    pressed = request.method == "POST"
    try:
        signature = services.confirm(token)[0] if pressed else services.signature_to_confirm(token)
    except TokenExpired:
        return render_template("signing/link_expired.html", token=token, form=EmailForm()), 410
    except services.TokenSuperseded:
        return render_template("signing/link_superseded.html"), 409
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    except services.PetitionNotSignable:
        return render_template("signing/petition_closed.html"), 409
    petition = signature.petition
    lang = current_language()
    title_language, title = caching.remembered(("title", petition.id, lang), lambda: title_in(petition.id, lang))
    if not pressed and signature.status == SignatureStatus.PENDING:
        return render_template("signing/confirm.html", token=token, title=title, title_language=title_language,
                               public_name=privacy.public_name(signature))
    count, next_goal = services.public_counts(petition)
    # Every press gets the same thanks, the first or a repeated one (a double
    # click, a reload): only a visit without pressing learns it was done before.
    return render_template(
        "signing/confirmed.html", petition=petition, title=title, title_language=title_language,
        already=not pressed, count=count, next_goal=next_goal,
    )


@bp.post("/<lang:lang>/confirm/resend")
@limiter.limit(configured_limit("RATELIMIT_RESEND"), key_func=_token_key)
@limiter.limit(configured_limit("RATELIMIT_RESEND"), key_func=client_key)
def resend():
    token = request.form.get("token", "")
    # Typed again: the address a sealed signature keeps cannot be read. One that does not match is
    # simply not sent to, on the same page as any other outcome.
    address = (request.form.get("email") or "").strip()[:320] or None
    try:
        services.resend_confirmation(token, address)
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    # The same page whether or not a message went out: the limit on re-sends
    # is not something to reveal or to probe.
    return render_template("signing/check_inbox.html", petition=None)


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
    if request.method != "POST":  # HEAD too: `curl -I` or a scanner must not withdraw anyone
        return render_template("signing/withdraw.html", text=text, token=token)
    withdrawn = privacy.withdraw(signature)
    return render_template("signing/withdrawn.html", already=not withdrawn, text=text)


@bp.route("/<lang:lang>/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """GET asks, POST stops updates (a mail program's one-click unsubscribe POSTs here directly)."""
    if request.method != "POST":
        try:
            services.unsubscribe_preview(token)
        except TokenInvalid:
            return render_template("signing/link_invalid.html"), 400
        return render_template("signing/unsubscribe.html", token=token)
    try:
        services.unsubscribe(token)
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    return render_template("signing/unsubscribed.html")


@bp.route("/<lang:lang>/my-data", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_ERASE"), key_func=client_key, methods=["POST"])
@limiter.limit(configured_limit("RATELIMIT_ERASE_EMAIL"), key_func=email_key, methods=["POST"])
def erase_request():
    """Ask for everything about an address to be erased; the owner confirms by email."""
    form = EmailForm()
    if request.method != "POST" or not form.validate():
        status = 400 if request.method == "POST" else 200
        return render_template("signing/erase_request.html", form=form), status
    privacy.request_erasure(form.email.data, current_language())
    return render_template("signing/check_inbox.html", petition=None, erasure=True)


@bp.route("/<lang:lang>/erase/<token>", methods=["GET", "POST"])
def erase(token):
    try:
        address_hash = privacy.erasure_target(token)
    except (TokenInvalid, TokenExpired):
        return render_template("signing/link_invalid.html"), 400
    if request.method != "POST":
        count = privacy.signature_count_of(address_hash)
        return render_template("signing/erase_confirm.html", token=token, count=count)
    erased = privacy.erase_everything(address_hash)
    return render_template("signing/erased.html", count=erased)
