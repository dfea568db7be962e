"""An owner turns protection on in Chromium and downloads the recovery kit, without JavaScript; axe on the wizard."""
import time

import pyotp
import pytest

from .conftest import ARTIFACTS
from .test_accessibility import AXE_PATH, PASSWORD, assert_accessible_at_every_width, axe_source  # noqa: F401

pytestmark = pytest.mark.browser

PASSPHRASE = "nine quiet herons by the river"


@pytest.fixture
def owners(live_server, monkeypatch):
    """Two owners with TOTP, each of their own organisation with signatures: (email, secret, organisation id)."""
    from petitions.accounts import services as accounts
    from petitions.extensions import db
    from petitions.models import Membership, Petition, Signature, utcnow

    monkeypatch.setattr("petitions.organiser.protection_views.STRAGGLER_SECONDS", 0)
    found = []
    with live_server.app.app_context():
        petition = db.session.query(Petition).one()
        now = utcnow()
        db.session.execute(Signature.__table__.insert(), [
            {"petition_id": petition.id, "email": f"s{n}@example.org", "email_hash": f"{n:064x}",
             "full_name": f"Hidden Signer {n}", "country": "BY", "city": "Hrodna", "language": "en",
             "status": "confirmed", "created_at": now, "confirmed_at": now, "show_name": False,
             "wants_updates": False, "public_name": "full", "confirmation_sends": 1} for n in range(1, 4)])
        for n, organisation_id in enumerate([petition.organisation_id,
                                             accounts.find_or_create_organisation("Second Group").id]):
            secret = pyotp.random_base32()
            account = accounts.create_account(f"owner{n}@rights.example", f"Owner {n}", PASSWORD, "en")
            db.session.add(Membership(organisation_id=organisation_id, account=account, role="owner"))
            account.totp_secret, account.totp_enabled_at = secret, now
            found.append((account.email, secret, organisation_id))
        db.session.commit()
    return found


def _sign_in(page, server, email, secret):
    page.goto(f"{server}/organiser/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/sign-in/code**")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/")


def _turn_on(page, secret):
    page.fill("#password", PASSWORD)
    page.fill("#code", pyotp.TOTP(secret).at(time.time() + 30))  # the sign-in used the current code
    page.fill("#passphrase", PASSPHRASE)
    page.fill("#passphrase_again", PASSPHRASE)
    page.get_by_role("button", name="Turn protection on").click()
    page.wait_for_selector("pre.recovery-kit")


def test_an_owner_turns_protection_on_and_downloads_the_kit_without_javascript(browser, live_server, owners):
    email, secret, organisation_id = owners[1]
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False,
                                  accept_downloads=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server, email, secret)
        page.goto(f"{live_server}/organiser/org/{organisation_id}/members")
        page.get_by_role("link", name="Protect signer data").click()
        page.screenshot(path=str(ARTIFACTS / "protection-off-360.png"), full_page=True)
        _turn_on(page, secret)
        shown = page.locator("pre.recovery-kit").inner_text()
        assert "PETITIONS RECOVERY KIT" in shown and "lost for good" in page.locator("main").inner_text()
        page.screenshot(path=str(ARTIFACTS / "protection-kit-360.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"horizontal overflow of {overflow}px at 360px"
        # The download is the page's own data: URL, allowed by the site's Content-Security-Policy.
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the recovery kit").click()
        assert download.value.suggested_filename.startswith("recovery-kit-")
        with open(download.value.path(), encoding="utf-8") as handle:
            assert handle.read() == shown.rstrip("\n") + "\n"
        # Printed, the kit stands alone: no site header, menu or buttons.
        page.emulate_media(media="print")
        page.screenshot(path=str(ARTIFACTS / "protection-kit-print.png"), full_page=True)
        assert not page.locator(".organiser-nav").is_visible() and page.locator("pre.recovery-kit").is_visible()
    finally:
        context.close()


def test_the_protection_wizard_has_no_serious_axe_violations(browser, live_server, owners, axe_source):  # noqa: F811
    email, secret, organisation_id = owners[0]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(f"{live_server}{AXE_PATH}",
                  lambda route: route.fulfill(body=axe_source, content_type="text/javascript; charset=utf-8"))
    page = context.new_page()
    try:
        _sign_in(page, live_server, email, secret)
        page.goto(f"{live_server}/organiser/org/{organisation_id}/protection")
        assert_accessible_at_every_width(page, "protection-off")
        _turn_on(page, secret)
        assert_accessible_at_every_width(page, "protection-kit")
        page.goto(f"{live_server}/organiser/org/{organisation_id}/protection")
        assert page.get_by_text("Protection is on").is_visible()
        assert_accessible_at_every_width(page, "protection-on")
    finally:
        context.close()
