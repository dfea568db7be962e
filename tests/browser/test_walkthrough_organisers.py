"""Issue 17, items 6–10, walked through in Chromium as an organiser would: at 360 and 1280 px, with axe.

Each test signs in once (a TOTP code works once), then resizes the same page.
Screenshots go to test-artifacts/walk-*.png.
"""
import re

import pytest
from playwright.sync_api import expect

from . import test_accessibility as a11y
from .conftest import ARTIFACTS
from .test_accessibility import DESKTOP, PHONE, assert_accessible_at_every_width, new_page, sign_in

# The accessibility tests' fixtures, used here as they are.
site = a11y.site
axe_source = a11y.axe_source

pytestmark = pytest.mark.browser


@pytest.fixture
def walk(site, live_server):
    """The accessibility site, plus a draft whose Russian text has no addressee, and Russian readers of updates."""
    from petitions.extensions import db
    from petitions.models import Petition, Signature, utcnow
    from petitions.organiser import services

    from ..helpers import petition_data

    app = live_server.app
    with app.app_context():
        data = petition_data(slug="free-maria", languages=("en", "ru"), status="draft")
        data["translations"]["ru"]["addressee"] = ""
        services.import_petition(data, app.config["LANGUAGES"])
        petition = db.session.query(Petition).filter_by(slug="free-them").one()
        now = utcnow()
        db.session.add(Signature(petition_id=petition.id, email="r@example.org", email_hash="f" * 64,
                                 full_name="Reader", country="BY", city="", language="ru", status="confirmed",
                                 created_at=now, confirmed_at=now, show_name=False, wants_updates=True,
                                 public_name="full", confirmation_sends=1))
        db.session.commit()
    return site


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(ARTIFACTS / f"walk-{name}-{viewport['width']}.png"), full_page=True)


def test_item6_a_draft_shows_its_checklist_first_and_publishing_incomplete_asks(browser, walk, axe_source):
    page = new_page(browser, walk, axe_source, viewport=PHONE)
    try:
        sign_in(page, walk)
        page.goto(f"{walk.url}/organiser/p/free-maria/")
        checklist = page.locator(".checklist")
        expect(checklist).to_contain_text("missing addressee")
        # On a phone the checklist and the publish button are on the first screen, not 2,000 px down.
        assert checklist.bounding_box()["y"] < PHONE["height"]
        assert page.get_by_role("button", name="Publish and open for signing").bounding_box()["y"] < 2 * PHONE["height"]
        expect(page.get_by_text("Confirmed signatures per day")).to_have_count(0)
        assert_accessible_at_every_width(page, "walk-draft-dashboard")
        shot(page, "draft-dashboard")

        page.get_by_role("button", name="Publish and open for signing").click()
        expect(page.locator(".flash.error")).to_contain_text("Some languages are incomplete")
        expect(page.locator("p", has_text="Status: Draft")).to_be_visible()

        # The preview is the real page: counter, sign form and share links, all inert.
        page.goto(f"{walk.url}/organiser/p/free-maria/preview/ru")
        expect(page.locator(".preview-frame .counter")).to_be_visible()
        expect(page.locator(".preview-frame #sign-heading")).to_be_visible()
        expect(page.locator(".preview-frame .share")).to_be_visible()
        assert page.evaluate("document.querySelector('.preview-frame').inert") is True
        # Inert: the form cannot be focused, so it cannot be filled in or sent.
        assert page.evaluate("document.querySelector('.preview-frame #full_name').focus(), document.activeElement.id") \
            != "full_name"
        expect(page.locator(".preview-banner")).to_contain_text("Back to the dashboard")
        assert_accessible_at_every_width(page, "walk-preview")
        shot(page, "preview")

        page.goto(f"{walk.url}/organiser/p/free-maria/")
        page.get_by_label("Publish even though some languages are incomplete").check()
        page.get_by_role("button", name="Publish and open for signing").click()
        expect(page.locator(".flash")).to_contain_text("Status changed.")
    finally:
        page.context.close()


def test_item7_the_editor_keeps_what_was_typed_and_warns_before_leaving(browser, walk, axe_source):
    page = new_page(browser, walk, axe_source, viewport=DESKTOP)
    try:
        sign_in(page, walk)
        page.goto(f"{walk.url}/organiser/p/free-maria/text/ru")
        page.fill("#addressee", "Генеральному прокурору")
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
        page.get_by_role("link", name="Dashboard").click()
        page.wait_for_timeout(300)
        assert dialogs == ["beforeunload"] and page.url.endswith("/text/ru")

        page.get_by_role("button", name="Save and preview").click()  # submitting is not leaving: no warning
        page.wait_for_url("**/preview/ru")
        assert dialogs == ["beforeunload"]
        expect(page.locator(".preview-frame .addressee")).to_contain_text("Генеральному прокурору")
        page.goto(f"{walk.url}/organiser/p/free-maria/text/ru")
        expect(page.locator("#addressee")).to_have_value("Генеральному прокурору")
        expect(page.locator("h1")).to_have_text("Text: Russian")
        assert_accessible_at_every_width(page, "walk-editor")
        shot(page, "editor")
    finally:
        page.context.close()


