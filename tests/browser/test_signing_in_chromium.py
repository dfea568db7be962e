"""A supporter signs in a real browser, confirms from the real email, and the count goes up.

Opening the emailed link only shows a page with a button; the press confirms.

Runs Debian's Chromium through Playwright (`make test-browser`, and `.ci/run`).
"""
import re

import pytest

from ..smtp import text_part
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

COUNT = {"en": "{} of 1,000", "ru": "{} из 1\xa0000", "be": "{} з 1\xa0000", "de": "{} von 1.000"}
SIGN_BUTTON = {"en": "Sign", "ru": "Подписать", "be": "Падпісаць", "de": "Unterschreiben"}
CONFIRM_BUTTON = {"en": "Confirm my signature", "ru": "Подтвердить подпись", "be": "Пацвердзіць подпіс",
                  "de": "Unterschrift bestätigen"}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("lang", ["en", "ru", "be", "de"])
def test_sign_confirm_and_see_the_count_go_up(browser, live_server, smtp_server, lang, javascript):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(java_script_enabled=javascript, locale=lang)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/p/free-them")
        assert page.url.endswith(f"/{lang}/p/free-them"), "Accept-Language should pick the page language"
        assert page.locator(".count").first.inner_text() == COUNT[lang].format(0)

        page.fill("#full_name", "Browser Signer")
        page.fill("#email", f"browser-{lang}@example.org")
        page.select_option("#country", "DE")
        page.fill("#city", "Berlin")
        page.get_by_role("button", name=SIGN_BUTTON[lang]).click()
        # The form posts to #sign so errors scroll into view; the fragment survives the redirect.
        page.wait_for_url(re.compile(r"/check-inbox(#sign)?$"))
        page.screenshot(path=str(ARTIFACTS / f"check-inbox-{lang}-{'js' if javascript else 'nojs'}.png"))

        (message,) = smtp_server.wait_for(1)
        link = re.search(r"http://127\.0\.0\.1:\d+/[a-z]{2}/confirm/\S+", text_part(message)).group(0)
        assert f"/{lang}/confirm/" in link
        page.goto(link)
        page.screenshot(path=str(ARTIFACTS / f"confirm-{lang}-{'js' if javascript else 'nojs'}.png"), full_page=True)
        page.get_by_role("button", name=CONFIRM_BUTTON[lang]).click()
        page.wait_for_load_state()
        assert page.locator(".count").first.inner_text() == COUNT[lang].format(1)
        page.screenshot(path=str(ARTIFACTS / f"confirmed-{lang}-{'js' if javascript else 'nojs'}.png"), full_page=True)

        page.goto(f"{live_server}/{lang}/p/free-them")
        assert page.locator(".count").first.inner_text() == COUNT[lang].format(1)
        assert page.locator("progress").get_attribute("value") == "1"
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(360, 740), (1280, 900)], ids=["phone", "desktop"])
def test_petition_page_fits_the_screen_with_the_form_in_reach(browser, live_server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/de/p/free-them")
        page.screenshot(path=str(ARTIFACTS / f"petition-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"horizontal overflow of {overflow}px at {width}px"
        assert page.locator("#full_name").is_visible()
        assert page.locator(".count").is_visible()
    finally:
        context.close()


def test_a_scanner_that_opens_the_link_and_runs_its_scripts_confirms_nothing(browser, live_server, smtp_server):
    """What Safe Links and its kind do with every link in a message: load it in a browser, scripts on."""
    from sqlalchemy import select

    from petitions.extensions import db
    from petitions.models import Signature

    context = browser.new_context(java_script_enabled=True, locale="en")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/en/p/free-them")
        page.fill("#full_name", "Scanned Journalist")
        page.fill("#email", "journalist@example.org")
        page.select_option("#country", "DE")
        page.get_by_role("button", name="Sign").click()
        page.wait_for_url(re.compile(r"/check-inbox(#sign)?$"))
        (message,) = smtp_server.wait_for(1)
        link = re.search(r"http://127\.0\.0\.1:\d+/en/confirm/\S+", text_part(message)).group(0)

        scanner = browser.new_context(java_script_enabled=True)
        try:
            scanned = scanner.new_page()
            scanned.goto(link, wait_until="networkidle")
            scanned.wait_for_timeout(1500)  # time for anything on the page to submit itself
            assert scanned.url == link, "the page went somewhere by itself"
            assert scanned.get_by_role("button", name="Confirm my signature").is_visible()
        finally:
            scanner.close()
        with live_server.app.app_context():
            assert db.session.scalar(select(Signature.status)) == "pending"
        page.goto(f"{live_server}/en/p/free-them")
        assert page.locator(".count").first.inner_text() == COUNT["en"].format(0)
    finally:
        context.close()
