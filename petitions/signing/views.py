"""Public pages: the petition, signing, and the confirmation link."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from .. import caching, erasure, public_names, timeline, withdrawal
from ..extensions import csrf, db, limiter
from ..i18n import best_language, country_name, current_language, languages
from ..markup import render_markdown
from ..models import Petition, PetitionStatus, SignatureStatus
from ..models.petition import title_in
from ..tokens import TokenExpired, TokenInvalid
from ..lookups import petition_or_404
from ..ratelimits import client_key, configured_limit, email_key
from ..texts import petition_text, public_counts, text_versions
from . import services
from .counter import counter_for, figures
from .forms import EmailForm, SignForm

bp = Blueprint("signing", __name__)
bp.add_app_template_global(figures, "counter_figures")
csrf.exempt(bp)  # supporters' forms are guarded by forgery.py instead of session tokens

# Pages reached by one person's link, or about one person's address: no cache
# may keep them, neither a shared proxy nor the browser's history.
_NEVER_STORED = frozenset({
    "signing.check_inbox", "signing.confirm", "signing.resend", "signing.withdraw", "signing.unsubscribe",
    "signing.erase_request", "signing.erase", "signing.resend_to_inbox",
})


@bp.after_request
def _never_store_personal_pages(response):
    # Here rather than in each view so that error pages (403, 429) are covered too.
    if request.endpoint in _NEVER_STORED or (request.endpoint == "signing.petition" and request.method == "POST"):
        # A signing POST answers with the check-inbox page, which shows the (masked) address.
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
    text, fallback = petition_text(petition, lang)
    count, next_goal = public_counts(petition)
    alternates = [(code, url_for("signing.petition", lang=code, slug=petition.slug))
                  for code in _reading_languages(petition)]
    recent = [(name, country_name(code, lang))
              for name, code in public_names.recent_public_signers(petition.id, current_app.config["RECENT_SIGNERS_SHOWN"])]
    updates = [(u, t, render_markdown(t.body)) for u, t in services.public_updates(petition, lang)]
    context = dict(
        petition=petition, text=text, fallback=fallback, body_html=render_markdown(text.body),
        count=count, next_goal=next_goal, form=form, alternates=alternates, notice=notice, recent=recent,
        edited_at=services.last_edited_at(petition, text.language), updates=updates,
        timeline=timeline.public_timeline(petition, lang),
    )
    return render_template("signing/petition.html", **context), status


@bp.get("/")
def root():
    return _vary(redirect(url_for("signing.index", lang=best_language(languages(), current_app.config["DEFAULT_LANGUAGE"]))))


INDEX_PAGE_SIZE = 20


def _listed_status(value):
    return value if value in services.LISTED_STATUSES else PetitionStatus.OPEN


def _listing_sort(value):
    return value if value in services.ListingSort.ALL else services.ListingSort.SIGNATURES


def _search(value):
    return " ".join((value or "").split())[:services.SEARCH_MAX]


def _page_number(value):
    # ASCII digits only: "²" is a digit to str.isdigit() and a ValueError to int().
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 6 and int(value) > 0 else 1


@bp.get("/<lang:lang>/")
@caching.public(query={"status": _listed_status, "sort": _listing_sort, "q": _search, "page": _page_number})
def index():
    """Every public petition and letter, by status, most signed or newest first, searchable without script."""
    status, sort = _listed_status(request.args.get("status")), _listing_sort(request.args.get("sort"))
    search, page = _search(request.args.get("q")), _page_number(request.args.get("page"))
    items, found = services.list_public(status, sort, search, page, current_language(), INDEX_PAGE_SIZE)
    pages = max(1, -(-found // INDEX_PAGE_SIZE))
    if page > pages:
        abort(404)

    def link(**changes):
        args = {"status": status, "sort": sort, "q": search, "page": page, **changes}
        defaults = {"status": PetitionStatus.OPEN, "sort": services.ListingSort.SIGNATURES, "q": "", "page": 1}
        return url_for("signing.index", **{k: v for k, v in args.items() if v != defaults[k]})

    alternates = [(code, url_for("signing.index", lang=code)) for code in languages()]
    return render_template("signing/index.html", items=items, found=found, status=status, sort=sort,
                           search=search, page=page, pages=pages, link=link, statuses=services.LISTED_STATUSES,
                           sorts=services.ListingSort, alternates=alternates)


@bp.get("/p/<slug>")
def petition_redirect(slug):
    petition = petition_or_404(slug)
    readable = _reading_languages(petition)
    fallback = readable[0] if readable else current_app.config["DEFAULT_LANGUAGE"]
    lang = best_language(readable, fallback) if readable else fallback
    endpoint = "letters.letter" if petition.is_letter else "signing.petition"
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
    if petition.is_letter:
        return redirect(url_for("letters.letter", slug=slug), code=303 if request.method == "POST" else 302)
    form = SignForm(current_language())
    if request.method != "POST":  # a HEAD may carry a form too, and must not sign
        return _page(petition, form)
    if not petition.is_signable:
        return _page(petition, form, status=409, notice="closed")
    # The check-inbox page is this POST's answer, not a redirect: the address it
    # shows (masked) then never travels in a URL or a cookie.
    page = services.receive_signature(
        petition, form, lambda: _check_inbox_page(petition, services.inbox_ticket(petition, form.email.data or "")))
    return _page(petition, form, status=400) if page is None else page


def _check_inbox_page(petition, ticket):
    _, _, masked = services.read_inbox_ticket(ticket)
    return render_template("signing/check_inbox.html", petition=petition, masked=masked, ticket=ticket,
                           address_needed=services.address_needed_to_resend(petition))


@bp.get("/<lang:lang>/p/<slug>/versions")
@caching.public
def versions(slug):
    """Every kept version of the text, so a signer can read what they signed."""
    petition = petition_or_404(slug)
    text, _ = petition_text(petition, current_language())
    kept = text_versions(petition, text.language)
    items = [(v, render_markdown(v.body)) for v in kept]
    alternates = [(code, url_for("signing.versions", lang=code, slug=slug)) for code in _reading_languages(petition)]
    return render_template("signing/versions.html", petition=petition, text=text, items=items, alternates=alternates)


@bp.get("/<lang:lang>/p/<slug>/check-inbox")
def check_inbox(slug):
    return render_template("signing/check_inbox.html", petition=petition_or_404(slug))


def _ticket_key():
    # A ticket's payload part is the same for every ticket of one address on one petition.
    return "inbox:" + request.form.get("ticket", "").split(".", 1)[0][:200]


@bp.post("/<lang:lang>/p/<slug>/check-inbox")
@limiter.limit(configured_limit("RATELIMIT_RESEND"), key_func=_ticket_key)
@limiter.limit(configured_limit("RATELIMIT_RESEND"), key_func=client_key)
def resend_to_inbox(slug):
    """The check-inbox page's "send it again": the same page whether or not an email went out."""
    petition = petition_or_404(slug)
    ticket = request.form.get("ticket", "")
    try:
        services.resend_from_inbox(petition, ticket, (request.form.get("email") or "").strip()[:320] or None)
    except (TokenInvalid, TokenExpired):
        return render_template("signing/check_inbox.html", petition=petition, expired_ticket=True), 400
    return _check_inbox_page(petition, ticket)


