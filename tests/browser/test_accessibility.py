"""Accessibility in a real browser: axe-core on every kind of page, and the keyboard by hand.

axe-core is not in the repository: `make test-browser` fetches it from npm into
.cache/axe first (see the Makefile). axe checks what can be checked
automatically (contrast, names, labels, landmarks, ids); the keyboard tests
check what it cannot: that a focused control is visibly marked, that the skip
link works, and what a screen reader is told about the progress bar and errors.
"""
import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest
from playwright.sync_api import expect

from ..smtp import text_part
from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser

AXE_JS = Path(__file__).resolve().parents[2] / ".cache/axe/node_modules/axe-core/axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"serious", "critical"}
PASSWORD = "correct horse battery staple"
PHONE, DESKTOP = {"width": 360, "height": 740}, {"width": 1280, "height": 900}
# An address the axe script is served from: on the page's own origin, so the
# page's Content-Security-Policy (script-src 'self') admits it unchanged.
AXE_PATH = "/__axe-core__.js"


@pytest.fixture(scope="module")
def axe_source():
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run the browser tests with `make test-browser`, which fetches axe-core")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture
def site(live_server, smtp_server):
    """The live server with something on every page: signatures, an update, paper, a letter, an organiser."""
    from sqlalchemy import text as sql

    from petitions.accounts import services as accounts
    from petitions.extensions import db
    from petitions.letters.services import import_lines, name_key
    from petitions.models import LetterSignatory, Membership, Petition, Signature, utcnow
    from petitions.organiser import campaign
    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    app = live_server.app
    secret = pyotp.random_base32()
    with app.app_context():
        petition = db.session.query(Petition).filter_by(slug="free-them").one()
        owner = accounts.create_account("olga@rights.example", "Olga", PASSWORD, "en")
        db.session.add(Membership(organisation_id=petition.organisation_id, account=owner, role="owner"))
        owner.totp_secret, owner.totp_enabled_at = secret, utcnow()
        db.session.flush()
        start = db.session.scalar(sql("SELECT COALESCE(MAX(id), 0) FROM signatures")) or 0
        now = utcnow()
        db.session.execute(Signature.__table__.insert(), [
            {"petition_id": petition.id, "email": f"s{n}@example.org", "email_hash": f"{n:064x}",
             "full_name": f"Signer {n}", "country": "DE", "city": "Berlin", "language": "en", "status": "confirmed",
             "created_at": now, "confirmed_at": now, "show_name": True, "wants_updates": False,
             "public_name": "full", "confirmation_sends": 1}
            for n in range(start + 1, start + 4)
        ])
        campaign.post_update(petition, "en", "We delivered the first thousand", "They were *handed over*.", owner)
        campaign.record_paper_count(petition, 40, "Street stall", owner)

        letter, _ = import_petition(petition_data(slug="joint-letter", kind="letter", languages=("en", "ru")),
                                    app.config["LANGUAGES"])
        import_lines(letter, "Viasna – Belarus\nLibereco – DE\n")
        db.session.add(LetterSignatory(
            petition_id=letter.id, kind="organisation", name="Spring", name_key=name_key("Spring"), country="BY",
            website="spring.example", contact_name="Ales", contact_role="chair", email="ales@gmail.example",
            language="en", status="awaiting", confirmed_at=now,
        ))
        accounts.invite(petition.organisation, "new@rights.example", "editor", owner, "en")
        db.session.commit()
        organisation_id = petition.organisation_id
    return SimpleNamespace(url=str(live_server), smtp=smtp_server, email="olga@rights.example", secret=secret,
                           organisation_id=organisation_id)


def new_page(browser, site, axe_source, viewport=DESKTOP, javascript=True):
    """A page in a fresh context that can fetch axe-core from its own origin."""
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    context.route(f"{site.url}{AXE_PATH}",
                  lambda route: route.fulfill(body=axe_source, content_type="text/javascript; charset=utf-8"))
    return context.new_page()


