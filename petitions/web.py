"""Request-level helpers shared by the public areas (pages and API)."""
from flask import abort, current_app, request
from flask_limiter.util import get_remote_address

from . import privacy
from .extensions import db
from .security import email_hash
from .signing import services


def client_key():
    """Rate-limit key for the client: a keyed hash, so no raw address reaches the limiter's storage."""
    return "client:" + privacy.client_hash(get_remote_address())


def email_key():
    """Rate-limit key for the address in the submitted form: the keyed hash uniqueness is checked on."""
    return "email:" + email_hash(current_app.config["HASH_KEY"], request.form.get("email", ""))


def configured_limit(name):
    """A Flask-Limiter limit read from the configuration when the request comes, so tests and operators can set it."""
    return lambda: current_app.config[name]


def part_of_or_404(model, row_id, petition):
    """The ``model`` row with this id if it belongs to ``petition``; a 404 for any other, so ids say nothing."""
    row = db.session.get(model, row_id) if row_id else None
    if row is None or row.petition_id != petition.id:
        abort(404)
    return row


def petition_or_404(slug):
    petition = services.find_public_petition(slug)
    if petition is None:
        abort(404)
    return petition
