"""Open letters in the organiser area: deciding on sign-ons, their websites, and the letter in each language."""
import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.letters.moderation import website_href
from petitions.models import LetterSignatory, OutboxMessage

from ..factories import add_signatory
from ..helpers import page_text, sign_in


@pytest.fixture
def waiting(make_petition):
    """A letter with one organisation's sign-on waiting for a decision."""
    letter = make_petition(slug="joint-letter", kind="letter", languages=("en", "ru"))
    return add_signatory(letter, "Viasna", country="BY", website="spring96.org", contact_name="Ales",
                         contact_role="Chair", email="a@spring96.org")


@pytest.fixture
def organiser(app, make_member):
    client = app.test_client()
    sign_in(client, make_member())
    return client


def test_reject_asks_for_confirmation_before_anything_changes(organiser, waiting):
    path = f"/organiser/p/joint-letter/signatories/{waiting.id}/decide"
    response = organiser.post(path, data={"decision": "reject", "note": "Not an NGO"})
    html = page_text(response)
    assert response.status_code == 200 and "Reject this sign-on?" in html
    assert 'name="confirmed" value="y"' in html and 'value="Not an NGO"' in html
    db.session.expire_all()
    assert db.session.get(LetterSignatory, waiting.id).status == "awaiting"
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "cosign_decision")) is None
    organiser.post(path, data={"decision": "reject", "note": "Not an NGO", "confirmed": "y"})
    db.session.expire_all()
    row = db.session.get(LetterSignatory, waiting.id)
    assert (row.status, row.moderation_note) == ("rejected", "Not an NGO")


def test_decisions_are_visibly_different_and_the_website_is_a_safe_link(organiser, waiting):
    html = page_text(organiser.get("/organiser/p/joint-letter/signatories"))
    assert 'value="approve" class="primary"' in html and 'value="changes" class="secondary"' in html
    assert 'value="reject" class="danger"' in html
    assert '<a href="https://spring96.org" rel="nofollow noopener noreferrer ugc">spring96.org</a>' in html


def test_only_web_addresses_become_links():
    assert website_href("https://spring96.org/en") == "https://spring96.org/en"
    assert website_href("spring96.org") == "https://spring96.org"
    for not_a_site in ("javascript:alert(1)", "data:text/html,x", "not a site", "", "localhost:8000"):
        assert website_href(not_a_site) is None, not_a_site


def test_the_letter_document_is_offered_in_each_of_its_languages(organiser, waiting):
    html = page_text(organiser.get("/organiser/p/joint-letter/signatories"))
    for code in ("en", "ru"):
        for fmt in ("html", "pdf"):
            assert f"/organiser/p/joint-letter/letter.{fmt}?lang={code}" in html
    russian = organiser.get("/organiser/p/joint-letter/letter.html?lang=ru")
    assert russian.status_code == 200 and 'lang="ru"' in russian.get_data(as_text=True)
