"""Request-level helpers shared by the public areas (pages and API)."""
from flask import abort, current_app
from flask_limiter.util import get_remote_address

from . import privacy
from .signing import services


def client_key():
    """Rate-limit key for the client: a keyed hash, so no raw address reaches the limiter's storage."""
    return "client:" + privacy.client_hash(get_remote_address())


def configured_limit(name):
    """A Flask-Limiter limit read from the configuration when the request comes, so tests and operators can set it."""
    return lambda: current_app.config[name]


def petition_or_404(slug):
    petition = services.find_public_petition(slug)
    if petition is None:
        abort(404)
    return petition
