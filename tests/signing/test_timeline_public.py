"""The public timeline: in the reader's language, newest first, its files served by this site, never stale for long."""
import io
import re
import time
from datetime import date

import pytest
from PIL import Image
from sqlalchemy import select

from petitions import caching
from petitions.extensions import db
from petitions.models import TimelineFile
from petitions.organiser import timeline

from ..helpers import page_text

PDF = b"%PDF-1.7\n%%EOF\n"


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "green").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def recorded(app, petition):
    """A delivery with a photo (English and Russian), a response with a PDF (English only), then an outcome."""
    delivery = timeline.record_delivery(petition, date(2026, 10, 1), "en", "Ministry of Justice",
                                        "Handed over with **1,000** names.", None, photo=_jpeg(),
                                        photo_alt="Volunteers carry boxes into the ministry")
    timeline.write_text(petition, delivery, "ru", "Министерство юстиции", "Передали **1000** подписей.",
                        "Волонтёры вносят коробки в министерство")
    timeline.record_response(petition, date(2026, 10, 20), "en", "Minister Ivan Petrov", "We will review the cases.",
                             None, pdf=PDF)
    timeline.mark_outcome(petition, "no_answer", date(2026, 10, 31), "en", "", None)
    db.session.commit()
    return petition


def _timeline_section(response):
    return re.search(r'<section class="timeline".*?</section>', page_text(response), re.S).group(0)


def test_the_page_shows_the_timeline_newest_first_with_the_outcome_beside_the_count(client, recorded):
    response = client.get("/en/p/free-them")
    page = page_text(response)
    section = _timeline_section(response)
    assert "<h2 id=\"timeline-heading\">Delivery and response</h2>" in section
    headings = re.findall(r"<h3>(.*?)</h3>", section)
    assert headings == ["Outcome: No answer after 30 days",
                        'Response from <bdi lang="en">Minister Ivan Petrov</bdi>',
                        'Delivered to <bdi lang="en">Ministry of Justice</bdi>']
    assert '<time datetime="2026-10-01">October 1, 2026</time>' in section
    assert "Handed over with <strong>1,000</strong> names." in section
    status = page[page.index('<div class="petition-status">'):page.index('<section class="sign"')]
    assert '<p class="outcome outcome-no_answer">Outcome: No answer after 30 days' in status


def test_a_reader_gets_their_language_and_otherwise_the_petitions_main_one(client, recorded):
    russian = _timeline_section(client.get("/ru/p/free-them"))
    assert 'lang="ru">Министерство юстиции</bdi>' in russian and "Передали <strong>1000</strong>" in russian
    assert 'alt="Волонтёры вносят коробки в министерство" lang="ru"' in russian
    assert "1 октября 2026" in russian  # the date as a Russian reader writes it
    # No Russian text for the response: the English one, marked as English.
    assert '<bdi lang="en">Minister Ivan Petrov</bdi>' in russian
    german = _timeline_section(client.get("/de/p/free-them"))
    assert '<bdi lang="en">Ministry of Justice</bdi>' in german and "1. Oktober 2026" in german


def test_photos_and_pdfs_come_from_this_site_and_nothing_from_another_host(client, recorded):
    section = _timeline_section(client.get("/en/p/free-them"))
    sources = re.findall(r'(?:src|href)="([^"]+)"', section)
    assert sources and all(s.startswith("/p/free-them/timeline/") for s in sources)
    photo = db.session.scalar(select(TimelineFile).where(TimelineFile.kind == "photo"))
    assert f'width="{photo.width}" height="{photo.height}" loading="lazy"' in section
    assert "Their response as a PDF (1 KB)" in section


