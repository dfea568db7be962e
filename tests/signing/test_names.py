"""Names and titles that reach the organisation's mail hold no web or email address (signing and letters)."""
import pytest
from sqlalchemy import func, select

from petitions.extensions import db
from petitions.models import LetterSignatory, Signature
from petitions.signing.forms import contains_address

from ..helpers import page_text, served_stamp, sign

MESSAGE = "Please enter a name without web or email addresses."

ADDRESSES = [
    "evil.com", "Anna evil.com", "EVIL.COM", "Evil.Com", "bit.ly/x", "Anna bit.ly/3xYz", "Evil.Site/login",
    "https://evil.example", "Anna http://x", "www.evil", "ann@evil.com", "Анна anna@mail.ru", "xn--80ak6aa92e.com",
    "Иван xn--p1ai", "сайт.рф", "Иван Петров пример.бел", "evil\u3002com", "Ivan Petrov (evil.xyz)", "anna.maria",
]
NAMES = [
    "A. B. Smith", "J.R.R. Tolkien", "St. John", "Mr.Smith", "Ph.D. Anna Nowak", "Dr. Jane Doe", "Jürgen Groß",
    "O'Brien-Smith", "Anna @ home", "Алесь Бяляцкі", "А. С. Пушкин", "Анна.Мария", "Св. Николай", "Ms. Kim",
]


@pytest.mark.parametrize("text", ADDRESSES)
def test_addresses_are_recognised(text):
    assert contains_address(text)


@pytest.mark.parametrize("text", NAMES)
def test_names_with_dots_and_initials_are_not_addresses(text):
    assert not contains_address(text)


@pytest.mark.parametrize("name", ["evil.com", "Анна anna@mail.ru", "bit.ly/x"])
def test_a_signer_name_with_an_address_is_refused_and_nothing_is_stored(client, petition, name):
    response = sign(client, full_name=name)
    assert response.status_code == 400 and MESSAGE in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0


@pytest.mark.parametrize("name", ["J.R.R. Tolkien", "А. С. Пушкин"])
def test_a_signer_name_with_initials_is_accepted(client, petition, name):
    assert sign(client, full_name=name).status_code == 200
    assert db.session.scalar(select(Signature.full_name)) == name


@pytest.fixture
def letter(make_petition):
    return make_petition(slug="end-repression", kind="letter", languages=("en", "ru"))


def _sign_on(client, kind, **fields):
    data = {"name": "Viasna Human Rights Centre", "country": "BY", "website": "spring96.org",
            "contact_name": "Ales", "contact_role": "Chair", "email": "ales@spring96.org", "title": "",
            "served": served_stamp(client.application), "website_hp": ""}
    data.update(fields)
    return client.post(f"/en/letter/end-repression/sign/{kind}", data=data)


@pytest.mark.parametrize("kind, field", [("organisation", "name"), ("organisation", "contact_name"),
                                         ("organisation", "contact_role"), ("individual", "name"),
                                         ("individual", "title")])
def test_letter_names_and_titles_with_an_address_are_refused(client, letter, kind, field):
    response = _sign_on(client, kind, **{field: "Claim your prize at evil.com"})
    assert response.status_code == 400 and MESSAGE in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(LetterSignatory)) == 0


def test_an_organisation_website_stays_a_website(client, letter):
    assert _sign_on(client, "organisation", website="spring96.org").status_code == 303
    assert db.session.scalar(select(LetterSignatory.website)) == "https://spring96.org"
