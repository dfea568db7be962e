"""The organiser's timeline: delivery with a photo, responses with a PDF, the outcome; what is refused; mailing an entry."""
import io
import struct
import zlib
from datetime import timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from petitions.extensions import db
from petitions.mail import updates as updates_mail
from petitions.models import (
    AuditEvent, PetitionUpdate, TimelineEntry, TimelineFile, TimelineText, utcnow,
)
from petitions.organiser import timeline

from ..helpers import page_text, queued_to, sign_in

DAY = "2026-11-20"


def gps_jpeg(size=(40, 20), orientation=None):
    """A JPEG such as a phone takes: its maker, where it was taken (GPS), a comment and XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (53.0, 54.0, 1.5),
                                  ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (27.0, 33.0, 2.0)}
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "JPEG", exif=exif, comment=b"met at the back door",
                                       xmp=b"<x:xmpmeta>Minsk, Independence Square</x:xmpmeta>")
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test's photo does carry GPS
    return data


def picture(fmt, size=(30, 30), mode="RGBA"):
    out = io.BytesIO()
    Image.new(mode, size, (0, 0, 255, 128) if mode == "RGBA" else 0).save(out, fmt)
    return out.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's first step)."""
    data = bytearray(picture("PNG", (1, 1), "L"))
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return bytes(data)


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def editor(app, petition, make_member):
    client = app.test_client()
    sign_in(client, make_member(role="editor"))
    return client


def post(client, kind, slug="free-them", **fields):
    """Send one of the timeline's forms as a browser does; files are given as (stream, name)."""
    data = {f"{kind}-{name}": FileStorage(*value) if isinstance(value, tuple) else value
            for name, value in fields.items()}
    data.setdefault(f"{kind}-happened_on", DAY)
    data.setdefault(f"{kind}-language", "en")
    # Encoded in memory: the test client would spool a large upload to a temporary file that a 413 leaves open.
    boundary, body = encode_multipart(data)
    return client.post(f"/organiser/p/{slug}/timeline/{kind}", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def stored():
    """How many entries, texts, files and timeline audit lines there are."""
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (TimelineEntry, TimelineText, TimelineFile)) + (len(audited()),)


def audited():
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("timeline.%"))
                              .order_by(AuditEvent.id)).all()


def test_a_delivery_photo_loses_its_gps_position_and_every_other_metadata(editor):
    response = post(editor, "delivery", who="Ministry of Justice", body="Handed over at the front desk.",
                    photo=(io.BytesIO(gps_jpeg()), "IMG_0001.jpg"), photo_alt="Three people hand over boxes")
    assert response.status_code == 302
    entry = db.session.scalar(select(TimelineEntry))
    assert (entry.kind, entry.happened_on.isoformat(), entry.texts[0].who) == ("delivery", DAY, "Ministry of Justice")
    photo = entry.files[0]
    assert (photo.kind, photo.content_type, photo.width, photo.height) == ("photo", "image/jpeg", 40, 20)
    kept = Image.open(io.BytesIO(photo.data))
    assert kept.format == "JPEG" and not kept.getexif() and not kept.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(kept.info)
    for secret in (b"Exif", b"PhoneMaker", b"met at the back door", b"Independence Square", b"xmpmeta"):
        assert secret not in photo.data
    served = editor.get(f"/p/free-them/timeline/{photo.id}")
    assert served.status_code == 200 and served.data == photo.data
    assert served.headers["Content-Type"] == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"
    (audit,) = audited()
    assert audit.action == "timeline.delivery" and audit.detail == {"slug": "free-them", "date": DAY}


def test_a_sideways_photo_is_turned_upright_before_its_orientation_tag_goes(editor):
    post(editor, "delivery", who="Ministry", photo=(io.BytesIO(gps_jpeg((40, 20), orientation=6)), "a.jpg"),
         photo_alt="Boxes")
    photo = db.session.scalar(select(TimelineFile))
    assert (photo.width, photo.height) == (20, 40)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_photos_are_kept_as_jpeg_on_white(editor, fmt):
    assert post(editor, "delivery", who="Ministry", photo=(io.BytesIO(picture(fmt)), "a.img"),
                photo_alt="Boxes").status_code == 302
    photo = db.session.scalar(select(TimelineFile))
    kept = Image.open(io.BytesIO(photo.data))
    assert kept.format == "JPEG" and kept.mode == "RGB"
    red, green, blue = kept.getpixel((15, 15))
    assert blue > 200 and red > 100  # half-transparent blue over white, not over black


def test_a_large_photo_is_kept_at_most_2000_pixels_a_side(editor):
    post(editor, "delivery", who="Ministry", photo=(io.BytesIO(picture("JPEG", (4000, 1000), "RGB")), "big.jpg"),
         photo_alt="A long queue")
    photo = db.session.scalar(select(TimelineFile))
    assert (photo.width, photo.height) == (2000, 500)


