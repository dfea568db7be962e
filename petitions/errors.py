"""Error pages, in the reader's language, and JSON errors for the API."""
from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _wants_json():
    return request.path.startswith("/api/")


def _error(status, template, message):
    if _wants_json():
        return jsonify(error=message, status=status), status
    return render_template(f"errors/{template}.html"), status


def init_app(app):
    @app.errorhandler(404)
    def not_found(error):
        return _error(404, "404", _("Not found"))

    @app.errorhandler(405)
    def not_allowed(error):
        return _error(405, "generic", _("This address does not accept that kind of request."))

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error(400, "csrf", _("The form expired. Please go back and try again."))

    @app.errorhandler(429)
    def too_many(error):
        # Flask-Limiter adds Retry-After and the X-RateLimit headers afterwards.
        return _error(429, "429", _("Too many requests. Please wait a little and try again."))

    @app.errorhandler(HTTPException)
    def other_http(error):
        return _error(error.code or 500, "generic", _("Something went wrong with this request."))

    @app.errorhandler(500)
    def server_error(error):
        return _error(500, "generic", _("Something went wrong on our side. Please try again."))
