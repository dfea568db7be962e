"""The dashboard's "Confirmation reminders" section in Chromium, at 360 px and on a desktop, in English and Farsi."""
import pytest

from ..helpers import PASSWORD
from .conftest import PHONE
from .test_accessibility import assert_accessible_at_every_width

pytestmark = pytest.mark.browser


@pytest.fixture
def dashboard(live_server):
    """Owners of the test petition's organisation, and reminder counts to show."""
    from petitions.extensions import db
    from petitions.models import EventKind, Petition
    from petitions.models.events import count_event

    from ..factories import create_member

    app = live_server.app
    with app.app_context():
        create_member(email="owner-en@rights.example", language="en")
        create_member(email="owner-fa@rights.example", language="fa")
        petition_id = db.session.query(Petition.id).filter_by(slug="free-them").scalar()
        count_event(db.session, petition_id, EventKind.REMINDER_SENT, delta=1200)
        count_event(db.session, petition_id, EventKind.REMINDER_CONFIRMED, delta=300)
        db.session.commit()
    return live_server


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_reminders_section_reads_well_on_a_phone(open_page, dashboard, language):
    live_server = dashboard
    page = open_page(live_server, viewport=PHONE, locale=language)
    page.goto(f"{live_server}/organiser/sign-in")
    page.fill("#email", f"owner-{language}@rights.example")
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/")
    page.goto(f"{live_server}/organiser/p/free-them/")
    section = page.locator("section[aria-labelledby=reminders-heading]")
    assert section.is_visible()
    text = section.inner_text()
    if language == "en":
        assert "1,200 reminders sent." in text and "300 signers confirmed after their reminder (25%)." in text
    else:
        assert "۱" in text and "۲۵" in text  # counts and share in Farsi digits
    assert_accessible_at_every_width(page, f"dashboard-reminders-{language}")
