"""'Keep me informed': the form on an organisation's page, the emailed confirmation link and the unsubscribe link.

Like signing: the form answers with the same "check your inbox" page
whatever happened (a stranger must not learn that an address follows an
organisation), the emailed link opens a page with one button and only the
press (a POST) confirms, and the unsubscribe link's GET asks while its POST
(a mail program's RFC 8058 one-click, or the button) unsubscribes.
"""
from flask import Blueprint, abort, current_app, render_template, request

from .. import subscribers
from ..extensions import csrf, limiter
from ..i18n import current_language
from ..models import SubscriberStatus
from ..ratelimits import client_key, configured_limit, email_key
from ..tokens import TokenExpired, TokenInvalid
from . import services
from .subscribe_forms import SubscribeForm

bp = Blueprint("subscribing", __name__)
csrf.exempt(bp)  # supporters' forms are guarded by forgery.py instead of session tokens


@bp.after_request
def _never_stored(response):
    # Every page here answers one person's form or link: no cache may keep it. Error pages too.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def _form_for_pages():
    # The organisation's page (organisations/page.html) includes the form without making it: it is made here.
    return {"new_subscribe_form": SubscribeForm}


def _organisation_or_404(slug):
    """The organisation if it has a public page; a 404 otherwise, as its page answers (views.page)."""
    organisation = services.find_organisation(slug)
    if organisation is None or not services.has_public_page(organisation, current_language()):
        abort(404)
    return organisation


def _form_page(organisation, form, status=200):
    return render_template("organisations/subscribe.html", organisation=organisation, subscribe_form=form), status


@bp.route("/<lang:lang>/o/<slug>/subscribe", methods=["GET", "POST"])
@limiter.limit(configured_limit("RATELIMIT_SUBSCRIBE"), key_func=client_key, methods=["POST"])
@limiter.limit(configured_limit("RATELIMIT_SUBSCRIBE_EMAIL"), key_func=email_key, methods=["POST"])
def subscribe(slug):
    """GET: the form on a page of its own. POST: a pending subscription and its confirmation email."""
    organisation = _organisation_or_404(slug)
    form = SubscribeForm()
    if request.method != "POST":  # a HEAD may carry a form too, and must not subscribe
        return _form_page(organisation, form)
    # A honeypot catch is dropped without a word: to its sender it looks exactly like success.
    if not form.caught_by_honeypot():
        if form.sent_too_soon(current_app.config["FORM_MIN_SECONDS"]):
            form.press_again = True
            return _form_page(organisation, form, 400)
        if not form.validate():
            return _form_page(organisation, form, 400)
        subscribers.subscribe(organisation, form.email.data, current_language())
    return render_template("organisations/subscribe_check_inbox.html", organisation=organisation)


@bp.route("/<lang:lang>/subscription/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """GET shows what the link would confirm, with one button; only the press (POST) confirms.

    Mail gateways open every link in a message and run its scripts, and some
    submit the forms they find, at once: the page carries a stamp, and a press
    sooner than CONFIRM_MIN_SECONDS after it was served confirms nothing.
    """
    pressed = request.method == "POST"
    too_soon = False
    try:
        if pressed:
            subscriber = subscribers.confirm(token, stamp=request.form.get("served"))[0]
        else:
            subscriber = subscribers.subscription_to_confirm(token)
    except subscribers.PressedTooSoon:
        subscriber, too_soon = subscribers.subscription_to_confirm(token), True
    except TokenExpired:
        return render_template("organisations/subscribe_link_expired.html"), 410
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    if too_soon or (not pressed and subscriber.status == SubscriberStatus.PENDING):
        return render_template("organisations/subscribe_confirm.html", organisation=subscriber.organisation,
                               token=token, served=subscribers.confirm_page_stamp(), press_again=too_soon)
    # A repeated press gets the same thanks as the first; only a visit without pressing learns it was done before.
    return render_template("organisations/subscribe_confirmed.html", organisation=subscriber.organisation,
                           already=not pressed)


@bp.route("/<lang:lang>/subscription/stop/<token>", methods=["GET", "POST"])
def unsubscribe(token):
    """GET asks, with one button; POST stops the subscription (a mail program's one-click POSTs here directly)."""
    try:
        if request.method == "POST":
            subscribers.unsubscribe(token)
        subscriber = subscribers.subscription_for_unsubscribe(token)
    except TokenInvalid:
        return render_template("signing/link_invalid.html"), 400
    organisation = subscriber.organisation if subscriber is not None else None
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return render_template("organisations/subscribe_stopped.html", organisation=organisation)
    return render_template("organisations/subscribe_stop.html", organisation=organisation, token=token)
