"""Signing, confirming, listing and erasing when the organisation's protection is on."""
import re

from sqlalchemy import select

from petitions import erasure, public_names
from petitions.extensions import db
from petitions.models import Petition, Signature
from petitions.organiser.protection import unlock
from petitions.address_hashes import email_hash

from ..helpers import confirm, last_confirm_path, page_text, queued_to, sign
from .conftest import PASSPHRASE


def only_signature():
    return db.session.scalar(select(Signature))


def test_a_signature_to_a_protected_organisation_keeps_no_email_name_or_city(client, protected_petition):
    sign(client, full_name="Aliaksandra Zhukava", email="sasha@example.org", city="Hrodna")
    row = only_signature()
    assert (row.email, row.full_name, row.city) == ("", "", None)
    assert row.sealed is not None and row.sealing_key_id is not None
    assert b"sasha" not in row.sealed and "Hrodna".encode() not in row.sealed
    opener = unlock(protected_petition.organisation_id, "test", "check", passphrase=PASSPHRASE)
    assert opener.open_row(row.sealing_key_id, row.sealed) == {
        "email": "sasha@example.org", "full_name": "Aliaksandra Zhukava", "city": "Hrodna"}


def test_the_confirmation_goes_to_the_address_typed_and_confirms(client, protected_petition):
    sign(client, full_name="Aliaksandra Zhukava", email="sasha@example.org")
    [email] = queued_to("sasha@example.org")
    assert "Hello Aliaksandra Zhukava," in email.text_body
    assert confirm(client, last_confirm_path("sasha@example.org")).status_code == 200
    assert only_signature().status == "confirmed"


def test_a_second_signature_with_the_same_address_is_still_recognised(client, protected_petition):
    sign(client, email="sasha@example.org")
    sign(client, email="Sasha@example.org")
    assert db.session.query(Signature).count() == 1
    assert len(queued_to("sasha@example.org")) == 1
    assert len(queued_to("Sasha@example.org")) == 1  # the resend goes to the address just typed


def test_an_older_link_stops_working_once_a_sealed_signature_changes(client, protected_petition):
    sign(client, email="sasha@example.org", full_name="First Name")
    first = last_confirm_path("sasha@example.org")
    sign(client, email="sasha@example.org", full_name="Other Name")
    assert client.get(first).status_code == 409
    assert client.get(last_confirm_path("sasha@example.org")).status_code == 200


def test_confirmed_address_signing_again_is_told_at_the_address_typed_without_a_stored_name(client, protected_petition):
    sign(client, email="sasha@example.org", full_name="Aliaksandra Zhukava")
    confirm(client, last_confirm_path("sasha@example.org"))
    sign(client, email="SASHA@example.org", full_name="Somebody Else")
    [notice] = queued_to("SASHA@example.org")
    assert notice.kind == "already_signed" and "Somebody Else" not in notice.text_body
    assert notice.text_body.startswith("Hello,")


def test_the_public_name_is_listed_in_the_form_chosen_without_the_key(client, protected_petition):
    sign(client, email="a@example.org", full_name="Aliaksandra Zhukava", show_name="y", public_name="initials")
    sign(client, email="b@example.org", full_name="Ihar Losik", show_name="y", public_name="full")
    sign(client, email="c@example.org", full_name="Hidden Person")
    for address in ("a@example.org", "b@example.org", "c@example.org"):
        confirm(client, last_confirm_path(address))
    names = sorted(name for name, _ in public_names.recent_public_signers(protected_petition.id))
    assert names == ["A. Z.", "Ihar Losik"]


def test_an_expired_link_sends_a_new_one_only_to_the_address_typed_again(client, app, protected_petition):
    sign(client, email="sasha@example.org")
    path = last_confirm_path("sasha@example.org")
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    html = page_text(client.get(path))
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert 'name="email"' in html
    app.config["CONFIRM_TOKEN_MAX_AGE"] = 3600
    client.post("/en/confirm/resend", data={"token": token})
    client.post("/en/confirm/resend", data={"token": token, "email": "someone@else.example"})
    assert len(queued_to("sasha@example.org")) == 1 and not queued_to("someone@else.example")
    client.post("/en/confirm/resend", data={"token": token, "email": "sasha@example.org"})
    assert len(queued_to("sasha@example.org")) == 2
    assert client.get(last_confirm_path("sasha@example.org")).status_code == 200


def test_one_address_on_two_petitions_gives_hashes_that_cannot_be_linked(client, app, make_petition):
    make_petition(slug="first")
    make_petition(slug="second")
    sign(client, slug="first", email="sasha@example.org")
    sign(client, slug="second", email="sasha@example.org")
    hashes = set(db.session.scalars(select(Signature.email_hash)))
    assert len(hashes) == 2
    assert email_hash(app.config["HASH_KEY"], "sasha@example.org") not in hashes


def test_erasure_finds_an_address_on_every_petition(client, app, make_petition):
    for slug in ("first", "second"):
        make_petition(slug=slug)
        sign(client, slug=slug, email="sasha@example.org")
    sign(client, slug="first", email="other@example.org")
    assert erasure.erase_everything(email_hash(app.config["HASH_KEY"], "sasha@example.org")) == 2
    db.session.commit()
    assert db.session.query(Signature).count() == 1


def test_an_unprotected_organisation_still_stores_plain_rows(client, petition):
    sign(client, email="sasha@example.org", full_name="Aliaksandra Zhukava", city="Hrodna")
    row = only_signature()
    assert (row.email, row.full_name, row.city, row.sealed) == ("sasha@example.org", "Aliaksandra Zhukava", "Hrodna", None)


def test_a_petition_without_an_organisation_is_not_sealed(client, petition):
    db.session.get(Petition, petition.id).organisation_id = None
    db.session.commit()
    sign(client, email="sasha@example.org")
    assert only_signature().sealed is None


def test_the_check_inbox_resend_of_a_sealed_signature_goes_only_to_the_address_typed_again(client, protected_petition):
    page = page_text(sign(client, email="sasha@example.org"))
    ticket = re.search(r'name="ticket" value="([^"]+)"', page).group(1)
    # The row's own address is sealed: the page asks for it instead of pretending to know it.
    assert 'name="email"' in page.split('name="ticket"', 1)[1]
    path = f"/en/p/{protected_petition.slug}/check-inbox"
    assert client.post(path, data={"ticket": ticket}).status_code == 200
    assert client.post(path, data={"ticket": ticket, "email": "someone.else@example.org"}).status_code == 200
    assert len(queued_to("sasha@example.org")) == 1 and queued_to("someone.else@example.org") == []
    assert client.post(path, data={"ticket": ticket, "email": "Sasha@example.org"}).status_code == 200
    [again] = queued_to("Sasha@example.org")
    assert again.kind == "confirm" and "/confirm/" in again.text_body
