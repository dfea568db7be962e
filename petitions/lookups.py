"""Rows a request names, or a 404: ids and slugs of what the public may not see say nothing."""
from flask import abort

from .extensions import db
from .texts import find_public_petition


def part_of_or_404(model, row_id, petition):
    """The ``model`` row with this id if it belongs to ``petition``; a 404 for any other, so ids say nothing."""
    row = db.session.get(model, row_id) if row_id else None
    if row is None or row.petition_id != petition.id:
        abort(404)
    return row


def petition_or_404(slug):
    petition = find_public_petition(slug)
    if petition is None:
        abort(404)
    return petition
