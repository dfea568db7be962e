"""Error pages, in the reader's language, and JSON errors for the API."""
import contextlib

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from .extensions import db
from .forgery import CrossSiteRequest

# What a 503 asks for: the pool reconnects by itself once the database answers again.
RETRY_AFTER_SECONDS = 5

# The API's errors: a stable code for programs, and an English message for
# the developer reading the response (a program shows its own words).
API_ERRORS = {
    400: ("bad_request", "The request is not valid."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This address does not accept that method."),
    413: ("too_large", "The request body is larger than this address accepts."),
    429: ("rate_limited", "Too many requests. Wait a little (see Retry-After) and try again."),
    500: ("server_error", "Something went wrong on our side."),
    503: ("unavailable", "The service is briefly unavailable and nothing was changed. Try again after Retry-After."),
}


def api_error(status, code=None, message=None, **extra):
    """A JSON error answer: {"error": code, "message": English text, "status": status, ...extra}."""
    default_code, default_message = API_ERRORS.get(status, ("http_error", "The request could not be handled."))
    return jsonify(error=code or default_code, message=message or default_message, status=status, **extra), status


def _wants_json():
    return request.path.startswith("/api/")


def _error(status, template, error=None):
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        # A 405 says which methods the address does accept.
        headers["Allow"] = ", ".join(error.valid_methods)
    if _wants_json():
        body, status = api_error(status)
    else:
        body = render_template(f"errors/{template}.html")
    return body, status, headers


def database_unreachable(error):
    """Whether ``error`` means the database could not be reached (down, restarting, pool exhausted), not a bug."""
    return (isinstance(error, (OperationalError, InterfaceError, PoolTimeout))
            or (isinstance(error, DBAPIError) and error.connection_invalidated))


def unavailable_response(error):
    """The 503 answer for ``error`` (see ``database_unreachable``), as a response object."""
    return current_app.make_response(_unavailable(error))


def _unavailable(error):
    """503: an honest temporary answer. Whatever the request did is rolled back, so nothing was saved."""
    with contextlib.suppress(Exception):
        db.session.rollback()
    current_app.logger.warning("database unreachable, answered 503: %s", (str(error).splitlines() or [""])[0][:300])
    g.dependency_down = True
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if _wants_json():
        body, status = api_error(503, retry_after=RETRY_AFTER_SECONDS)
        return body, 503, headers
    try:
        body = render_template("errors/503.html", sent_something=request.method not in ("GET", "HEAD"))
    except Exception:  # the page itself needed the database: plain words still beat a 500
        body = "This usually lasts only a few seconds. Please try again in a moment."
        with contextlib.suppress(Exception):
            body = gettext(body)
        headers["Content-Type"] = "text/plain; charset=utf-8"
    return body, 503, headers


def _only_our_retry_after(response):
    """A 503 carries our own Retry-After and none of Flask-Limiter's headers, which speak of rate limits."""
    if g.get("dependency_down"):
        for name in {name for name in response.headers.keys() if name.lower().startswith("x-ratelimit")}:
            del response.headers[name]
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app):
    # Flask runs after_request functions last-registered first, and Flask-Limiter
    # registered its own (which adds Retry-After: 60 to any answer) before this:
    # at the front of the list, this one runs after it.
    app.after_request_funcs.setdefault(None, []).insert(0, _only_our_retry_after)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_down(error):
        return _unavailable(error)

    @app.errorhandler(404)
    def not_found(error):
        return _error(404, "404")

    @app.errorhandler(405)
    def not_allowed(error):
        return _error(405, "generic", error)

    @app.errorhandler(CrossSiteRequest)
    def cross_site(error):
        return _error(403, "cross_site")

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error(400, "csrf")

    @app.errorhandler(413)
    def too_large(error):
        return _error(413, "413")

    @app.errorhandler(429)
    def too_many(error):
        # Flask-Limiter adds Retry-After and the X-RateLimit headers afterwards.
        return _error(429, "429")

    @app.errorhandler(HTTPException)
    def other_http(error):
        return _error(error.code or 500, "generic")

    @app.errorhandler(500)
    def server_error(error):
        # The commit after the view runs outside the error handlers above; its failure arrives here.
        original = getattr(error, "original_exception", None)
        if database_unreachable(original):
            return _unavailable(original)
        return _error(500, "generic")
