"""The dashboard's "Email delivery" section in Chromium, at 360 px and on a desktop, in English and Farsi: axe on each."""
import pytest

from ..helpers import PASSWORD
from .conftest import PHONE
from .test_accessibility import assert_accessible_at_every_width

pytestmark = pytest.mark.browser


@pytest.fixture
def dashboard(live_server):
    """An owner of the test petition's organisation, and mail counts with high rates to show."""
    from petitions.extensions import db
    from petitions.models import EventKind, Petition
    from petitions.models.events import count_event

    from ..factories import create_member

    app = live_server.app
    app.config["BOUNCE_ADDRESS"] = "bounces@petitions.example.org"
    with app.app_context():
        create_member(email="owner-en@rights.example", language="en")
        create_member(email="owner-fa@rights.example", language="fa")
        petition_id = db.session.query(Petition.id).filter_by(slug="free-them").scalar()
        count_event(db.session, petition_id, EventKind.MAIL_SENT, delta=1234)
        count_event(db.session, petition_id, EventKind.MAIL_BOUNCED, delta=87)
        count_event(db.session, petition_id, EventKind.MAIL_COMPLAINED, delta=5)
        db.session.commit()
    return live_server


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_mail_section_reads_well_on_a_phone(open_page, dashboard, language):
    live_server = dashboard
    page = open_page(live_server, viewport=PHONE, locale=language)
    page.goto(f"{live_server}/organiser/sign-in")
    page.fill("#email", f"owner-{language}@rights.example")
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/")
    page.goto(f"{live_server}/organiser/p/free-them/")
    section = page.locator("section[aria-labelledby=mail-heading]")
    assert section.is_visible()
    text = section.inner_text()
    if language == "en":
        assert "7.1%" in text and "0.41%" in text and "1,234 emails" in text and "These rates are high." in text
    else:
        assert "۷" in text  # the rates in Farsi digits
    assert_accessible_at_every_width(page, f"dashboard-mail-{language}")
