"""The organiser's new campaign pages in Chromium, without JavaScript and with axe: the timeline editor
(with a delivery recorded), the subscribers page (with a draft mailing) and the dashboard's new panels."""
import pytest

from ..helpers import PASSWORD
from .conftest import PHONE
from .test_accessibility import assert_accessible_at_every_width

pytestmark = pytest.mark.browser


@pytest.fixture
def campaign(live_server):
    """An owner of the demo petition's organisation, a delivery on its timeline, a reminder counted."""
    from datetime import date

    from petitions.extensions import db
    from petitions.models import Account, EventKind, Petition
    from petitions.models.events import count_event
    from petitions.organiser import timeline

    from ..factories import create_member

    app = live_server.app
    with app.app_context():
        owner = create_member(email="owner-campaign@rights.example", language="en")
        petition = db.session.query(Petition).filter_by(slug="free-them").one()
        timeline.record_delivery(petition, date(2026, 11, 20), "en", "The Ministry of Justice", "Two boxes of letters.",
                                 db.session.get(Account, owner.id))
        count_event(db.session, petition.id, EventKind.REMINDER_SENT, delta=3)
        count_event(db.session, petition.id, EventKind.REMINDER_CONFIRMED)
        db.session.commit()
        live_server.organisation_id = petition.organisation_id
    return live_server


@pytest.mark.parametrize("javascript", [False, True])
def test_the_timeline_subscribers_and_dashboard_pages_fit_a_phone_and_pass_axe(open_page, campaign, javascript):
    page = open_page(campaign, viewport=PHONE, locale="en", javascript=javascript)
    page.goto(f"{campaign}/organiser/sign-in")
    page.fill("#email", "owner-campaign@rights.example")
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/")
    for name, path, seen in (
        ("timeline-editor", "/organiser/p/free-them/timeline", "The Ministry of Justice"),
        ("subscribers", f"/organiser/org/{campaign.organisation_id}/subscribers", "subscri"),
        ("dashboard-campaign", "/organiser/p/free-them/", "reminder"),
    ):
        response = page.goto(f"{campaign}{path}")
        assert response.status == 200 and seen in page.locator("main").inner_text()
        if javascript:  # axe is a script: it runs only where scripts do
            assert_accessible_at_every_width(page, name)
            page.set_viewport_size(PHONE)
        else:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
