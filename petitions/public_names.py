"""The names signers chose to show: how they are written, and the public list of recent signers."""
from sqlalchemy import Integer, bindparam, literal_column, select, text, true

from .extensions import db
from .models import PublicName, Signature, SignatureStatus


def initials(name):
    """'Ada King Lovelace' -> 'A. K. L.'"""
    return " ".join(f"{part[0]}." for part in name.split() if part[:1].isalpha()) or "…"


def shown_name(full_name, show_name, form):
    """The name as its signer agreed to show it (``form``: full or initials), or None if they did not.

    Stored at signing (``signatures.shown_name``), so listing signers never
    needs the full name, which may be sealed.
    """
    if not show_name or not full_name:
        return None
    return initials(full_name) if form == PublicName.INITIALS else full_name


def public_name(signature):
    """The name as its signer agreed to show it, or None if they did not."""
    return signature.shown_name if signature.show_name else None


# Written with literals, as the partial index ix_signatures_public_recent is: SQLite uses a partial
# index only for a query whose terms match its WHERE, and a bound parameter never does. Then the
# page reads ``limit`` index entries however few of a million signers chose to be listed.
_RECENT_PUBLIC = (
    select(Signature.shown_name, Signature.country)
    .where(Signature.petition_id == bindparam("of_petition"),
           Signature.show_name == true(), Signature.status == literal_column(f"'{SignatureStatus.CONFIRMED}'"))
    .order_by(Signature.confirmed_at.desc())
    .limit(bindparam("limit", type_=Integer))
)


# SQLite without ANALYZE statistics sometimes prefers the full (petition_id, confirmed_at) index and
# then walks a million rows; INDEXED BY settles it (and fails loudly if the index ever stops matching).
# SQLAlchemy's with_hint() is not rendered by its SQLite dialect, hence the text.
_RECENT_PUBLIC_SQLITE = text(
    "SELECT shown_name, country FROM signatures INDEXED BY ix_signatures_public_recent"
    f" WHERE petition_id = :of_petition AND show_name = 1 AND status = '{SignatureStatus.CONFIRMED}'"
    " ORDER BY confirmed_at DESC LIMIT :limit"
)


def recent_public_signers(petition_id, limit=10):
    """The latest confirmed signers who opted in: (name as they chose, country code). Never email or city."""
    query = _RECENT_PUBLIC_SQLITE if db.session.get_bind().dialect.name == "sqlite" else _RECENT_PUBLIC
    rows = db.session.execute(query, {"of_petition": petition_id, "limit": limit}).all()
    return [(name, country) for name, country in rows if name]