def test_a_file_is_revalidated_without_being_sent_again(client, recorded):
    photo = db.session.scalar(select(TimelineFile).where(TimelineFile.kind == "photo"))
    first = client.get(f"/p/free-them/timeline/{photo.id}")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=300"
    assert first.headers["Content-Disposition"] == 'inline; filename="delivery-2026-10-01.jpg"'
    again = client.get(f"/p/free-them/timeline/{photo.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.head(f"/p/free-them/timeline/{photo.id}").status_code == 200


def test_files_of_drafts_and_of_other_petitions_are_a_404(client, recorded, make_petition):
    draft = make_petition(slug="secret-draft", status="draft")
    timeline.record_response(draft, date(2026, 10, 2), "en", "Minister", "Text", None, pdf=PDF)
    db.session.commit()
    draft_pdf = db.session.scalars(select(TimelineFile).order_by(TimelineFile.id.desc())).first()
    assert client.get(f"/p/secret-draft/timeline/{draft_pdf.id}").status_code == 404
    assert client.get(f"/p/free-them/timeline/{draft_pdf.id}").status_code == 404  # not this petition's
    assert client.get("/p/free-them/timeline/2147483648").status_code == 404


def test_a_petition_without_a_timeline_shows_no_section(client, petition):
    page = page_text(client.get("/en/p/free-them"))
    assert 'class="timeline"' not in page and 'class="outcome' not in page


def test_a_new_entry_shows_on_the_cached_page_within_the_cache_time(make_app, make_petition):
    app = make_app(PUBLIC_CACHE_SECONDS=0.5, PUBLIC_MAX_AGE=3)
    caching.clear()
    try:
        with app.app_context():
            petition = make_petition()
            client = app.test_client()
            before = client.get("/en/p/free-them")
            assert "Delivery and response" not in page_text(before)
            timeline.record_delivery(petition, date(2026, 11, 2), "en", "The Parliament", "", None)
            db.session.commit()
            time.sleep(0.6)  # PUBLIC_CACHE_SECONDS is 0.5 here
            after = client.get("/en/p/free-them", headers={"If-None-Match": before.headers["ETag"]})
            assert after.status_code == 200 and "The Parliament" in page_text(after)
            # And through the fast path in front of Flask, which keeps what it served as long as the page.
            assert "The Parliament" in page_text(client.get("/en/p/free-them"))
    finally:
        caching.clear()


def test_the_letter_page_shows_its_timeline_too(client, make_petition):
    letter = make_petition(slug="joint-letter", kind="letter")
    timeline.mark_outcome(letter, "won", date(2026, 11, 3), "en", "The law was withdrawn.", None)
    db.session.commit()
    page = page_text(client.get("/en/letter/joint-letter"))
    assert '<p class="outcome outcome-won">Outcome: Won' in page and "The law was withdrawn." in page


def test_the_api_gives_the_timeline_in_the_language_asked_for(client, recorded):
    body = client.get("/api/v1/petitions/free-them?lang=ru").get_json()
    outcome, response, delivery = body["timeline"]["entries"]
    assert body["timeline"]["outcome"] == outcome
    assert (outcome["kind"], outcome["outcome"], outcome["days"], outcome["date"]) == ("outcome", "no_answer", 30,
                                                                                      "2026-10-31")
    assert (response["language"], response["who"], response["photo"]) == ("en", "Minister Ivan Petrov", None)
    assert response["pdf"]["url"].startswith("http://petitions.test/p/free-them/timeline/")
    assert response["pdf"]["size"] == len(PDF)
    assert (delivery["language"], delivery["who"], delivery["text"]) == ("ru", "Министерство юстиции",
                                                                         "Передали **1000** подписей.")
    assert delivery["photo"]["alt"] == "Волонтёры вносят коробки в министерство"
    assert (delivery["photo"]["width"], delivery["photo"]["height"]) == (60, 40)
    assert client.get(delivery["photo"]["url"].removeprefix("http://petitions.test")).status_code == 200


def test_the_api_gives_an_empty_timeline_before_anything_happened(client, petition):
    assert client.get("/api/v1/petitions/free-them").get_json()["timeline"] == {"outcome": None, "entries": []}
