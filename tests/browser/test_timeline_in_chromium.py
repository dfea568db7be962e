"""The public timeline in Chromium: it fits a 360 px phone, passes axe, and loads its photo from this site only."""
import io
from datetime import date
from urllib.parse import urlsplit

import pytest
from PIL import Image

from .conftest import DESKTOP, PHONE
from .test_accessibility import assert_accessible_at_every_width

pytestmark = pytest.mark.browser


@pytest.fixture
def recorded(live_server):
    """A wide delivery photo, a response with a long unbroken name and a PDF, and an outcome."""
    from petitions.extensions import db
    from petitions.models import Petition
    from petitions.organiser import timeline

    photo = io.BytesIO()
    Image.new("RGB", (1600, 900), (30, 90, 60)).save(photo, "JPEG")
    with live_server.app.app_context():
        petition = db.session.query(Petition).filter_by(slug="free-them").one()
        delivery = timeline.record_delivery(petition, date(2026, 10, 1), "en", "Ministry of Justice",
                                            "Handed over with **1,000** names.", None, photo=photo.getvalue(),
                                            photo_alt="Volunteers carry boxes into the ministry")
        timeline.write_text(petition, delivery, "ru", "Министерство юстиции", "Передали подписи.",
                            "Волонтёры вносят коробки в министерство")
        timeline.record_response(petition, date(2026, 10, 20), "en", "Deputy-Minister-" + "Petrov" * 12,
                                 "We will review the cases.", None, pdf=b"%PDF-1.4\n%%EOF\n")
        timeline.mark_outcome(petition, "no_answer", date(2026, 10, 31), "en", "", None)
        db.session.commit()
    return live_server


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_timeline_fits_a_phone_passes_axe_and_loads_only_from_this_site(open_page, recorded, locale):
    page = open_page(str(recorded), viewport=PHONE, locale=locale)
    hosts = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
    page.goto(f"{recorded}/{locale}/p/free-them")
    page.wait_for_load_state("networkidle")
    section = page.locator("#timeline")
    assert section.locator("h3").count() == 3
    page.locator(".timeline-photo img").scroll_into_view_if_needed()
    photo = page.locator(".timeline-photo img")
    photo.evaluate("img => img.decode()")  # loaded lazily: wait until it is there
    assert photo.evaluate("img => img.naturalWidth") == 1600
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        box = photo.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert_accessible_at_every_width(page, f"timeline-{locale}")
    assert hosts == {urlsplit(str(recorded)).netloc}