@bp.route("/<lang:lang>/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """GET shows what the link would confirm, with one button; only the POST confirms.

    Mail gateways (Safe Links and the like) fetch every link in a message and
    run its scripts: a link that confirmed on GET would let anyone make any
    address "sign", and list its owner's name. So no script presses the
    button either. The POST is checked by forgery.py like every supporter's form.
    """
    pressed = request.method == "POST"
    too_soon = False
    thanks = []
    try:
        if pressed:
            signature, newly = services.confirm(
                token, stamp=request.form.get("served"), before_writing=lambda petition, count:
                thanks.append(_thanks_page(petition, count, already=False)))
            if thanks and newly:  # not when a withdrawal or an invalidation got there between the check and the write
                return thanks[0]
        else:
            signature = services.signature_to_confirm(token)
    except services.PressedTooSoon:
        # A scanner submitting what it finds, or (rarely) a very quick person: show the button again.
        signature, too_soon = services.signature_to_confirm(token), True
    except TokenExpired:
        return render_template("signing/link_expired.html", token=token, form=EmailForm()), 410
    except services.TokenSuperseded:
        return render_template("signing/link_superseded.html"), 409
    except services.SignatureWithdrawn as withdrawn:
        return _withdrawn_page(withdrawn.petition, already=True), 410
    except services.SignatureInvalidated:
        return render_template("signing/signature_invalidated.html"), 409
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    except services.PetitionNotSignable:
        return render_template("signing/petition_closed.html"), 409
    petition = signature.petition
    lang = current_language()
    # Still pending after a press: a withdrawal and a new signature got in between; its button again, never thanks.
    if too_soon or signature.status == SignatureStatus.PENDING:
        title_language, title = caching.remembered(("title", petition.id, lang), lambda: title_in(petition.id, lang))
        return render_template("signing/confirm.html", token=token, title=title, title_language=title_language,
                               public_name=public_names.public_name(signature), served=services.confirm_page_stamp(),
                               press_again=too_soon)
    return _thanks_page(petition, public_counts(petition)[0], already=not pressed)


# Where the thanks page's counter goes. A comment no text can put in a page: every text is escaped.
_COUNTER_SLOT = "<!--counter-->"


def _thanks_page(petition, count, already):
    """Every press gets the same thanks, the first or a repeated one (a double
    click, a reload): only a visit without pressing learns it was done before.

    ``petition`` is a Petition or the PetitionFacts a press read (slug, goal, paper count).
    Everything but the counter is the same for every reader of a language, so
    it is kept like a page (the whole page had cost a third of a confirmation),
    and so is the counter, with holes its numbers fill (signing/counter.py).
    """
    lang = current_language()
    page = caching.remembered(("thanks", petition.id, lang, already),
                              lambda: _thanks_frame(db.session.get(Petition, petition.id), lang, already))
    counter = counter_for(petition, count, lambda next_goal, shown: render_template(
        "signing/_counter.html", petition=petition, next_goal=next_goal, figures=shown))
    return page.replace(_COUNTER_SLOT, counter, 1)


def _thanks_frame(petition, lang, already):
    """The thanks page with ``_COUNTER_SLOT`` where its counter goes."""
    return render_template("signing/confirmed.html", petition=petition, shared=_thanks_share(petition, lang),
                           already=already, counter=Markup(_COUNTER_SLOT))


def _thanks_share(petition, lang):
    """The thanks page's link to the petition and its share links, rendered once for every reader of ``lang``."""
    text, _ = petition_text(petition, lang)
    return {
        "title": Markup('<p lang="{}"><a href="{}">{}</a></p>').format(
            text.language, url_for("signing.petition", lang=lang, slug=petition.slug), text.title),
        "links": Markup(render_template("sharing/_links.html", petition=petition, text=text)),
    }


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
    if signature is None:  # erased: nothing is left that names a petition
        return render_template("signing/withdrawn.html", already=True)
    petition = signature.petition
    if signature.status == SignatureStatus.WITHDRAWN:
        return _withdrawn_page(petition, already=True)
    text, _ = petition_text(petition, current_language())
    if request.method != "POST":  # HEAD too: `curl -I` or a scanner must not withdraw anyone
        return render_template("signing/withdraw.html", text=text, token=token)
    withdrawn = withdrawal.withdraw(signature)
    return _withdrawn_page(petition, already=not withdrawn)


def _withdrawn_page(petition, already):
    """Where a withdrawal ends: back to the petition, and the way to sign again while it is open."""
    text, _ = petition_text(petition, current_language())
    return render_template("signing/withdrawn.html", already=already, petition=petition, text=text)


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
    erasure.request_erasure(form.email.data, current_language())
    return render_template("signing/check_inbox.html", petition=None, erasure=True)


@bp.route("/<lang:lang>/erase/<token>", methods=["GET", "POST"])
def erase(token):
    try:
        address_hash = erasure.erasure_target(token)
    except (TokenInvalid, TokenExpired):
        return render_template("signing/link_invalid.html"), 400
    subscriptions = erasure.subscription_count_of(address_hash)  # "keep me informed", erased with the rest
    if request.method != "POST":
        count = erasure.signature_count_of(address_hash)
        return render_template("signing/erase_confirm.html", token=token, count=count, subscriptions=subscriptions)
    erased = erasure.erase_everything(address_hash)
    return render_template("signing/erased.html", count=erased, subscriptions=subscriptions)
