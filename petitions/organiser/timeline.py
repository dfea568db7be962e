"""Recording what happened after the signing: the delivery, the addressee's responses, the outcome.

Each entry is public once recorded (petitions/timeline.py reads it for the
page and the API). A delivery photo is decoded and written again as a plain
JPEG, so nothing the camera or phone stored in it (EXIF, GPS position,
XMP, comments) reaches the page: a photo of a delivery may show where
activists stood. A response's PDF is stored as sent once it proves to be a
PDF. Every entry added or removed is written to the organisation's audit log.
"""
import hashlib
import io
import warnings
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from ..accounts.services import audit
from ..extensions import db
from ..i18n import format_date
from ..models import (
    Outcome, PetitionUpdate, TimelineEntry, TimelineFile, TimelineFileKind, TimelineKind, TimelineText,
    UpdateTranslation, utcnow,
)
from ..plaintext import single_line
from ..timeline import outcome_label

PHOTO_FORMATS = ("JPEG", "PNG", "WEBP")
# The longer side a photo keeps, in pixels: plenty for a page, and a bounded size in the database.
MAX_PHOTO_SIDE = 2000
# Larger pictures are refused before they are decoded: a small file can claim billions of pixels. A JPEG
# counts at the reduced scale it is decoded at; Pillow itself refuses anything above MAX_IMAGE_PIXELS.
# 16 million: a PNG or WebP is decoded whole (four bytes a pixel, and copied while it is turned and flattened).
MAX_PHOTO_PIXELS = 16_000_000
PHOTO_QUALITY = 85
PDF_MAGIC = b"%PDF-"
WHO_MAX = 200
BODY_MAX = 20_000
ALT_MAX = 300


class TimelineError(ValueError):
    """An entry is refused and nothing was stored. ``code`` says why, for a translated message."""

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


def latest_allowed_date(now=None):
    """The latest date an entry may have: tomorrow in UTC, which is today for an organiser anywhere on Earth."""
    return (now or utcnow()).date() + timedelta(days=1)


def _check_date(on, now=None):
    if on > latest_allowed_date(now):
        raise TimelineError("future_date")


def _check_language(petition, language):
    if language not in petition.languages:
        raise TimelineError("bad_language")


