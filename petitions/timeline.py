"""A petition's public timeline (delivery, responses, outcome), read alike by its page, the letter page and the API.

Everything here is public by design: who received the petition and who
answered are public office holders, and the organisers' notes are written for
the page. One query for the entries, one for their texts and one for their
files' sizes: a page costs the same whatever the petition's size, and a
file's bytes are read only when the file itself is asked for.
"""
from dataclasses import dataclass
from datetime import date

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .extensions import db
from .i18n import number
from .links import external_url
from .markup import render_markdown
from .models import Outcome, TimelineEntry, TimelineFile, TimelineFileKind, TimelineKind

# More than any campaign records; the page stays bounded all the same.
MAX_SHOWN = 100
# A file never changes under its id (a new upload is a new row), but a removed photo should leave caches soon:
# a photo can show the people who delivered a petition.
FILE_MAX_AGE = 300
FILE_ENDPOINT = "timeline_files.file"


def outcome_label(outcome, days=None):
    """An outcome in words, in the current language."""
    if outcome == Outcome.NO_ANSWER:
        if days is None:
            return _("No answer")
        return ngettext("No answer after %(count)s day", "No answer after %(count)s days", days, count=number(days))
    labels = {Outcome.WON: _("Won"), Outcome.PARTLY_WON: _("Partly won"),
              Outcome.CLOSED: pgettext("outcome", "Closed without a result")}
    return labels.get(outcome, outcome)


@dataclass(frozen=True)
class PublicFile:
    id: int
    kind: str
    size: int
    width: int | None
    height: int | None


@dataclass(frozen=True)
class PublicEntry:
    """One entry as a reader of one language sees it: its text in that language, else the closest."""

    id: int
    kind: str
    happened_on: date
    outcome: str | None
    days: int | None
    language: str  # the language of who, body and photo_alt
    who: str
    body: str
    photo_alt: str
    photo: PublicFile | None
    pdf: PublicFile | None

    @property
    def body_html(self):
        return render_markdown(self.body)

    @property
    def outcome_label(self):
        return outcome_label(self.outcome, self.days)


@dataclass(frozen=True)
class PublicTimeline:
    entries: list  # newest first
    outcome: PublicEntry | None  # the newest outcome: how the campaign stands

    def __bool__(self):
        return bool(self.entries)


def closest_text(entry, language, primary_language):
    """The entry's text in ``language``, else in the petition's main language, else its first."""
    return entry.text(language) or entry.text(primary_language) or (entry.texts[0] if entry.texts else None)


def entries_of(petition_id, limit=MAX_SHOWN):
    """The petition's entries, newest first, with their texts and their files' details (not their bytes)."""
    return db.session.scalars(
        select(TimelineEntry).where(TimelineEntry.petition_id == petition_id)
        .options(selectinload(TimelineEntry.texts), selectinload(TimelineEntry.files))
        .order_by(TimelineEntry.happened_on.desc(), TimelineEntry.id.desc()).limit(limit)
    ).all()


def _public_file(entry, kind):
    found = entry.file(kind)
    if found is None:
        return None
    return PublicFile(found.id, found.kind, found.size, found.width, found.height)


def public_timeline(petition, language):
    """What the petition's page shows in ``language``: its entries newest first and its current outcome."""
    entries = []
    for entry in entries_of(petition.id):
        text = closest_text(entry, language, petition.primary_language)
        entries.append(PublicEntry(
            id=entry.id, kind=entry.kind, happened_on=entry.happened_on, outcome=entry.outcome, days=entry.days,
            language=text.language if text else petition.primary_language, who=text.who if text else "",
            body=text.body if text else "", photo_alt=text.photo_alt if text else "",
            photo=_public_file(entry, TimelineFileKind.PHOTO), pdf=_public_file(entry, TimelineFileKind.PDF),
        ))
    outcome = next((e for e in entries if e.kind == TimelineKind.OUTCOME), None)
    return PublicTimeline(entries, outcome)


def file_url(petition, found):
    """Where a timeline file is served, on this site, as an absolute link (on BASE_URL)."""
    return external_url(FILE_ENDPOINT, slug=petition.slug, file_id=found.id)


def _entry_json(petition, entry):
    photo = pdf = None
    if entry.photo is not None:
        photo = {"url": file_url(petition, entry.photo), "alt": entry.photo_alt,
                 "width": entry.photo.width, "height": entry.photo.height, "size": entry.photo.size}
    if entry.pdf is not None:
        pdf = {"url": file_url(petition, entry.pdf), "size": entry.pdf.size}
    return {"kind": entry.kind, "date": entry.happened_on.isoformat(), "language": entry.language,
            "who": entry.who, "text": entry.body, "outcome": entry.outcome, "days": entry.days,
            "photo": photo, "pdf": pdf}


def as_json(petition, language):
    """The API's ``timeline``: the current outcome (or null) and every entry, newest first."""
    timeline = public_timeline(petition, language)
    return {"outcome": _entry_json(petition, timeline.outcome) if timeline.outcome else None,
            "entries": [_entry_json(petition, e) for e in timeline.entries]}


def file_of(petition_id, file_id):
    """A file of one of the petition's entries (without its bytes), or None."""
    return db.session.scalar(
        select(TimelineFile).join(TimelineEntry, TimelineEntry.id == TimelineFile.entry_id)
        .where(TimelineFile.id == file_id, TimelineEntry.petition_id == petition_id)
        .options(selectinload(TimelineFile.entry))
    )


def file_name(found):
    """The name a download gets: what it is and when, never what the uploader's file was called."""
    extension = "pdf" if found.kind == TimelineFileKind.PDF else "jpg"
    return f"{found.entry.kind}-{found.entry.happened_on.isoformat()}.{extension}"


def file_response(found, max_age=FILE_MAX_AGE, public=True):
    """The file as an answer: its own type, never sniffed, a PDF as a download; a 304 while the client has it.

    The bytes are read from the database only when they are sent.
    """
    if found.sha256 in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(found.data, mimetype=found.content_type)  # the deferred column, now
    response.set_etag(found.sha256)
    disposition = "attachment" if found.kind == TimelineFileKind.PDF else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{file_name(found)}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Opened on its own, a file may run nothing and load nothing.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if public:
        response.cache_control.public = True
        response.cache_control.max_age = max_age
    return response
