"""The public timeline's files: a delivery photo, a response's PDF, served by this site for any public petition or letter."""
from flask import Blueprint, abort

from .. import timeline
from ..lookups import petition_or_404

bp = Blueprint("timeline_files", __name__)


@bp.get("/p/<slug>/timeline/<int:file_id>")
def file(slug, file_id):
    """A photo shown inline, a PDF as a download; a cache may keep either for a few minutes."""
    petition = petition_or_404(slug)
    found = timeline.file_of(petition.id, file_id)
    if found is None:
        abort(404)
    return timeline.file_response(found)