def axe_violations(page):
    """Run axe-core on the page as it is now; every violation, with the nodes it was found on.

    page.add_script_tag(content=...) would be an inline script, which the
    CSP refuses, and bypass_csp=True would test a page that is not the one
    served. A <script src> on the page's own origin, answered by the test
    (see new_page), passes the real CSP.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_PATH)
    return page.evaluate("""async (tags) => {
        const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        return results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
        }));
    }""", WCAG_TAGS)


def assert_accessible_at_every_width(page, name):
    """axe-core at phone and desktop widths (no serious or critical violation), and no sideways scrolling.

    The page is audited as it is, then resized, so what was done to reach it
    (signing in, a failed submission) happens once.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        width = viewport["width"]
        violations = axe_violations(page)
        (ARTIFACTS / f"axe-{name}-{width}.json").write_text(json.dumps(violations, indent=2, ensure_ascii=False))
        page.screenshot(path=str(ARTIFACTS / f"axe-{name}-{width}.png"), full_page=True)
        for v in violations:
            if v["impact"] in BLOCKING:
                problems.append(f"at {width}px: {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
                problems += [f"    {' '.join(map(str, n['target']))}: {n['html'][:160]}" for n in v["nodes"]]
        # WCAG 1.4.10 (reflow), which axe does not check: no sideways scrolling, even on a 360px phone.
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 0:
            problems.append(f"at {width}px: the page is {overflow}px wider than the screen")
    assert not problems, f"{page.url}:\n" + "\n".join(problems)


def wait_for_mail(site, pattern, timeout=10):
    """The first link matching ``pattern`` in any email the test SMTP server has received."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(site.smtp.messages):
            found = re.search(pattern, text_part(message))
            if found:
                return found.group(0)
        time.sleep(0.05)
    raise AssertionError(f"no email with a link matching {pattern!r}")


def sign_petition(page, site, email="reader@example.org"):
    page.goto(f"{site.url}/en/p/free-them")
    page.fill("#full_name", "Screen Reader")
    page.fill("#email", email)
    page.select_option("#country", "DE")
    page.get_by_role("button", name="Sign").click()
    expect(page.locator("h1")).to_have_text("Check your inbox")  # the POST's own answer, not a redirect


def sign_in(page, site):
    _sign_in_code(page, site)
    page.fill("#code", pyotp.TOTP(site.secret).now())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/")


# Each page: how to get there from a fresh browser. Organiser pages sign in first.
def _goto(path):
    return lambda page, site: page.goto(site.url + path)


def _petition_with_errors(server_side):
    def visit(page, site):
        if server_side:
            # axe needs JavaScript on, so keep petition.js from catching the errors before the server does.
            page.route("**/static/petition.js", lambda route: route.abort())
        page.goto(f"{site.url}/en/p/free-them")
        page.fill("#email", "not an address")
        page.get_by_role("button", name="Sign").click()
        expect(page.locator(".error-summary")).to_be_visible()
        # 400: the server's page with errors; 200: still the page as loaded, with petition.js's errors.
        assert page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus") == \
            (400 if server_side else 200)
    return visit


def _confirm(page, site):
    sign_petition(page, site)
    page.goto(wait_for_mail(site, r"http://127\.0\.0\.1:\d+/en/confirm/\S+"))
    expect(page.locator("h1")).to_have_text("Confirm my signature")


def _confirmed(page, site):
    _confirm(page, site)
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.locator("h1")).to_have_text("Thank you")


def _withdraw(page, site):
    sign_petition(page, site)
    page.goto(wait_for_mail(site, r"http://127\.0\.0\.1:\d+/en/withdraw/\S+"))
    expect(page.locator("h1")).to_have_text("Withdraw your signature")


def _withdrawn(page, site):
    _withdraw(page, site)
    page.get_by_role("button", name="Withdraw my signature").click()
    expect(page.locator("h1")).to_have_text("Your signature is withdrawn")


def _letter_sign_with_errors(page, site):
    page.goto(f"{site.url}/en/letter/joint-letter/sign/organisation")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()


def _sign_in_code(page, site):
    page.goto(f"{site.url}/organiser/sign-in")
    page.fill("#email", site.email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/organiser/sign-in/code**")


def _organiser(path):
    def visit(page, site):
        sign_in(page, site)
        page.goto(site.url + path.format(org=site.organisation_id))
    return visit


PUBLIC_PAGES = {
    "index": _goto("/en/"),
    "petition": _goto("/en/p/free-them"),
    "petition-russian": _goto("/ru/p/free-them"),
    "petition-with-errors": _petition_with_errors(server_side=True),
    "petition-with-errors-from-script": _petition_with_errors(server_side=False),
    "versions": _goto("/en/p/free-them/versions"),
    "check-inbox": sign_petition,
    "confirm": _confirm,
    "confirmed": _confirmed,
    "withdraw": _withdraw,
    "withdrawn": _withdrawn,
    "index-delivered-search": _goto("/en/?status=delivered&q=free&sort=newest"),
    "my-data": _goto("/en/my-data"),
    "letter": _goto("/en/letter/joint-letter"),
    "letter-sign-organisation": _goto("/en/letter/joint-letter/sign/organisation"),
    "letter-sign-individual": _goto("/en/letter/joint-letter/sign/individual"),
    "letter-sign-with-errors": _letter_sign_with_errors,
}
ORGANISER_PAGES = {
    "sign-in": _goto("/organiser/sign-in"),
    "sign-in-code": _sign_in_code,
    "home": _organiser("/organiser/"),
    "new-petition": _organiser("/organiser/new"),
    "dashboard": _organiser("/organiser/p/free-them/"),
    "settings": _organiser("/organiser/p/free-them/settings"),
    "text-editor": _organiser("/organiser/p/free-them/text/en"),
    "preview": _organiser("/organiser/p/free-them/preview/en"),
    "updates": _organiser("/organiser/p/free-them/updates"),
    "paper": _organiser("/organiser/p/free-them/paper"),
    "export": _organiser("/organiser/p/free-them/export"),
    "letter-signatories": _organiser("/organiser/p/joint-letter/signatories"),
    "letter-dashboard": _organiser("/organiser/p/joint-letter/"),
    "members": _organiser("/organiser/org/{org}/members"),
    "account": _organiser("/organiser/account"),
    "two-factor": _organiser("/organiser/account/two-factor"),
    "audit": _organiser("/organiser/org/{org}/audit"),
}


@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_public_page_has_no_serious_axe_violations(browser, site, axe_source, name):
    page = new_page(browser, site, axe_source, PHONE)
    try:
        PUBLIC_PAGES[name](page, site)
        assert_accessible_at_every_width(page, name)
    finally:
        page.context.close()


@pytest.mark.parametrize("name", list(ORGANISER_PAGES))
def test_organiser_page_has_no_serious_axe_violations(browser, site, axe_source, name):
    page = new_page(browser, site, axe_source, PHONE)
    try:
        ORGANISER_PAGES[name](page, site)
        assert_accessible_at_every_width(page, f"organiser-{name}")
    finally:
        page.context.close()


FOCUS_STYLE = """() => {
    const el = document.activeElement, style = getComputedStyle(el);
    return {tag: el.tagName.toLowerCase(), id: el.id, text: (el.innerText || el.value || "").trim().slice(0, 40),
            outline: style.outlineStyle, width: parseFloat(style.outlineWidth) || 0, shadow: style.boxShadow};
}"""


@pytest.mark.parametrize("path", ["/en/p/free-them", "/en/letter/joint-letter", "/en/my-data"],
                         ids=["petition", "letter", "my-data"])
def test_every_tab_stop_shows_where_the_focus_is(browser, site, axe_source, path):
    page = new_page(browser, site, axe_source, PHONE, javascript=False)
    try:
        page.goto(site.url + path)
        stops = []
        for _ in range(60):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUS_STYLE)
            if focused["tag"] == "body" or (stops and focused == stops[0]):
                break  # went round to the start
            stops.append(focused)
        assert len(stops) >= 4, f"only {len(stops)} places to Tab to: {stops}"
        unmarked = [s for s in stops if (s["outline"] == "none" or s["width"] < 2) and s["shadow"] == "none"]
        assert not unmarked, f"focused but not visibly marked: {unmarked}"
        if path.endswith("free-them"):
            reached = {s["id"] for s in stops} | {s["text"] for s in stops}
            assert {"full_name", "email", "country", "Sign"} <= reached, f"the form is not reachable by Tab: {stops}"
    finally:
        page.context.close()


def test_skip_link_is_the_first_tab_stop_is_seen_and_moves_to_the_content(browser, site, axe_source):
    page = new_page(browser, site, axe_source, PHONE, javascript=False)
    try:
        page.goto(f"{site.url}/en/p/free-them")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= PHONE["width"], \
            f"the focused skip link is off the screen: {box}"
        page.screenshot(path=str(ARTIFACTS / "skip-link-360.png"))
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        expect(page.locator("main#main")).to_be_focused()
        # The next Tab goes into the content, not back to the header.
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    finally:
        page.context.close()


def test_progress_bar_tells_a_screen_reader_its_name_and_value(browser, site, axe_source):
    page = new_page(browser, site, axe_source, PHONE)
    try:
        page.goto(f"{site.url}/en/p/free-them")
        # What Chromium hands to a screen reader, not just the markup.
        cdp = page.context.new_cdp_session(page)
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
        bars = [n for n in nodes if n.get("role", {}).get("value") == "progressbar" and not n.get("ignored")]
        assert len(bars) == 1, f"expected one progress bar, found {len(bars)}"
        bar = bars[0]
        props = {p["name"]: p["value"].get("value") for p in bar.get("properties", [])}
        assert bar["name"]["value"] == "Signatures toward the goal"
        # Three confirmed online signatures and 40 on paper count toward the goal of 1,000.
        now = bar.get("value", {}).get("value")
        assert (props.get("valuemin"), now, props.get("valuemax")) == (0, 43, 1000), (bar.get("value"), props)
    finally:
        page.context.close()


@pytest.mark.parametrize("path", ["/en/p/free-them", "/en/letter/joint-letter/sign/individual"],
                         ids=["petition", "letter"])
def test_form_errors_are_announced_and_tied_to_their_fields(browser, site, axe_source, path):
    page = new_page(browser, site, axe_source, PHONE, javascript=False)
    try:
        page.goto(site.url + path)
        page.fill("#email", "not an address")
        page.locator("main form button[type=submit]").click()
        summary = page.locator(".error-summary")
        expect(summary).to_have_attribute("role", "alert")
        expect(summary).to_be_in_viewport()
        # Focus starts on the summary, so a screen reader reads it first even without JavaScript.
        expect(summary).to_be_focused()
        links = summary.locator("a")
        assert links.count() >= 2, "the summary should list each field in error"
        for i in range(links.count()):
            link = links.nth(i)
            target = page.locator(link.get_attribute("href"))
            expect(target).to_have_attribute("aria-invalid", "true")
            message = page.locator(f"#{target.get_attribute('id')}-error")
            expect(target).to_have_accessible_description(message.inner_text())
            link.click()
            expect(target).to_be_in_viewport()
    finally:
        page.context.close()
