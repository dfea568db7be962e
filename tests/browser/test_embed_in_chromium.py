"""The widgets in another site's page, in Chromium: the counter, signing in the frame, and the live counter.

The app runs on http://127.0.0.1:<port>; the page that frames it is served
from http://localhost:<other port>, another origin and another site, as an
organisation's own website would be.
"""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ..helpers import free_port
from ..smtp import text_part
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


class OtherSite(str):
    """The other site's base URL; ``.pages`` maps paths to the HTML it serves."""

    def __new__(cls, url, pages):
        self = super().__new__(cls, url)
        self.pages = pages
        return self


@pytest.fixture
def other_site(live_server):
    """A plain website on another origin, framing the widgets (and, to see it refused, the petition page)."""
    frames = {
        "counter": f"{live_server}/embed/en/p/free-them/counter",
        "sign": f"{live_server}/embed/en/p/free-them/sign",
        "petition": f"{live_server}/en/p/free-them",
    }
    pages = {
        "/": "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Our campaign</title></head><body>"
             "<h1>An organisation's own website</h1>"
             f"<iframe id='counter' src='{frames['counter']}' title='Signature count' width='360' height='230'></iframe>"
             f"<iframe id='sign' src='{frames['sign']}' title='Sign the petition' width='360' height='1000'></iframe>"
             "</body></html>",
        "/framed-petition": "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>x</title></head><body>"
                            f"<iframe id='petition' src='{frames['petition']}' title='Petition'></iframe></body></html>",
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *args):
            pass

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield OtherSite(f"http://localhost:{port}", pages)
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def frame(page, name):
    return page.frame_locator(f"iframe#{name}")


def confirm_by_mail(browser, smtp_server, count):
    """Open the newest confirmation link, as the signer would from their mail program, and press its button."""
    messages = smtp_server.wait_for(count)
    assert len(messages) >= count, "the confirmation email did not arrive"
    link = re.search(r"http://127\.0\.0\.1:\d+/[a-z]{2}/confirm/\S+", text_part(messages[-1])).group(0)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(link)
        page.get_by_role("button", name="Confirm my signature").click()
        page.get_by_role("heading", name="Thank you").wait_for()
    finally:
        context.close()
    return link


def test_widgets_work_inside_another_sites_page(browser, live_server, other_site, smtp_server):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 800, "height": 1300}, locale="en")
    page = context.new_page()
    try:
        page.goto(other_site + "/")
        counter, sign = frame(page, "counter"), frame(page, "sign")
        assert counter.locator(".count").inner_text() == "0 of 1,000"
        assert counter.locator("h1 a").get_attribute("target") == "_blank"
        assert sign.locator(".count").inner_text() == "0 of 1,000"
        page.screenshot(path=str(ARTIFACTS / "embed-other-site.png"), full_page=True)

        sign.locator("#full_name").fill("Framed Signer")
        sign.locator("#email").fill("framed@example.org")
        sign.locator("#country").select_option("DE")
        sign.get_by_role("button", name="Sign").click()
        sign.get_by_role("heading", name="Check your inbox").wait_for()
        assert page.url == other_site + "/", "the visitor stays on the other site"
        page.screenshot(path=str(ARTIFACTS / "embed-signed.png"), full_page=True)

        link = confirm_by_mail(browser, smtp_server, 1)
        assert "/en/confirm/" in link
        page.reload()
        assert frame(page, "counter").locator(".count").inner_text() == "1 of 1,000"
    finally:
        context.close()


def test_the_petition_page_refuses_to_be_framed(browser, live_server, other_site):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(other_site + "/framed-petition")
        page.wait_for_timeout(500)
        framed = next(f for f in page.frames if f is not page.main_frame)
        # Chromium shows its own error page instead of ours.
        assert not framed.url.startswith(str(live_server)), framed.url
        assert framed.locator("form").count() == 0
        # The same page opens normally on its own.
        page.goto(f"{live_server}/en/p/free-them")
        assert page.locator("#full_name").is_visible()
    finally:
        context.close()


