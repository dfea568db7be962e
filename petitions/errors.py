"""Error pages, in the reader's language, and JSON errors for the API."""
from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .forgery import CrossSiteRequest

# The API's errors: a stable code for programs, and an English message for
# the developer reading the response (a program shows its own words).
API_ERRORS = {
    400: ("bad_request", "The request is not valid."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "This address does not accept that method."),
    429: ("rate_limited", "Too many requests. Wait a little (see Retry-After) and try again."),
    500: ("server_error", "Something went wrong on our side."),
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


def init_app(app):
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

    @app.errorhandler(429)
    def too_many(error):
        # Flask-Limiter adds Retry-After and the X-RateLimit headers afterwards.
        return _error(429, "429")

    @app.errorhandler(HTTPException)
    def other_http(error):
        return _error(error.code or 500, "generic")

    @app.errorhandler(500)
    def server_error(error):
        return _error(500, "generic")
