"""An organiser signs in with a second factor, reads the dashboard, and downloads an export in Chromium."""
import csv

import pyotp
import pytest

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def organiser(live_server):
    """An owner with TOTP, in the live server's database."""
    from petitions.accounts import services as accounts
    from petitions.extensions import db
    from petitions.models import Membership, Petition

    secret = pyotp.random_base32()
    with live_server.app.app_context():
        account = accounts.create_account("olga@rights.example", "Olga", "correct horse battery staple", "ru")
        petition = db.session.query(Petition).one()
        db.session.add(Membership(organisation_id=petition.organisation_id, account=account, role="owner"))
        account.totp_secret = secret
        account.totp_enabled_at = petition.created_at
        db.session.commit()
        email = account.email
    return email, secret


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 900)], ids=["phone", "desktop"])
def test_sign_in_with_a_code_and_read_the_dashboard(browser, live_server, organiser, width, height):
    email, secret = organiser
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/organiser/sign-in")
        page.fill("#email", email)
        page.fill("#password", "correct horse battery staple")
        page.locator("form button[type=submit]").click()
        page.wait_for_url("**/organiser/sign-in/code**")
        page.fill("#code", pyotp.TOTP(secret).now())
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/organiser/")
        page.goto(f"{live_server}/organiser/p/free-them/")
        assert page.locator("svg[role=img]").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"horizontal overflow of {overflow}px at {width}px"

        page.goto(f"{live_server}/organiser/p/free-them/export")
        page.select_option("#format", "csv")
        with page.expect_download() as download:
            page.locator("form:has(#format) button[type=submit]").click()
        path = download.value.path()
        with open(path, encoding="utf-8-sig", newline="") as handle:
            # Every cell is quoted, the header too: spreadsheets in ;-separated locales read it safely.
            assert next(csv.reader(handle)) == ["name", "city", "country", "language", "signed_at_utc"]
    finally:
        context.close()
