"""Widgets for other sites' pages: /embed/<lang>/p/<slug>/counter and /embed/<lang>/p/<slug>/sign.

These are the only pages another site may frame (headers.FRAMEABLE_BLUEPRINTS).
The sign widget is the petition page's form with the same checks: the same
form, bot checks, rate limits and service, only shown in a frame.
"""
from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import refresh

from ..extensions import csrf, limiter
from ..i18n import current_language
from ..signing import services
from ..signing.forms import SignForm
from ..lookups import petition_or_404
from ..ratelimits import client_key, configured_limit, email_key
from ..texts import petition_text, public_counts
from . import script

bp = Blueprint("embed", __name__, url_prefix="/embed/<lang:lang>")
# Inside another site's frame browsers often refuse cookies, so there is no
# session to hold a token: the form is guarded by forgery.py, as on the petition page.
csrf.exempt(bp)
bp.add_app_template_global(script.counter_texts)
bp.add_app_template_global(script.counter_texts_json)
bp.add_app_template_global(script.sign_form_messages)

# Flask-Limiter keeps the petition page's own limits in buckets named after its
# endpoint. Sharing those buckets means the embed gives nobody extra attempts.
SIGN_LIMIT_SCOPE = "signing.petition"


@bp.after_request
def _never_store_personal_pages(response):
    # The check-inbox page follows one person's signing, and a POST's answer shows what was
    # typed: no cache may keep them (as on the petition page, signing/views.py).
    if request.endpoint == "embed.check_inbox" or request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.url_value_preprocessor
def _language(endpoint, values):
    # The site-wide hook takes the language from the first part of the path;
    # here it is the second (/embed/<lang>/...), already checked by the route.
    g.lang = request.path.split("/")[2]
    refresh()


def _petition(slug):
    petition = petition_or_404(slug)
    if petition.is_letter:
        abort(404)  # open letters are co-signed on their own page, by organisations too
    return petition


def _context(petition, **extra):
    text, _fallback = petition_text(petition, current_language())
    count, next_goal = public_counts(petition)
    return dict(petition=petition, text=text, count=count, next_goal=next_goal, **extra)


def _sign_page(petition, form, status=200):
    return render_template("embed/sign.html", **_context(petition, form=form)), status


@bp.get("/p/<slug>/counter")
def counter(slug):
    return render_template("embed/counter.html", **_context(_petition(slug)))


@bp.route("/p/<slug>/sign", methods=["GET", "POST"])
@limiter.shared_limit(configured_limit("RATELIMIT_SIGN"), SIGN_LIMIT_SCOPE, key_func=client_key, methods=["POST"])
@limiter.shared_limit(configured_limit("RATELIMIT_SIGN_EMAIL"), SIGN_LIMIT_SCOPE, key_func=email_key, methods=["POST"])
def sign(slug):
    petition = _petition(slug)
    form = SignForm(current_language())
    if request.method != "POST":
        return _sign_page(petition, form)  # GET and HEAD only show the form, never sign
    if not petition.is_signable:
        return _sign_page(petition, form, status=409)
    if services.receive_signature(petition, form) is None:
        return _sign_page(petition, form, status=400)
    return redirect(url_for("embed.check_inbox", slug=slug), code=303)


@bp.get("/p/<slug>/check-inbox")
def check_inbox(slug):
    return render_template("embed/check_inbox.html", **_context(_petition(slug)))


@bp.errorhandler(404)
@bp.errorhandler(429)
def _error(error):
    """Errors a visitor may meet inside the frame, in its small layout rather than the whole site's."""
    return render_template("embed/error.html", code=error.code), error.code
