"""A line break in a title or a name never stops mail: one-line fields are folded, and headers once more."""
import pytest
from sqlalchemy import select, update

from petitions.accounts import services as accounts
from petitions.extensions import db
from petitions.mail.worker import deliver_all
from petitions.models import PetitionTranslation
from petitions.organiser.services import import_petition
from petitions.plaintext import LINE_BREAKS, single_line

from ..helpers import petition_data, sign, sign_in


@pytest.mark.parametrize("breaker", list(LINE_BREAKS))
def test_every_line_break_python_knows_becomes_a_space(breaker):
    assert breaker in "a\nb".replace("\n", breaker) and len(f"a{breaker}b".splitlines()) == 2
    assert single_line(f" Free{breaker}them\t") == "Free them"


def test_a_title_with_a_line_separator_saved_in_the_editor_still_gets_its_confirmation_sent(
        smtp_app, smtp_server, make_petition, make_member):
    make_petition()
    editor = smtp_app.test_client()
    sign_in(editor, make_member())
    text = {"title": "Free\u2028them\u2029all\x85now", "addressee": "the Minister", "summary": "Short.",
            "body": "Body.", "demands": "Release them", "save": "1"}
    assert editor.post("/organiser/p/free-them/text/en", data=text).status_code == 302
    assert db.session.scalar(select(PetitionTranslation.title)) == "Free them all now"
    sign(smtp_app.test_client(), email="ada@example.org")
    assert deliver_all() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"].endswith("Free them all now")


def test_a_title_stored_before_the_fix_still_sends(smtp_app, smtp_server, make_petition):
    petition = make_petition()
    db.session.execute(update(PetitionTranslation).values(title="Free\u2028them"))
    db.session.commit()
    sign(smtp_app.test_client(), email="ada@example.org")
    assert deliver_all() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"].endswith("Free them") and petition.id


def test_imported_titles_and_organisation_names_are_one_line(app):
    data = petition_data(slug="one-line", organisation="Rights\u2028Group")
    data["translations"]["en"]["title"] = "Free\u2029them"
    data["translations"]["en"]["addressee"] = "the\x1cMinister"
    petition, _ = import_petition(data, app.config["LANGUAGES"])
    text = petition.translation("en")
    assert (text.title, text.addressee, petition.organisation_name, petition.organisation.name) == \
        ("Free them", "the Minister", "Rights Group", "Rights Group")


def test_account_and_organisation_names_are_one_line(app):
    account = accounts.create_account("n@example.org", "Olga\u2028Owner", "correct horse battery staple", "en")
    organisation = accounts.find_or_create_organisation("Free\x85Press")
    assert (account.name, organisation.name) == ("Olga Owner", "Free Press")
