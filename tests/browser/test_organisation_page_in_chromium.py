"""An organisation's page in Chromium: written by an editor with JavaScript off, read on a 360 px phone, axe-clean."""
import re

import pytest

from .conftest import PHONE
from .test_accessibility import assert_accessible_at_every_width

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
LONG_NAME = "Правозащитный центр «Весна» – Human Rights Centre Viasna"


@pytest.fixture
def organisation(live_server):
    """The live server's organisation, with a long name, a letter, an ended petition, and an editor."""
    from petitions.accounts import services as accounts
    from petitions.extensions import db
    from petitions.models import Membership, Petition, PetitionStatus
    from petitions.organisations import editing
    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    app = live_server.app
    with app.app_context():
        petition = db.session.query(Petition).filter_by(slug="free-them").one()
        organisation = petition.organisation
        organisation.name = petition.organisation_name = LONG_NAME
        for slug, kind, status in [("joint-letter", "letter", "open"), ("earlier-one", "petition", "closed")]:
            import_petition(petition_data(slug=slug, kind=kind, status=status, organisation=LONG_NAME,
                                          languages=("en", "ru")), app.config["LANGUAGES"])
        assert db.session.query(Petition).filter_by(slug="earlier-one").one().status == PetitionStatus.CLOSED
        editing.save_description(organisation, "ru", "Мы помогаем **людям** под стражей и их семьям.")
        account = accounts.create_account("ed@rights.example", "Edda", PASSWORD, "en")
        db.session.add(Membership(organisation_id=organisation.id, account=account, role="editor"))
        db.session.commit()
        return organisation.id, organisation.slug


def _sign_in(page, live_server):
    page.goto(f"{live_server}/organiser/sign-in")
    page.fill("#email", "ed@rights.example")
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()  # signed out, the sign-in form is the only one
    page.wait_for_url("**/organiser/")


def _no_sideways_scrolling(page):
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0


def test_an_editor_publishes_a_statement_and_a_reader_on_a_phone_sees_it(open_page, live_server, organisation):
    """Everything done and read without JavaScript; axe (which needs it) then checks the same pages."""
    organisation_id, slug = organisation
    editor = open_page(live_server, viewport=PHONE, javascript=False, locale="en")
    _sign_in(editor, live_server)
    editor.click(f"a[href='/organiser/org/{organisation_id}/page']")
    editor.click("text=New statement")
    editor.select_option("#language", "ru")
    editor.fill("#title", "Письма — это право, а не привилегия, и администрация обязана их доставлять")
    editor.fill("#statement_date", "2026-11-20")
    editor.fill("#body", "Мы призываем доставлять **каждое** письмо без промедления.")
    editor.click("button:has-text('Save draft')")
    editor.wait_for_url(re.compile(r"/statements/\d+/ru$"))
    statement_editor = editor.url
    _no_sideways_scrolling(editor)
    editor.goto(f"{live_server}/organiser/org/{organisation_id}/page")
    editor.click("button:has-text('Publish')")
    editor.wait_for_url(f"**/organiser/org/{organisation_id}/page")
    assert editor.locator("text=Back to draft").count() == 1
    _no_sideways_scrolling(editor)

    reader = open_page(live_server, viewport=PHONE, javascript=False, locale="ru")
    reader.goto(f"{live_server}/o/{slug}")
    assert reader.url.endswith(f"/ru/o/{slug}")
    assert reader.locator("h1").inner_text() == LONG_NAME
    assert "людям" in reader.locator(".organisation-description").inner_text()
    assert reader.locator("#open-heading ~ .petition-items > li").count() == 2
    assert reader.locator("#past-heading ~ .petition-items > li").count() == 1
    _no_sideways_scrolling(reader)
    reader.click("text=Письма — это право")
    reader.wait_for_url(re.compile(rf"/ru/o/{slug}/statements/\d+$"))
    assert "каждое" in reader.locator(".statement-body strong").inner_text()
    statement_page = reader.url
    _no_sideways_scrolling(reader)

    english = open_page(live_server, viewport=PHONE, javascript=False, locale="en")
    english.goto(f"{live_server}/en/o/{slug}")
    # No English description: the Russian one, marked as Russian inside the English page.
    assert english.locator(".organisation-description").get_attribute("lang") == "ru"
    assert english.locator("html").get_attribute("lang") == "en"
    english.goto(f"{live_server}/en/p/free-them")
    english.click(f"a[href='/en/o/{slug}']")
    assert english.url.endswith(f"/en/o/{slug}")

    checked = open_page(live_server, viewport=PHONE, javascript=True, locale="ru")
    for name, url in [("organisation-page", f"{live_server}/ru/o/{slug}"), ("statement-page", statement_page)]:
        checked.goto(url)
        assert_accessible_at_every_width(checked, name)
    _sign_in(checked, live_server)
    for name, url in [("organisation-editor", f"{live_server}/organiser/org/{organisation_id}/page"),
                      ("statement-editor", statement_editor)]:
        checked.goto(url)
        assert_accessible_at_every_width(checked, name)
