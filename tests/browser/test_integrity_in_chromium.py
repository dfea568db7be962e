"""The integrity page in Chromium: a flagged hour, the busiest networks, preview, invalidate and undo; axe on each."""
from datetime import timedelta

import pytest

from ..helpers import PASSWORD
from .conftest import PHONE
from .test_accessibility import assert_accessible_at_every_width

pytestmark = pytest.mark.browser

BOT_NETWORK = "c0ffee" + "0" * 58


@pytest.fixture
def flooded(live_server):
    """An owner (in English and in Farsi), a flood this hour from one network, and a few others."""
    from petitions.address_hashes import petition_domain_hash
    from petitions.extensions import db
    from petitions.models import EventKind, Petition, utcnow
    from petitions.models.events import count_event
    from petitions.organiser import integrity

    from ..factories import add_signatures, create_member

    app = live_server.app
    with app.app_context():
        create_member(email="owner-en@rights.example", language="en")
        create_member(email="owner-fa@rights.example", language="fa")
        petition = db.session.query(Petition).filter_by(slug="free-them").one()
        now = utcnow()
        for hours_ago in range(3, 40, 2):
            count_event(db.session, petition.id, EventKind.SIGNED_HOUR,
                        integrity.hour_key(now - timedelta(hours=hours_ago)), delta=3)
        count_event(db.session, petition.id, EventKind.SIGNED_HOUR, integrity.hour_key(now), delta=60)
        key = app.config["HASH_KEY"]
        add_signatures(petition, 60, at=now - timedelta(minutes=2), client_hash=BOT_NETWORK,
                       email_domain_hash=petition_domain_hash(key, petition.id, "bots.example"))
        add_signatures(petition, 4, at=now - timedelta(minutes=1), client_hash="a" * 64,
                       email_domain_hash=petition_domain_hash(key, petition.id, "gmail.com"))
        db.session.commit()
    return live_server


def _sign_in(page, live_server, language):
    page.goto(f"{live_server}/organiser/sign-in")
    page.fill("#email", f"owner-{language}@rights.example")
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_an_owner_finds_the_flood_previews_invalidates_and_undoes_it(open_page, flooded, language):
    live_server = flooded
    page = open_page(live_server, viewport=PHONE, locale=language)
    _sign_in(page, live_server, language)
    page.goto(f"{live_server}/organiser/p/free-them/integrity")
    flagged = page.locator("tr.flagged")
    assert flagged.count() == 1 and flagged.locator("strong").is_visible()
    assert_accessible_at_every_width(page, f"integrity-{language}")
    page.set_viewport_size(PHONE)
    # The busiest network's link fills the form in; the preview changes nothing.
    page.locator(f"a[href*='fingerprint={BOT_NETWORK}']").click()
    page.locator("form[action$='/preview/fingerprint'] button[type=submit]").click()
    page.wait_for_url("**/preview/fingerprint")
    if language == "en":
        assert "60 confirmed signatures would stop counting" in page.locator("main").inner_text()
    assert_accessible_at_every_width(page, f"integrity-preview-{language}")
    page.locator("form[action$='/invalidate/fingerprint'] button[type=submit]").click()
    page.wait_for_url("**/integrity#invalidations")
    if language == "en":
        assert "60 signatures invalidated" in page.locator(".flashes").inner_text()
    assert_accessible_at_every_width(page, f"integrity-invalidated-{language}")
    page.locator("#invalidations form button[type=submit]").click()
    page.wait_for_url("**/integrity#invalidations")
    if language == "en":
        assert "60 signatures restored" in page.locator(".flashes").inner_text()
    assert page.locator("#invalidations form").count() == 0


def test_a_bad_filter_is_shown_on_its_field(open_page, flooded):
    live_server = flooded
    page = open_page(live_server, viewport=PHONE, locale="en")
    _sign_in(page, live_server, "en")
    page.goto(f"{live_server}/organiser/p/free-them/integrity")
    page.fill("#domain-domain", "not a domain")
    page.locator("form[action$='/preview/domain'] button[type=submit]").click()
    assert page.locator("#domain-domain[aria-invalid=true]").count() == 1
    assert "This is not an email domain" in page.locator("#domain-domain-error").inner_text()
    assert_accessible_at_every_width(page, "integrity-refused")
