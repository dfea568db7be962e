"""Fixtures for the real-browser tests: the app over real HTTP on loopback, and Debian's Chromium."""
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..helpers import free_port

# Chromium drops requests for static files (the favicon above all) when a test moves on; the
# development server then leaves the file for the garbage collector to close, at whatever moment
# it runs, inside some later test. That is the test server's affair, not the application's.
_STATIC_FILE = r"[^']*/petitions/static/"
STATIC_FILE_WARNINGS = (
    rf"ignore:Exception ignored in. <_io\.(FileIO|BufferedReader) name='{_STATIC_FILE}:pytest.PytestUnraisableExceptionWarning",
    rf"ignore:unclosed file <_io\.BufferedReader name='{_STATIC_FILE}:ResourceWarning",
)


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("browser"):
            for rule in STATIC_FILE_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(rule))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 900}


class LiveServer(str):
    """The server's base URL, which also carries its app (for setting up data)."""

    def __new__(cls, url, app):
        self = super().__new__(cls, url)
        self.app = app
        return self


@pytest.fixture
def live_server(make_app, smtp_server):
    """The application served over real HTTP on loopback, mailing through the test SMTP server."""
    port = free_port()
    app = make_app(
        BASE_URL=f"http://127.0.0.1:{port}",
        MAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        MAIL_DELIVER_AFTER_REQUEST=True,
        WTF_CSRF_ENABLED=True,
    )
    with app.app_context():
        from petitions.extensions import db
        from petitions.organiser.services import import_petition

        from ..helpers import petition_data

        import_petition(petition_data(languages=("en", "ru", "be", "de")), app.config["LANGUAGES"])
        db.session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{port}", app)
    app.extensions["petitions.mail_delivery"].stop()
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()




@pytest.fixture(scope="session")
def axe_js():
    from .test_accessibility import AXE_JS

    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run the browser tests with `make test-browser`, which fetches axe-core")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def open_page(browser, axe_js):
    """open_page(base_url, viewport, javascript, locale): a page in a fresh context that can fetch axe from its origin.

    The pages' CSP admits scripts from their own origin only, so axe is served at the site's own address.
    """
    from .test_accessibility import AXE_PATH

    contexts = []

    def opener(base_url, viewport=PHONE, javascript=True, locale="en"):
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale=locale)
        context.route(f"{base_url}{AXE_PATH}",
                      lambda route: route.fulfill(body=axe_js, content_type="text/javascript; charset=utf-8"))
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield opener
    for context in contexts:
        context.close()