def clean_photo(data, max_bytes):
    """(JPEG bytes, width, height) of an uploaded JPEG, PNG or WebP, turned upright and stripped of its metadata.

    Refused (TimelineError): too many bytes ("photo_too_large"), too many
    pixels ("photo_too_many_pixels"), or not a picture in one of those formats ("not_a_photo").
    """
    if len(data) > max_bytes:
        raise TimelineError("photo_too_large", limit=max_bytes)
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; our limit is lower and refuses instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
            image.draft("RGB", (MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))  # a JPEG is decoded at a reduced scale
            if image.width * image.height > MAX_PHOTO_PIXELS:  # what would be decoded, before it is
                raise TimelineError("photo_too_many_pixels")
            image = ImageOps.exif_transpose(image)  # upright, as the camera meant it, before its EXIF goes
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, "white")
                image.paste(rgba, mask=rgba.getchannel("A"))
            else:
                image = image.convert("RGB")
            image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    except TimelineError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise TimelineError("photo_too_many_pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise TimelineError("not_a_photo") from None
    # A fresh image holds pixels only: whatever the upload carried (EXIF, XMP, comments, ICC) stays behind.
    clean = Image.new("RGB", image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=PHOTO_QUALITY, optimize=True)
    return out.getvalue(), clean.width, clean.height


def check_pdf(data, max_bytes):
    """The PDF's bytes if they are one (by its header) and small enough; TimelineError otherwise."""
    if len(data) > max_bytes:
        raise TimelineError("pdf_too_large", limit=max_bytes)
    if not data.startswith(PDF_MAGIC):
        raise TimelineError("not_a_pdf")
    return data


def _file(kind, data, content_type, width=None, height=None):
    return TimelineFile(kind=kind, content_type=content_type, size=len(data), width=width, height=height,
                        sha256=hashlib.sha256(data).hexdigest(), data=data)


def _add(petition, kind, on, author, text, files=(), outcome=None, days=None, now=None):
    entry = TimelineEntry(petition_id=petition.id, kind=kind, happened_on=on, outcome=outcome, days=days,
                          created_by_id=author.id if author else None, created_at=now or utcnow())
    entry.texts.append(text)
    entry.files.extend(files)
    db.session.add(entry)
    db.session.flush()
    detail = {"slug": petition.slug, "date": on.isoformat()}
    if outcome:
        detail["outcome"] = outcome
    _audit(petition, author, f"timeline.{kind}", detail, now)
    return entry


def _audit(petition, author, action, detail, now=None):
    if petition.organisation_id is not None:  # every petition made since accounts exist has one
        audit(petition.organisation_id, author, action, petition=petition, detail=detail, now=now)


def _text(language, who="", body="", photo_alt=""):
    return TimelineText(language=language, who=single_line(who or "")[:WHO_MAX], body=(body or "")[:BODY_MAX],
                        photo_alt=single_line(photo_alt or "")[:ALT_MAX])


def record_delivery(petition, on, language, to_whom, note, author, photo=None, photo_alt="", now=None):
    """Record that the petition was delivered on ``on`` to ``to_whom``, with an optional note and photo.

    ``photo`` is the uploaded file's bytes; it needs ``photo_alt``, a description for people who cannot see it.
    """
    _check_date(on, now)
    _check_language(petition, language)
    if not single_line(to_whom or ""):
        raise TimelineError("who_missing")
    files = []
    if photo is not None:
        if not single_line(photo_alt or ""):
            raise TimelineError("alt_missing")
        jpeg, width, height = clean_photo(photo, current_app.config["TIMELINE_PHOTO_MAX_BYTES"])
        files.append(_file(TimelineFileKind.PHOTO, jpeg, "image/jpeg", width, height))
    return _add(petition, TimelineKind.DELIVERY, on, author, _text(language, to_whom, note, photo_alt if files else ""),
                files, now=now)


def record_response(petition, on, language, who, body, author, pdf=None, now=None):
    """Record a response from ``who`` (a public office holder, named publicly), what it said, and its PDF if any."""
    _check_date(on, now)
    _check_language(petition, language)
    if not single_line(who or ""):
        raise TimelineError("who_missing")
    if not (body or "").strip():
        raise TimelineError("text_missing")
    files = []
    if pdf is not None:
        files.append(_file(TimelineFileKind.PDF, check_pdf(pdf, current_app.config["TIMELINE_PDF_MAX_BYTES"]),
                           "application/pdf"))
    return _add(petition, TimelineKind.RESPONSE, on, author, _text(language, who, body), files, now=now)


def first_delivery_date(petition_id):
    """The date of the petition's first recorded delivery, or None."""
    return db.session.scalar(
        select(func.min(TimelineEntry.happened_on))
        .where(TimelineEntry.petition_id == petition_id, TimelineEntry.kind == TimelineKind.DELIVERY)
    )


def mark_outcome(petition, outcome, on, language, note, author, now=None):
    """Mark how the campaign stands: one of ``Outcome``. The newest outcome is the one the page shows.

    "No answer" counts the days from the first recorded delivery to ``on``, so a delivery must be recorded first.
    """
    if outcome not in Outcome.ALL:
        raise TimelineError("bad_outcome")
    _check_date(on, now)
    _check_language(petition, language)
    days = None
    if outcome == Outcome.NO_ANSWER:
        delivered = first_delivery_date(petition.id)
        if delivered is None:
            raise TimelineError("no_delivery")
        if on < delivered:
            raise TimelineError("before_delivery")
        days = (on - delivered).days
    return _add(petition, TimelineKind.OUTCOME, on, author, _text(language, body=note), outcome=outcome, days=days,
                now=now)


def write_text(petition, entry, language, who, body, photo_alt):
    """Add the entry's text in another of the petition's languages, or replace the one it has."""
    _check_language(petition, language)
    if entry.kind != TimelineKind.OUTCOME and not single_line(who or ""):
        raise TimelineError("who_missing")
    if entry.kind == TimelineKind.RESPONSE and not (body or "").strip():
        raise TimelineError("text_missing")
    has_photo = entry.file(TimelineFileKind.PHOTO) is not None
    if has_photo and not single_line(photo_alt or ""):
        raise TimelineError("alt_missing")
    new = _text(language, who if entry.kind != TimelineKind.OUTCOME else "", body, photo_alt if has_photo else "")
    existing = entry.text(language)
    if existing is None:
        entry.texts.append(new)
    else:
        existing.who, existing.body, existing.photo_alt = new.who, new.body, new.photo_alt
    db.session.flush()


def remove_entry(petition, entry, author, now=None):
    """Take an entry off the page, with its texts and files (a photo that should not have been public, say)."""
    detail = {"slug": petition.slug, "date": entry.happened_on.isoformat(), "kind": entry.kind}
    if entry.outcome:
        detail["outcome"] = entry.outcome
    db.session.delete(entry)
    db.session.flush()
    _audit(petition, author, "timeline.remove", detail, now)


def _update_text(entry, text):
    """(title, Markdown body) of an update about ``entry``, in ``text``'s language."""
    with force_locale(text.language):
        if entry.kind == TimelineKind.DELIVERY:
            title = _("The petition was delivered to %(whom)s", whom=text.who)
        elif entry.kind == TimelineKind.RESPONSE:
            title = _("Response from %(who)s", who=text.who)
        else:
            title = _("Outcome: %(outcome)s", outcome=outcome_label(entry.outcome, entry.days))
        when = format_date(entry.happened_on, "long")
    body = "\n\n".join(part for part in (when, text.body.strip()) if part)
    return single_line(title)[:200], body


def draft_update(petition, entry, author):
    """An update draft telling signers about ``entry``, in each of its languages, for the updates page.

    It is mailed only when an organiser reviews it and presses "Send" there, with
    that page's rules (every language with recipients, the key unlocked when
    protection is on). Asked again while the draft exists, the same draft is returned;
    once it was sent, TimelineError("already_mailed"): signers have read it.
    """
    if entry.update is not None:
        if not entry.update.is_draft:
            raise TimelineError("already_mailed")
        return entry.update
    update = PetitionUpdate(petition_id=petition.id, author_id=author.id if author else None, sent_at=None)
    for text in entry.texts:
        title, body = _update_text(entry, text)
        update.translations.append(UpdateTranslation(language=text.language, title=title, body=body))
    db.session.add(update)
    entry.update = update
    db.session.flush()
    return update

