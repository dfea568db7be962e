"""What the public may read of a petition, shared by every area: finding it, its text in a language, its count, its kept versions."""
from sqlalchemy import bindparam, select

from . import counting
from .extensions import db
from .models import Petition, PetitionStatus, PetitionVersion
from .models.petition import SLUG_RE


# Built once: every public request starts here, and building the statement cost as much as running it.
_PUBLIC_PETITION = select(Petition).where(Petition.slug == bindparam("slug"), Petition.status.in_(PetitionStatus.PUBLIC))


def find_public_petition(slug):
    """The petition with this slug if the public may see it, else None."""
    if not SLUG_RE.match(slug or ""):
        return None
    return db.session.scalar(_PUBLIC_PETITION, {"slug": slug})


def petition_text(petition, language):
    """The petition's text for a reader of ``language``: (translation, is_fallback)."""
    translation = petition.translation(language)
    if translation is not None:
        return translation, False
    return petition.translation(petition.primary_language) or petition.translations[0], True


def public_counts(petition):
    """(count, next goal) for display: online and paper signatures together; the goal follows the live count."""
    count = counting.total_count(petition)
    return count, counting.next_goal_for(count, petition.goal)


def text_versions(petition, language):
    """The kept versions of one language's text, newest first (empty if it was never edited after publication)."""
    return db.session.scalars(
        select(PetitionVersion).where(PetitionVersion.petition_id == petition.id, PetitionVersion.language == language)
        .order_by(PetitionVersion.number.desc())
    ).all()