def test_the_counter_goes_up_without_reloading_once_a_signature_is_confirmed(browser, live_server, other_site,
                                                                            smtp_server):
    live_server.app.config["COUNTER_POLL_SECONDS"] = 1
    context = browser.new_context(locale="en")
    page = context.new_page()
    try:
        page.goto(other_site + "/")
        counter, sign = frame(page, "counter"), frame(page, "sign")
        assert counter.locator(".count").inner_text() == "0 of 1,000"
        sign.locator("#full_name").fill("Live Counter")
        sign.locator("#email").fill("live@example.org")
        sign.locator("#country").select_option("BY")
        sign.get_by_role("button", name="Sign").click()
        sign.get_by_role("heading", name="Check your inbox").wait_for()
        confirm_by_mail(browser, smtp_server, 1)

        counter.locator(".count", has_text="1 of 1,000").wait_for(timeout=10_000)
        assert counter.locator("progress").get_attribute("value") == "1"
        assert counter.locator("[data-counter-part=signatures]").inner_text() == "1 signature"
        # Screen readers hear it too, but only now and then (six polls after the page loaded).
        counter.locator("[aria-live=polite]", has_text="1 signature").wait_for(timeout=10_000)
    finally:
        context.close()


def figures(page):
    """What the counter shows: the count, the bar's fallback text and the details."""
    return [page.locator(selector).inner_text() for selector in (".count", "progress", ".count-detail")]


@pytest.mark.parametrize("lang", ["ru", "de"])
def test_the_live_counter_writes_numbers_as_the_server_does(browser, live_server, lang):
    from petitions.extensions import db
    from petitions.models import Petition

    from ..factories import add_signatures

    live_server.app.config["COUNTER_POLL_SECONDS"] = 1
    with live_server.app.app_context():
        petition_id = db.session.query(Petition.id).scalar()
        add_signatures(db.session.get(Petition, petition_id), 1233)
    context = browser.new_context(locale=lang)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/{lang}/p/free-them")
        server_written = figures(page)
        with live_server.app.app_context():
            add_signatures(db.session.get(Petition, petition_id), 1)
        # What the script writes for 1,234 must be what the server writes for 1,234.
        page.locator(".counter[data-count='1234']").wait_for(timeout=10_000)
        live_text = figures(page)
        page.reload()
        assert live_text == figures(page) != server_written
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("where", ["widget", "petition-page"])
def test_the_form_says_what_is_missing_before_sending(browser, live_server, lang, where):
    address = f"{live_server}/embed/{lang}/p/free-them/sign" if where == "widget" else f"{live_server}/{lang}/p/free-them"
    submit = "#sign button[type=submit]"
    context = browser.new_context(locale=lang)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request) if request.method == "POST" else None)
    try:
        page.goto(address)
        page.fill("#email", "not an address")
        page.locator(submit).click()
        summary = page.locator("#error-summary")
        assert summary.is_visible()
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert requests == [], "nothing is sent while the form has problems"
        for name in ("full_name", "email", "country"):
            control = page.locator(f"#{name}")
            assert control.get_attribute("aria-invalid") == "true"
            assert control.get_attribute("aria-describedby") == f"{name}-error"
            assert page.locator(f"#{name}-error").is_visible()
        page.screenshot(path=str(ARTIFACTS / f"client-errors-{where}-{lang}.png"), full_page=True)
        client_messages = {name: page.locator(f"#{name}-error").inner_text() for name in ("full_name", "email", "country")}

        # The server, asked the same with the script off, says the same words.
        plain = browser.new_context(locale=lang, java_script_enabled=False)
        try:
            server = plain.new_page()
            server.goto(address)
            server.fill("#email", "not an address")
            server.locator(submit).click()
            server.wait_for_load_state()
            assert {name: server.locator(f"#{name}-error").inner_text() for name in client_messages} == client_messages
            assert server.locator("#error-summary h2").inner_text() == summary.locator("h2").inner_text()
        finally:
            plain.close()

        # Fixing one field leaves only the others marked.
        page.fill("#full_name", "Fixed Name")
        page.locator(submit).click()
        assert page.locator("#full_name").get_attribute("aria-invalid") is None
        assert page.locator("#full_name-error").count() == 0 and page.locator(".error-summary").count() == 1
        assert requests == []
    finally:
        context.close()