def test_item8_an_update_is_written_in_every_language_then_sent(browser, walk, axe_source):
    page = new_page(browser, walk, axe_source, viewport=PHONE, javascript=True)
    try:
        sign_in(page, walk)
        page.goto(f"{walk.url}/organiser/p/free-them/updates")
        expect(page.locator("table.data").first).to_contain_text("Russian")
        page.fill("#title", "The court date is set")
        page.fill("#body", "The hearing is on **12 January**.")
        page.get_by_role("button", name="Save draft").click()
        draft = page.locator("article.update.draft")
        expect(draft).to_contain_text("Draft, not sent")
        expect(draft.locator(".notice.warning")).to_contain_text("No text yet in: Russian.")
        assert_accessible_at_every_width(page, "walk-updates")
        shot(page, "updates-draft")

        draft.get_by_role("button", name="Send").click()
        expect(page.locator(".flash.error")).to_contain_text("Not sent: no text yet in Russian.")
        draft = page.locator("article.update.draft")
        draft.locator("select").select_option("ru")
        draft.get_by_label("Title").fill("Дата суда назначена")
        draft.get_by_label("Text (Markdown)").fill("Заседание **12 января**.")
        draft.get_by_role("button", name="Save translation").click()
        expect(page.locator("article.update.draft .notice.warning")).to_have_count(0)
        page.locator("article.update.draft").get_by_role("button", name="Send").click()
        expect(page.locator(".flash")).to_contain_text("Update published.")
        expect(page.locator("article.update.draft")).to_have_count(0)
        shot(page, "updates-sent")
    finally:
        page.context.close()


def test_item9_letters_are_first_class_in_the_organiser_area(browser, walk, axe_source):
    page = new_page(browser, walk, axe_source, viewport=DESKTOP)
    try:
        sign_in(page, walk)
        row = page.locator("tr", has=page.locator(".kind"))
        expect(row.locator(".badge")).to_have_text("1 waiting")
        expect(row.locator(".kind")).to_have_text("Open letter")
        shot(page, "home")

        page.goto(f"{walk.url}/organiser/p/joint-letter/")
        figures = page.locator("#signatories-heading + dl")
        expect(figures).to_contain_text("Organisations")
        expect(figures).to_contain_text("Waiting for your decision")
        expect(page.get_by_text("Next goal")).to_have_count(0)
        assert_accessible_at_every_width(page, "walk-letter-dashboard")
        shot(page, "letter-dashboard")

        page.goto(f"{walk.url}/organiser/p/joint-letter/signatories")
        colours = [page.locator(f"button[value={v}]").first.evaluate("b => getComputedStyle(b).backgroundColor")
                   for v in ("approve", "changes", "reject")]
        assert len(set(colours)) == 3, colours
        link = page.get_by_role("link", name="spring.example")
        expect(link).to_have_attribute("href", "https://spring.example")
        expect(link).to_have_attribute("rel", "nofollow noopener noreferrer ugc")
        expect(page.locator("a[href*='letter.pdf?lang=ru']")).to_have_count(1)
        shot(page, "signatories")

        page.locator("button[value=reject]").first.click()
        expect(page.locator("h1")).to_have_text("Reject this sign-on?")
        assert_accessible_at_every_width(page, "walk-reject-confirm")
        shot(page, "reject-confirm")
        page.get_by_role("button", name="Yes, reject").click()
        expect(page.locator(".flash")).to_contain_text("Decision saved.")

        page.goto(f"{walk.url}/organiser/new")
        page.get_by_label(re.compile("An open letter")).check()
        page.fill("#title", "Open letter on detentions")
        page.fill("#slug", "letter-on-detentions")
        page.fill("#goal", "100")
        page.get_by_role("button", name="Create draft").click()
        page.wait_for_url("**/text/en")
        page.goto(f"{walk.url}/organiser/p/letter-on-detentions/")
        expect(page.locator("p", has_text="Open letter")).to_be_visible()
    finally:
        page.context.close()


def test_item10_slug_key_and_password_rule(browser, walk, axe_source):
    page = new_page(browser, walk, axe_source, viewport=PHONE, javascript=False)
    try:
        sign_in(page, walk)
        page.goto(f"{walk.url}/organiser/new")
        page.fill("#title", "Free Maria")
        page.fill("#slug", "Free Maria")
        page.get_by_role("button", name="Create draft").click()
        expect(page.locator(".error-summary")).to_contain_text("Suggested web address: free-maria.")
        expect(page.locator("#slug")).to_have_value("free-maria")
        shot(page, "new-suggested")

        page.goto(f"{walk.url}/organiser/account")
        expect(page.locator("#password-new-hint")).to_have_text("Use at least 12 characters.")
        shot(page, "account")
    finally:
        page.context.close()


def test_item10_two_factor_key_is_stable_across_reloads(browser, walk, axe_source, live_server):
    """A member without a second factor yet: the key shown stays the same when the setup page is reloaded."""
    from petitions.accounts import services as accounts
    from petitions.extensions import db
    from petitions.models import Membership

    with live_server.app.app_context():
        member = accounts.create_account("new2fa@rights.example", "Nina", "correct horse battery staple", "en")
        db.session.add(Membership(organisation_id=walk.organisation_id, account=member, role="editor"))
        db.session.commit()
    page = new_page(browser, walk, axe_source, viewport=PHONE, javascript=False)
    try:
        page.goto(f"{walk.url}/organiser/sign-in")
        page.fill("#email", "new2fa@rights.example")
        page.fill("#password", "correct horse battery staple")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/organiser/")
        page.goto(f"{walk.url}/organiser/account/two-factor")
        first = page.locator("code.secret").text_content()
        page.reload()
        assert page.locator("code.secret").text_content() == first
        shot(page, "two-factor")
    finally:
        page.context.close()
