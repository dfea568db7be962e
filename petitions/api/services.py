"""What the JSON API reads: public petitions and letters a page at a time, with their counts."""
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import counting
from ..extensions import db
from ..models import Petition, PetitionStatus


def public_page(page, per_page):
    """One page of public petitions and letters, newest first: (petitions, {id: public count}, total).

    Drafts are never listed. The page costs the same few queries however many
    petitions it holds: one for the total, one for the rows, one for their
    texts and one for every count (online confirmations plus paper).
    """
    public = Petition.status.in_(PetitionStatus.PUBLIC)
    total = db.session.scalar(select(func.count()).select_from(Petition).where(public))
    petitions = db.session.scalars(
        select(Petition).where(public).order_by(Petition.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
        .options(selectinload(Petition.translations))
    ).all()
    confirmed = counting.confirmed_counts([p.id for p in petitions])
    counts = {p.id: confirmed[p.id] + p.paper_count for p in petitions}
    return petitions, counts, total
