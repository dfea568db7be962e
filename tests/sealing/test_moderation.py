"""Moderating a protected organisation's letter: flags without the key, contact details and decisions with it."""
import re

import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Account, LetterSignatory

from ..helpers import page_text, queued_to, served_stamp, sign_in, totp_code
from .conftest import PASSPHRASE

BASE = "/organiser/p/end-repression/signatories"


@pytest.fixture
def letter(make_petition, protect):
    letter = make_petition(slug="end-repression", kind="letter")
    protect(letter)
    return letter


def _sign_on_and_confirm(client):
    client.post("/en/letter/end-repression/sign/organisation", data={
        "name": "Viasna Human Rights Centre", "country": "BY", "website": "https://spring96.org",
        "contact_name": "Ales Contactovich", "contact_role": "Chair", "email": "ales.sealed@gmail.com", "title": "",
        "served": served_stamp(client.application), "website_hp": ""})
    body = queued_to("ales.sealed@gmail.com")[-1].text_body
    assert "Hello Ales Contactovich," in body
    path = re.search(r"https?://[^/\s]+(/[a-z]{2}/letter/confirm/\S+)", body).group(1)
    assert client.post(path).status_code == 200  # the button on the link's page


def _moderator(app, make_member):
    member = make_member(totp=True)
    client = app.test_client()
    sign_in(client, member)
    return client, member


def _fresh_code(member):
    db.session.get(Account, member.id).totp_last_step = None
    db.session.commit()
    return totp_code(member)


def test_a_sealed_sign_on_is_moderated_with_its_flag_and_without_its_contact_details(app, client, letter, make_member):
    _sign_on_and_confirm(client)
    row = db.session.scalar(select(LetterSignatory))
    assert (row.email, row.contact_name, row.contact_role) == ("", "", "") and row.mail_flag == "free_mail"
    moderator, member = _moderator(app, make_member)
    page = page_text(moderator.get(BASE))
    assert "sent from a free email address" in page and "contact details sealed" in page
    assert "Ales Contactovich" not in page and "ales.sealed" not in page
    refused = moderator.post(f"{BASE}/unlock", data={"code": _fresh_code(member), "passphrase": "not it, not at all"})
    assert refused.status_code == 400 and "Ales Contactovich" not in page_text(refused)
    shown = moderator.post(f"{BASE}/unlock", data={"code": _fresh_code(member), "passphrase": PASSPHRASE})
    assert shown.status_code == 200
    assert "Ales Contactovich, Chair" in page_text(shown) and "ales.sealed@gmail.com" in page_text(shown)
    assert "Ales Contactovich" not in page_text(moderator.get(BASE))  # for that one view only


def test_a_decision_on_a_sealed_sign_on_needs_the_key_and_emails_the_signer(app, client, letter, make_member):
    _sign_on_and_confirm(client)
    row = db.session.scalar(select(LetterSignatory))
    moderator, member = _moderator(app, make_member)
    moderator.post(f"{BASE}/{row.id}/decide", data={"decision": "approve"})
    assert db.session.get(LetterSignatory, row.id).status == "awaiting"
    moderator.post(f"{BASE}/{row.id}/decide", data={"decision": "approve", "code": _fresh_code(member),
                                                    "passphrase": PASSPHRASE})
    db.session.expire_all()
    assert db.session.get(LetterSignatory, row.id).status == "approved"
    decision = queued_to("ales.sealed@gmail.com")[-1]
    assert decision.kind == "cosign_decision" and "Hello Ales Contactovich," in decision.text_body
