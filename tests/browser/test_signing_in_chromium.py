"""A supporter signs in a real browser, confirms from the real email, and the count goes up.

Runs Debian's Chromium through Playwright (`make test-browser`, and `.ci/run`).
"""
import re

import pytest

from ..smtp import text_part
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

COUNT = {"en": "{} of 1,000", "ru": "{} из 1\xa0000", "be": "{} з 1\xa0000", "de": "{} von 1.000"}
SIGN_BUTTON = {"en": "Sign", "ru": "Подписать", "be": "Падпісаць", "de": "Unterschreiben"}


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
