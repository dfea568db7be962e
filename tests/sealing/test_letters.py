"""Open letters of a protected organisation: links bound to sealed details, erasure and retention of co-signers."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from petitions.extensions import db
from petitions.letters import services
from petitions.models import LetterSignatory, OutboxMessage, Petition, utcnow
from petitions.address_hashes import email_hash, petition_email_hash

from ..helpers import page_text, queued_to, served_stamp


@pytest.fixture
def letter(make_petition, protect):
    letter = make_petition(slug="joint", kind="letter")
    protect(letter)
    return letter


def _co_sign(client, slug="joint", **fields):
    data = {"name": "Viasna", "country": "BY", "website": "https://spring96.org", "contact_name": "Ales Real",
            "contact_role": "Chair", "email": "ales@spring96.org", "title": "", "website_hp": "",
            "served": served_stamp(client.application)}
    data.update(fields)
    assert client.post(f"/en/letter/{slug}/sign/organisation", data=data).status_code == 303


def _link(address, route):
    body = queued_to(address)[-1].text_body
    return re.search(rf"https?://[^/\s]+(/[a-z]{{2}}/letter/{route}/\S+)", body).group(1)


def _sign_ons():
    db.session.expire_all()
    return db.session.scalars(select(LetterSignatory).order_by(LetterSignatory.id)).all()


def test_an_impostors_contact_details_on_a_protected_letter_are_not_confirmed_by_the_earlier_link(client, letter):
    _co_sign(client)
    first = _link("ales@spring96.org", "confirm")
    # The same public entry, other contact details: in the row only the sealed blob differs.
    _co_sign(client, contact_name="Impostor", contact_role="Press officer")
    [row] = _sign_ons()
    assert (row.contact_name, row.contact_role, row.email) == ("", "", "") and row.sealed is not None
    refused = client.post(first)
    assert refused.status_code == 409 and "out of date" in page_text(refused)
    assert _sign_ons()[0].status == "unconfirmed"
    newest = _link("ales@spring96.org", "confirm")
    assert "Hello Impostor," in queued_to("ales@spring96.org")[-1].text_body
    assert client.post(newest).status_code == 200 and _sign_ons()[0].status == "awaiting"


def test_a_protected_sign_on_resealed_while_its_link_is_being_confirmed_is_not_confirmed(client, letter):
    _co_sign(client)
    token = _link("ales@spring96.org", "confirm").rsplit("/", 1)[1]
    row = services.sign_on_to_confirm(token)  # read, as the click's request reads it
    # Another request seals other contact details between that read and the update.
    db.session.execute(update(LetterSignatory).where(LetterSignatory.id == row.id).values(sealed=b"another sealing")
                       .execution_options(synchronize_session=False))
    with pytest.raises(services.DetailsChanged):
        services.confirm(token)
    assert _sign_ons()[0].status == "unconfirmed"


def test_a_co_signer_of_a_protected_letter_can_erase_their_sealed_sign_on(app, client, letter, make_petition):
    make_petition(slug="plain", kind="letter")  # erasure computes the address's hash for every letter
    _co_sign(client)
    _co_sign(client, name="Libereco", contact_name="Keep", email="keep@libereco.example")
    rows = _sign_ons()
    assert rows[0].email_hash == petition_email_hash(app.config["HASH_KEY"], letter.id, "ales@spring96.org")
    assert rows[0].email_hash != email_hash(app.config["HASH_KEY"], "ales@spring96.org")

    assert client.post("/en/my-data", data={"email": "Ales@Spring96.org"}).status_code == 200
    request = queued_to("Ales@spring96.org")[-1]  # the domain as email_validator normalises it
    assert request.kind == "erase" and "used for 1 signature" in request.text_body
    path = re.search(r"https?://[^/\s]+(/en/erase/\S+)", request.text_body).group(1)
    assert "1 signature was erased" in page_text(client.post(path))
    assert [row.name for row in _sign_ons()] == ["Libereco"]
    # The unsent confirmation to the erased co-signer goes too, found by its sign-on: the row's address is sealed.
    assert {m.recipient for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind.like("cosign%")))} == {"keep@libereco.example"}


def test_withdrawing_a_sealed_sign_on_forgets_the_unsent_mail_about_it(client, letter):
    _co_sign(client)
    _co_sign(client, name="Libereco", contact_name="Keep", email="keep@libereco.example")
    assert client.post(_link("ales@spring96.org", "withdraw")).status_code == 200
    assert [row.name for row in _sign_ons()] == ["Libereco"]
    assert {m.recipient for m in db.session.scalars(select(OutboxMessage))} == {"keep@libereco.example"}


@pytest.mark.commits
def test_purge_scrubs_the_sealed_contact_details_of_a_long_ended_protected_letter(client, letter, runner):
    from petitions.models import set_status

    _co_sign(client)
    client.post(_link("ales@spring96.org", "confirm"))
    db.session.execute(update(LetterSignatory).values(status="approved"))
    set_status(db.session.get(Petition, letter.id), "closed", now=utcnow() - timedelta(days=181))
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "letter signatories anonymised: 1" in result.output
    [row] = _sign_ons()
    assert (row.name, row.country) == ("Viasna", "BY")
    assert (row.sealed, row.sealing_key_id, row.mail_flag, row.email_hash) == (None, None, None, None)