def test_a_response_with_its_pdf_in_two_languages(editor):
    response = post(editor, "response", who="Minister Ivan Petrov", body="We will **review** the cases.",
                    pdf=(io.BytesIO(PDF), "letter from the ministry.pdf"))
    assert response.status_code == 302
    entry = db.session.scalar(select(TimelineEntry))
    translated = editor.post(f"/organiser/p/free-them/timeline/{entry.id}/text",
                             data={"language": "ru", "who": "Министр Иван Петров", "body": "Мы **рассмотрим** дела."})
    assert translated.status_code == 302
    db.session.expire_all()
    assert {t.language: t.who for t in entry.texts} == {"en": "Minister Ivan Petrov", "ru": "Министр Иван Петров"}
    pdf = entry.files[0]
    assert (pdf.kind, pdf.content_type, pdf.size, pdf.data) == ("pdf", "application/pdf", len(PDF), PDF)
    served = editor.get(f"/p/free-them/timeline/{pdf.id}")
    assert served.data == PDF and served.headers["Content-Type"] == "application/pdf"
    assert served.headers["Content-Disposition"] == f'attachment; filename="response-{DAY}.pdf"'
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    page = page_text(editor.get("/organiser/p/free-them/timeline"))
    assert "Министр Иван Петров" in page and "<strong>review</strong>" in page


def test_the_outcome_is_marked_and_replaced_by_a_newer_one(editor):
    assert post(editor, "outcome", outcome="partly_won", happened_on="2026-11-01").status_code == 302
    assert post(editor, "outcome", outcome="won", body="The prisoners were released.").status_code == 302
    entries = db.session.scalars(select(TimelineEntry).order_by(TimelineEntry.id)).all()
    assert [(e.kind, e.outcome) for e in entries] == [("outcome", "partly_won"), ("outcome", "won")]
    assert [a.action for a in audited()] == ["timeline.outcome"] * 2
    page = page_text(editor.get("/en/p/free-them"))
    assert '<p class="outcome outcome-won">Outcome: Won' in page


def test_no_answer_counts_the_days_since_the_first_delivery(editor):
    post(editor, "delivery", who="Ministry", happened_on="2026-10-01")
    post(editor, "delivery", who="Parliament", happened_on="2026-10-05")
    assert post(editor, "outcome", outcome="no_answer", happened_on="2026-10-31").status_code == 302
    outcome = db.session.scalar(select(TimelineEntry).where(TimelineEntry.kind == "outcome"))
    assert outcome.days == 30
    assert "No answer after 30 days" in page_text(editor.get("/en/p/free-them"))


def _message_and_nothing_stored(response, message, before):
    assert response.status_code == 400
    assert message in page_text(response)
    db.session.expire_all()
    assert stored() == before


