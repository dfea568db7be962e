"""Co-signing an open letter in Chromium with JavaScript off, through the real confirmation email."""
import re

import pytest

from ..smtp import text_part
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


@pytest.fixture
def letter(live_server):
    from petitions.extensions import db
    from petitions.letters.services import import_lines
    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    with live_server.app.app_context():
        letter, _ = import_petition(petition_data(slug="joint-letter", kind="letter", languages=("en", "ru")),
                                    live_server.app.config["LANGUAGES"])
        import_lines(letter, "Viasna – Belarus\nLibereco – DE\n")
        db.session.commit()
    return "joint-letter"


def _status(live_server, address):
    from sqlalchemy import select

    from petitions.extensions import db
    from petitions.models import LetterSignatory

    with live_server.app.app_context():
        return db.session.scalar(select(LetterSignatory.status).where(LetterSignatory.email == address))


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 900)], ids=["phone", "desktop"])
def test_co_sign_as_an_organisation_without_javascript(browser, live_server, smtp_server, letter, width, height):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=False,
                                  locale="ru")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/p/{letter}")
        assert page.url.endswith(f"/ru/letter/{letter}")
        assert "1. Libereco – Германия" in page.inner_text(".signatories")
        page.screenshot(path=str(ARTIFACTS / f"letter-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"horizontal overflow of {overflow}px at {width}px"
        page.click("a.button")
        page.fill("#name", "Правозащитный центр «Весна»")
        page.select_option("#country", "BY")
        page.fill("#website", "spring96.org")
        page.fill("#contact_name", "Алесь")
        page.fill("#contact_role", "председатель")
        page.fill("#email", f"cosign-{width}@spring96.org")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/check-inbox$"))
        (message,) = smtp_server.wait_for(1)
        link = re.search(r"http://127\.0\.0\.1:\d+/ru/letter/confirm/\S+", text_part(message)).group(0)
        page.goto(link)
        # Opening the link only shows what will be confirmed; the button confirms.
        assert "Правозащитный центр «Весна» – Беларусь" in page.inner_text("main")
        assert _status(live_server, f"cosign-{width}@spring96.org") == "unconfirmed"
        page.screenshot(path=str(ARTIFACTS / f"letter-confirm-{width}.png"), full_page=True)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.url == link and page.locator("h1").is_visible()
        assert page.locator("main form").count() == 0  # the thanks page: nothing left to press
        assert _status(live_server, f"cosign-{width}@spring96.org") == "awaiting"
        # Confirmed, but not listed until the organiser approves it.
        page.goto(f"{live_server}/ru/letter/{letter}")
        assert "Весна" not in page.inner_text(".signatories")
    finally:
        context.close()
