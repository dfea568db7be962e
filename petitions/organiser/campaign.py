"""Updates to signers and signatures collected on paper."""
import csv
import io
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import counting
from ..extensions import db
from ..models import tally
from ..i18n import recognise_country
from ..models import (
    PaperBatch, PaperSignature, PetitionUpdate, UpdateTranslation, utcnow,
)
from ..plaintext import single_line
from . import stats

MAX_PAPER_ROWS = 200_000
# Problems listed one by one; the rest are only counted (a bad 1 MB file would list thousands).
MAX_PAPER_PROBLEMS = 50


@dataclass
class PaperProblem:
    line: int
    code: str      # "name", "country", "columns", "too_long"
    text: str = ""


class PaperImportRefused(ValueError):
    """The file could not be imported; nothing was stored.

    ``problems`` lists the first MAX_PAPER_PROBLEMS bad lines; ``more`` counts the other bad lines.
    """

    def __init__(self, problems=None, reason=None, more=0):
        super().__init__(reason or "refused")
        self.problems = problems or []
        self.reason = reason
        self.more = more


def post_update(petition, language, title, body, author):
    """Publish an update in one language; it is mailed (in batches) to signers who opted in."""
    update = PetitionUpdate(petition_id=petition.id, author_id=author.id if author else None, sent_at=utcnow())
    # The title is the start of the mail's subject: one line, whatever the caller passed.
    update.translations.append(UpdateTranslation(language=language, title=single_line(title), body=body))
    db.session.add(update)
    db.session.flush()
    return update


class UpdateError(ValueError):
    """Sending an update is refused; nothing was sent. ``code`` says why, for a translated message."""

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


def draft_update(petition, language, title, body, author):
    """Start an update as a draft: seen only by the organisers, until ``send_update``.

    The organisers add its other languages first, so every signer gets it in their own.
    """
    update = post_update(petition, language, title, body, author)
    update.sent_at = None
    db.session.flush()
    return update


def recipients_by_language(petition_id):
    """{language: signers who would receive an update now} (confirmed, opted in), largest first.

    Read from the tallies (models/tally.py), so opening the updates page costs the same at a million.
    """
    found = stats.counts(petition_id, tally.UPDATES)
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def untranslated_for(update, recipients):
    """Languages that have recipients but no text in this update (they would get the main language)."""
    return [lang for lang in recipients if recipients[lang] and update.translation(lang) is None]


def send_update(update, recipients, untranslated_ok=False, now=None):
    """Publish a draft update and start mailing it, in batches, to the signers confirmed until now.

    Refused with ``UpdateError("untranslated")`` while a language with recipients has no text,
    unless the organiser confirmed (``untranslated_ok``); refused with "already_sent" twice.
    """
    if not update.is_draft:
        raise UpdateError("already_sent")
    missing = untranslated_for(update, recipients)
    if missing and not untranslated_ok:
        raise UpdateError("untranslated", languages=missing)
    # The date shown on the page, and the cut-off for who receives it, is when it was sent.
    update.created_at = update.sent_at = now or utcnow()
    db.session.flush()
    return update


def discard_update(update):
    """Delete a draft update (one already sent stays: signers have read it)."""
    if not update.is_draft:
        raise UpdateError("already_sent")
    db.session.delete(update)
    db.session.flush()


def translate_update(update, language, title, body):
    """Add or replace an update's text in another language (used for mail not yet sent, and the page)."""
    existing = update.translation(language)
    title = single_line(title)
    if existing is None:
        update.translations.append(UpdateTranslation(language=language, title=title, body=body))
    else:
        existing.title, existing.body = title, body
    db.session.flush()


def updates_of(petition_id):
    return db.session.scalars(
        select(PetitionUpdate).where(PetitionUpdate.petition_id == petition_id)
        .order_by(PetitionUpdate.created_at.desc(), PetitionUpdate.id.desc())
    ).all()


def _refresh_paper_count(petition):
    petition.paper_count = db.session.scalar(
        select(func.coalesce(func.sum(PaperBatch.count), 0)).where(PaperBatch.petition_id == petition.id)
    ) or 0
    # Paper signatures count toward goals too: a batch that crosses one records it now.
    counting.record_goals_reached(petition, counting.total_count(petition))


def record_paper_count(petition, count, note, author):
    """Add signatures collected on paper, as a bare number."""
    batch = PaperBatch(petition_id=petition.id, count=count, note=note or "", source="count",
                       created_by_id=author.id if author else None)
    db.session.add(batch)
    db.session.flush()
    _refresh_paper_count(petition)
    return batch


def parse_paper_csv(data):
    """Rows (name, city, country code) from a CSV file, or PaperImportRefused listing the bad lines.

    Columns: name, city, country (a header row naming them is optional). The
    country may be an ISO code or a name in any of the catalogue languages (countries.look_up).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PaperImportRefused(reason="encoding") from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows, problems = [], []
    more = 0

    def problem(*args):
        nonlocal more
        if len(problems) < MAX_PAPER_PROBLEMS:
            problems.append(PaperProblem(*args))
        else:
            more += 1

    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for number, record in enumerate(reader, 1):
            cells = [single_line(cell) for cell in record]
            if not any(cells):
                continue
            if number == 1 and [c.casefold() for c in cells[:3]] == ["name", "city", "country"]:
                continue
            if len(cells) != 3:
                problem(number, "columns", ",".join(record)[:200])
                continue
            name, city, country = cells
            code = recognise_country(country)
            if not name:
                problem(number, "name", ",".join(record)[:200])
            elif len(name) > 120 or len(city) > 80:
                problem(number, "too_long", ",".join(record)[:200])
            elif code is None:
                problem(number, "country", country[:100])
            else:
                rows.append((name, city, code))
            if len(rows) > MAX_PAPER_ROWS:
                raise PaperImportRefused(reason="too_many")
    except csv.Error:
        raise PaperImportRefused(reason="malformed") from None
    if problems:
        raise PaperImportRefused(problems, more=more)
    if not rows:
        raise PaperImportRefused(reason="empty")
    return rows


def import_paper_csv(petition, data, note, author):
    """Store a paper list; all of it or, if any line is bad, none of it."""
    rows = parse_paper_csv(data)
    batch = PaperBatch(petition_id=petition.id, count=len(rows), note=note or "", source="csv",
                       created_by_id=author.id if author else None)
    db.session.add(batch)
    db.session.flush()
    db.session.execute(PaperSignature.__table__.insert(), [
        {"batch_id": batch.id, "country": code} for _name, _city, code in rows
    ])
    _refresh_paper_count(petition)
    return batch


def paper_batches(petition_id):
    return db.session.scalars(
        select(PaperBatch).where(PaperBatch.petition_id == petition_id).order_by(PaperBatch.created_at.desc())
    ).all()


def delete_paper_batch(petition, batch):
    """Take back a batch entered by mistake."""
    db.session.delete(batch)
    db.session.flush()
    _refresh_paper_count(petition)
