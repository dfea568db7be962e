"""'Keep me informed' in Chromium on a 360 px phone, with and without JavaScript: the form on the organisation's page,
the check-inbox answer, and the emailed link's page with its one button; axe on each (axe itself needs JavaScript,
so without it each page is checked for sideways scrolling only)."""
import re

import pytest
from sqlalchemy import select

from ..smtp import text_part
from .conftest import PHONE
from .test_accessibility import assert_accessible_at_every_width as audit

pytestmark = pytest.mark.browser


@pytest.fixture
def organisation_page(live_server):
    from petitions.extensions import db
    from petitions.models import Organisation

    with live_server.app.app_context():
        slug = db.session.scalar(select(Organisation.slug))
    return f"{live_server}/en/o/{slug}"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_subscribe_and_confirm_on_a_phone(open_page, live_server, smtp_server, organisation_page, javascript):
    from petitions.extensions import db
    from petitions.models import Subscriber

    page = open_page(live_server, viewport=PHONE, javascript=javascript)

    def assert_accessible_at_every_width(page, name):
        if javascript:
            audit(page, name)
        else:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name

    page.goto(organisation_page)
    form = page.locator("section.subscribe")
    assert form.get_by_role("heading", name="Keep me informed").is_visible()
    assert_accessible_at_every_width(page, f"subscribe-form-{javascript}")
    page.set_viewport_size(PHONE)

    # A bad address comes back with its message, on the form's own page, and nothing is stored.
    page.fill("#email", "not an address")
    page.get_by_role("button", name="Keep me informed").click()
    page.wait_for_selector(".error-summary")
    assert "valid email address" in page.locator(".error-summary").inner_text()
    assert_accessible_at_every_width(page, f"subscribe-error-{javascript}")
    page.set_viewport_size(PHONE)

    page.fill("#email", f"phone-{javascript}@example.org")
    page.get_by_role("button", name="Keep me informed").click()
    page.wait_for_selector("text=Check your inbox")
    assert_accessible_at_every_width(page, f"subscribe-check-inbox-{javascript}")

    (message,) = smtp_server.wait_for(1)
    link = re.search(r"http://127\.0\.0\.1:\d+/en/subscription/confirm/\S+", text_part(message)).group(0)
    page.set_viewport_size(PHONE)
    page.goto(link)
    assert page.get_by_role("button").count() == 1
    assert_accessible_at_every_width(page, f"subscribe-confirm-{javascript}")
    with live_server.app.app_context():
        assert db.session.scalar(select(Subscriber.status)) == "pending"  # opening the link confirmed nothing
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_selector("text=You will receive news")
    with live_server.app.app_context():
        assert db.session.scalar(select(Subscriber.status)) == "confirmed"
