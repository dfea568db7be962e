"""Sharing in Chromium with JavaScript off: the Mastodon form gets the person to their server's share page.

Chromium checks a form's redirects against the form page's CSP form-action,
which the test client cannot show: only a real browser proves the redirect is
not blocked. The Mastodon server is played by an intercepted route, so nothing
leaves the machine.
"""
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def test_mastodon_form_leads_to_the_chosen_servers_share_page(browser, live_server):
    context = browser.new_context(java_script_enabled=False, locale="ru")
    page = context.new_page()
    asked = []

    def mastodon(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Mastodon</title>")

    page.route("https://mastodon.example/**", mastodon)
    try:
        page.goto(f"{live_server}/ru/p/free-them")
        page.get_by_role("link", name="Поделиться в Mastodon").click()
        page.get_by_label("Ваш сервер Mastodon").fill("@ada@Mastodon.Example")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("https://mastodon.example/share?**")
        (url,) = asked
        text = parse_qs(urlsplit(url).query)["text"][0]
        assert text == f"Освободите узников совести\n\n{live_server}/ru/p/free-them"
    finally:
        context.close()