@pytest.mark.parametrize("kind,fields,message", [
    ("outcome", {"outcome": "victory"}, "Please choose one of the outcomes offered."),
    ("outcome", {"outcome": "no_answer"}, "Record the delivery first"),
    ("response", {"who": "Minister", "body": "Yes", "pdf": (PDF[:3] + b"<html>", "letter.pdf")},
     "This file is not a PDF."),
    ("response", {"who": "Minister", "body": "", "pdf": None}, "Please write what they said"),
    ("delivery", {"who": "Ministry", "photo": ("photo", "a.jpg")}, "Please describe the photo"),
    ("delivery", {"who": "Ministry", "photo": (b"<svg onload=alert(1)>", "a.jpg"), "photo_alt": "Boxes"},
     "This file is not a photo this site can read"),
    ("delivery", {"who": "Ministry", "photo": ("bomb", "bomb.png"), "photo_alt": "Boxes"},
     "The photo has too many pixels"),
    ("delivery", {"who": "Ministry", "photo": ("large", "large.png"), "photo_alt": "Boxes"},
     "The photo has too many pixels"),
    ("delivery", {"who": "Ministry", "photo": ("warned", "large.png"), "photo_alt": "Boxes"},
     "The photo has too many pixels"),
    ("delivery", {"who": "Ministry", "photo": ("gif", "a.gif"), "photo_alt": "Boxes"},
     "This file is not a photo this site can read"),
    ("delivery", {"who": ""}, "Please say to whom the petition was delivered."),
    ("delivery", {"who": "Ministry", "happened_on": "future"}, "The date cannot be in the future."),
    ("delivery", {"who": "Ministry", "happened_on": "20.11.2026"}, "Please enter a date, such as 2027-03-14."),
    ("delivery", {"who": "Ministry", "happened_on": "2026-02-30"}, "Please enter a date, such as 2027-03-14."),
    ("delivery", {"who": "Ministry", "language": "fr"}, "Please choose one of the petition&#39;s languages."),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(editor, kind, fields, message):
    # Beyond Pillow's own limit, beyond the one it only warns about, and beyond ours.
    files = {"photo": lambda: gps_jpeg(), "bomb": lambda: png_claiming(20_000, 20_000),
             "large": lambda: png_claiming(7_000, 7_000), "warned": lambda: png_claiming(10_000, 10_000),
             "gif": lambda: picture("GIF", mode="L")}
    for name, value in list(fields.items()):
        if isinstance(value, tuple):
            content, filename = value
            content = files[content]() if content in files else content
            fields[name] = (io.BytesIO(content), filename)
        elif value is None:
            del fields[name]
    if fields.get("happened_on") == "future":
        fields["happened_on"] = (utcnow().date() + timedelta(days=2)).isoformat()
    before = stored()
    _message_and_nothing_stored(post(editor, kind, **fields), message, before)


def test_the_service_refuses_an_unknown_outcome_too(app, petition):
    with pytest.raises(timeline.TimelineError) as refused:
        timeline.mark_outcome(petition, "victory", utcnow().date(), "en", "", None)
    assert refused.value.code == "bad_outcome" and stored() == (0, 0, 0, 0)


def test_a_photo_over_its_limit_is_refused_with_the_limit(make_app, make_petition, make_member):
    app = make_app(TIMELINE_PHOTO_MAX_BYTES=2 * 2**20, TIMELINE_PDF_MAX_BYTES=2**20)
    with app.app_context():
        make_petition()
        client = app.test_client()
        sign_in(client, make_member())
        big = picture("PNG", (1500, 1500), "RGB") + b"\0" * 2 * 2**20  # too large, yet under the body limit
        response = post(client, "delivery", who="Ministry", photo=(io.BytesIO(big), "a.png"), photo_alt="Boxes")
        _message_and_nothing_stored(response, "The photo is too large: at most 2 MB.", (0, 0, 0, 0))
        response = post(client, "response", who="Minister", body="Yes",
                        pdf=(io.BytesIO(PDF + b"\0" * 2**20), "a.pdf"))
        _message_and_nothing_stored(response, "The PDF is too large: at most 1 MB.", (0, 0, 0, 0))
        # The forms' body limit is the larger file plus a long text: beyond it, the 413 page.
        assert app.config["TIMELINE_MAX_CONTENT_LENGTH"] == 2 * 2**20 + app.config["TEXT_MAX_CONTENT_LENGTH"]
        huge = b"\0" * (app.config["TIMELINE_MAX_CONTENT_LENGTH"] + 1)
        response = post(client, "delivery", who="Ministry", photo=(io.BytesIO(huge), "a.png"), photo_alt="Boxes")
        assert response.status_code == 413 and "Too much data" in page_text(response)
        assert stored() == (0, 0, 0, 0)


def test_a_viewer_reads_the_timeline_but_cannot_add_change_or_remove(app, petition, make_member):
    entry = timeline.record_delivery(petition, utcnow().date(), "en", "Ministry", "", None)
    db.session.commit()
    client = app.test_client()
    sign_in(client, make_member(email="v@rights.example", role="viewer"))
    page = client.get("/organiser/p/free-them/timeline")
    assert page.status_code == 200 and "Ministry" in page_text(page)
    assert "Record the delivery" not in page_text(page) and "Mail this to signers" not in page_text(page)
    before = stored()
    assert post(client, "delivery", who="Parliament").status_code == 404
    assert post(client, "outcome", outcome="won").status_code == 404
    for action in ("text", "remove", "mail"):
        assert client.post(f"/organiser/p/free-them/timeline/{entry.id}/{action}",
                           data={"language": "en", "who": "X"}).status_code == 404
    db.session.expire_all()
    assert stored() == before and db.session.scalar(select(func.count()).select_from(PetitionUpdate)) == 0


def test_removing_an_entry_takes_it_and_its_photo_off_the_public_page(editor):
    post(editor, "delivery", who="Ministry of Justice", photo=(io.BytesIO(gps_jpeg()), "a.jpg"), photo_alt="Boxes")
    entry, photo = db.session.scalar(select(TimelineEntry)), db.session.scalar(select(TimelineFile))
    assert "Ministry of Justice" in page_text(editor.get("/en/p/free-them"))
    assert editor.post(f"/organiser/p/free-them/timeline/{entry.id}/remove").status_code == 302
    db.session.expire_all()
    assert stored()[:3] == (0, 0, 0)
    assert editor.get(f"/p/free-them/timeline/{photo.id}").status_code == 404
    assert "Ministry of Justice" not in page_text(editor.get("/en/p/free-them"))
    removed = audited()[-1]
    assert removed.action == "timeline.remove" and removed.detail["kind"] == "delivery"


def test_mail_this_to_signers_writes_an_update_draft_in_each_language_sent_from_the_updates_page(
        editor, petition, add_signatures):
    add_signatures(petition, 1, wants_updates=True, language="ru")
    post(editor, "response", who="Minister Ivan Petrov", body="We will review the cases.")
    entry = db.session.scalar(select(TimelineEntry))
    editor.post(f"/organiser/p/free-them/timeline/{entry.id}/text",
                data={"language": "ru", "who": "Министр Иван Петров", "body": "Мы рассмотрим дела."})
    response = editor.post(f"/organiser/p/free-them/timeline/{entry.id}/mail")
    assert response.status_code == 302 and response.location.endswith("/organiser/p/free-them/updates")
    update = db.session.scalar(select(PetitionUpdate))
    assert update.is_draft and {t.language for t in update.translations} == {"en", "ru"}
    russian = update.translation("ru")
    assert "Министр Иван Петров" in russian.title and "Мы рассмотрим дела." in russian.body
    assert "20 ноября 2026" in russian.body  # the date as a Russian reader writes it
    assert "Minister Ivan Petrov" in update.translation("en").title and "November 20, 2026" in update.translation("en").body
    # Asked twice, it is still one draft; nothing is queued until "Send" on the updates page.
    editor.post(f"/organiser/p/free-them/timeline/{entry.id}/mail")
    assert db.session.scalar(select(func.count()).select_from(PetitionUpdate)) == 1
    assert updates_mail.queue_next_batch() == 0 and queued_to("s1@example.org") == []
    assert "Review and send it on the updates page" in page_text(editor.get("/organiser/p/free-them/timeline"))
    sent = editor.post("/organiser/p/free-them/updates/send", data={"update": str(update.id), "untranslated_ok": "y"})
    assert sent.status_code == 302
    assert updates_mail.queue_next_batch() == 1
    (mail,) = queued_to("s1@example.org")
    assert "Министр Иван Петров" in mail.subject and "Мы рассмотрим дела." in mail.text_body
    # Sent: the entry says so, and is not mailed a second time.
    assert "Sent to signers as an update on" in page_text(editor.get("/organiser/p/free-them/timeline"))
    again = editor.post(f"/organiser/p/free-them/timeline/{entry.id}/mail")
    assert again.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(PetitionUpdate)) == 1


def test_discarding_the_draft_lets_the_entry_be_mailed_again(editor):
    post(editor, "delivery", who="Ministry")
    entry = db.session.scalar(select(TimelineEntry))
    editor.post(f"/organiser/p/free-them/timeline/{entry.id}/mail")
    update = db.session.scalar(select(PetitionUpdate))
    assert editor.post("/organiser/p/free-them/updates/discard", data={"update": str(update.id)}).status_code == 302
    db.session.expire_all()
    assert entry.update_id is None and "Mail this to signers" in page_text(editor.get("/organiser/p/free-them/timeline"))
    editor.post(f"/organiser/p/free-them/timeline/{entry.id}/mail")
    assert db.session.scalar(select(func.count()).select_from(PetitionUpdate)) == 1


def test_a_letter_has_a_timeline_but_no_mailing_of_it(app, make_petition, make_member):
    make_petition(slug="joint-letter", kind="letter")
    client = app.test_client()
    sign_in(client, make_member())
    assert post(client, "delivery", slug="joint-letter", who="The Prime Minister").status_code == 302
    entry = db.session.scalar(select(TimelineEntry))
    assert client.post(f"/organiser/p/joint-letter/timeline/{entry.id}/mail").status_code == 404
    assert "Mail this to signers" not in page_text(client.get("/organiser/p/joint-letter/timeline"))
    page = page_text(client.get("/en/letter/joint-letter"))
    assert "Delivered to <bdi lang=\"en\">The Prime Minister</bdi>" in page


def test_another_organisations_entry_is_a_404(editor, make_petition, make_member):
    other = make_petition(slug="theirs", organisation="Group A")
    entry = timeline.record_delivery(other, utcnow().date(), "en", "Ministry", "", None)
    db.session.commit()
    for action in ("text", "remove", "mail"):
        assert editor.post(f"/organiser/p/free-them/timeline/{entry.id}/{action}",
                           data={"language": "en", "who": "X"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(TimelineEntry, entry.id).texts[0].who == "Ministry"


def test_the_list_of_entries_is_headed_as_entries_not_as_paper_signatures(app, petition, make_member):
    """Its heading once shared a msgid with the paper signatures' list, and read "signatures" in Russian."""
    account = make_member(role="editor")
    account.language = "ru"
    db.session.commit()
    client = app.test_client()
    sign_in(client, account)
    assert post(client, "response", who="Minister Ivan Petrov", body="We will review the cases.").status_code == 302
    page = page_text(client.get("/organiser/p/free-them/timeline"))
    assert '<h2 id="recorded-heading">Внесённые записи</h2>' in page
