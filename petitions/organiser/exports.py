"""Starting a delivery export, from the web or the command line, and writing it to the audit log."""
from dataclasses import dataclass
from typing import Iterator

from ..accounts.services import audit
from ..exports import delivery
from ..extensions import db
from ..models import utcnow
from ..texts import petition_text
from .protection import KeyLocked, is_protected

FORMATS = ("csv", "pdf")


@dataclass
class Export:
    chunks: Iterator[bytes]
    mimetype: str
    filename: str
    rows: int


def count(petition):
    return delivery.verified_count(db.session, petition.id)


def start(petition, fmt, language, with_emails, actor, progress=None, opener=None):
    """Prepare an export and return its (lazy) chunks; log it in the organisation's audit log once it can start.

    Everything read from the petition is read here, before the caller's
    session ends (a web response is streamed after it). The audit line is
    added last, so an export that fails to start leaves none behind.
    ``progress``, if given, is called with the number of rows written so far
    every thousand rows (the command line's progress bar). A protected
    organisation's export needs ``opener``, its key unlocked for this export
    (protection.unlock), or KeyLocked is raised before anything is logged.
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if opener is None and is_protected(petition.organisation_id):
        raise KeyLocked(petition.organisation_id)
    now = utcnow()
    rows_total = count(petition)
    with_emails = bool(with_emails) and fmt == "csv"
    stem = f"{petition.slug}-{now:%Y%m%d}"
    rows = _counted(delivery.verified_rows(db.session, petition.id, with_emails, opener), progress)
    if fmt == "csv":
        export = Export(delivery.csv_chunks(rows, with_emails), "text/csv; charset=utf-8",
                        f"{stem}{'-with-emails' if with_emails else ''}.csv", rows_total)
    else:
        first, last = delivery.signing_range(db.session, petition.id)
        facts = delivery.PackFacts(count=rows_total, first=first, last=last, paper=petition.paper_count,
                                   exported_at=now)
        text = petition_text(petition, language)[0]
        export = Export(delivery.pdf_pack(petition, text, language, facts, rows),
                        "application/pdf", f"{stem}-{language}.pdf", rows_total)
    audit(petition.organisation_id, actor, f"export.{fmt}", petition=petition,
          detail={"rows": rows_total, "language": language, "with_emails": with_emails, "slug": petition.slug})
    return export


def _counted(rows, progress):
    if progress is None:
        yield from rows
        return
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % 1000 == 0:
            progress(1000)
    progress(done % 1000)
