"""Co-signers of an open letter: a link confirms what its email showed, by button; withdrawing; limits on mail."""
import re

import pytest
from sqlalchemy import func, select, update

from petitions.extensions import db
from petitions.letters import services
from petitions.models import LetterSignatory, OutboxMessage

from ..helpers import page_text, queued_to, served_stamp, sign_in


@pytest.fixture
def letter(make_petition):
    return make_petition(slug="end-repression", kind="letter", languages=("en", "ru"))


def _sign_on(client, kind="organisation", lang="en", **fields):
    data = {"name": "Viasna Human Rights Centre", "country": "BY", "website": "https://spring96.org",
            "contact_name": "Ales", "contact_role": "Chair", "email": "ales@spring96.org", "title": "",
            "served": served_stamp(client.application), "website_hp": ""}
    data.update(fields)
    return client.post(f"/{lang}/letter/end-repression/sign/{kind}", data=data)


def _link(address, route, index=-1):
    body = queued_to(address)[index].text_body
    return re.search(rf"https?://[^/\s]+(/[a-z]{{2}}/letter/{route}/\S+)", body).group(1)


def _row():
    db.session.expire_all()
    return db.session.scalar(select(LetterSignatory))


def _approve_all(app, make_member):
    organiser = app.test_client()
    sign_in(organiser, make_member())
    for row in db.session.scalars(select(LetterSignatory)).all():
        organiser.post(f"/organiser/p/end-repression/signatories/{row.id}/decide", data={"decision": "approve"})


# --- a link confirms only the details its email showed ------------------------------------------

def test_rewritten_details_are_not_confirmed_by_the_earlier_link(client, letter):
    _sign_on(client)
    first = _link("ales@spring96.org", "confirm")
    _sign_on(client, name="Friends of the Ministry", website="https://ministry.example")
    assert client.get(first).status_code == 409
    refused = client.post(first)
    assert refused.status_code == 409 and "out of date" in page_text(refused)
    assert (_row().status, _row().name) == ("unconfirmed", "Friends of the Ministry")
    # The owner's newest email shows the new details, and only its link confirms them.
    newest = _link("ales@spring96.org", "confirm")
    assert "Friends of the Ministry" in page_text(client.get(newest))
    assert client.post(newest).status_code == 200 and _row().status == "awaiting"


def test_details_rewritten_while_a_link_is_being_confirmed_are_not_confirmed(client, letter):
    _sign_on(client)
    token = _link("ales@spring96.org", "confirm").rsplit("/", 1)[1]
    row = services.sign_on_to_confirm(token)  # read, as the click's request reads it
    # Another request rewrites the details between that read and the update.
    db.session.execute(update(LetterSignatory).where(LetterSignatory.id == row.id).values(name="Impostor")
                       .execution_options(synchronize_session=False))
    with pytest.raises(services.DetailsChanged):
        services.confirm(token)
    assert (_row().status, _row().name) == ("unconfirmed", "Impostor")


def test_a_resubmission_with_the_same_details_keeps_both_links_working(client, letter):
    _sign_on(client)
    first = _link("ales@spring96.org", "confirm")
    _sign_on(client)
    assert client.post(first).status_code == 200 and _row().status == "awaiting"


# --- mail is bounded -----------------------------------------------------------------------------

def test_one_sign_on_gets_at_most_the_capped_number_of_confirmation_emails(app, client, letter):
    app.config["MAX_CONFIRMATION_SENDS"] = 3
    for i in range(5):
        assert _sign_on(client, name=f"Name {i}").status_code == 303
    sent = [m for m in queued_to("ales@spring96.org") if m.kind == "cosign_confirm"]
    assert len(sent) == 3
    row = _row()
    # Past the cap a submission changes nothing either, so the last link sent still confirms.
    assert (row.confirmation_sends, row.name) == (3, "Name 2") and row.confirmation_sent_at is not None
    assert db.session.scalar(select(func.count()).select_from(LetterSignatory)) == 1
    assert client.post(_link("ales@spring96.org", "confirm")).status_code == 200 and _row().status == "awaiting"


def test_a_sign_on_sent_back_for_changes_gets_emails_again(app, client, letter, make_member):
    app.config["MAX_CONFIRMATION_SENDS"] = 1
    _sign_on(client)
    client.post(_link("ales@spring96.org", "confirm"))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    organiser.post(f"/organiser/p/end-repression/signatories/{_row().id}/decide",
                   data={"decision": "changes", "note": "Full legal name, please."})
    _sign_on(client, name="Human Rights Centre Viasna")
    assert _row().confirmation_sends == 1
    assert client.post(_link("ales@spring96.org", "confirm")).status_code == 200
    assert (_row().status, _row().name) == ("awaiting", "Human Rights Centre Viasna")


def test_co_sign_submissions_are_limited_per_address(make_app, letter):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="100 per minute", RATELIMIT_SIGN_EMAIL="2 per hour")
    client = app.test_client()
    statuses = [_sign_on(client, email=address).status_code
                for address in ("ales@spring96.org", "ALES@spring96.org", "Ales@Spring96.org")]
    assert statuses == [303, 303, 429]
    assert _sign_on(client, email="other@spring96.org").status_code == 303


# --- confirming by button ------------------------------------------------------------------------

def test_get_and_head_on_the_confirm_link_leave_the_sign_on_unconfirmed_and_post_confirms(client, letter):
    _sign_on(client, kind="individual", name="Jürgen Groß", title="former UN Special Rapporteur", country="DE",
             email="jg@example.org")
    link = _link("jg@example.org", "confirm")
    page = client.get(link)
    html = page_text(page)
    assert page.status_code == 200
    assert "Jürgen Groß, former UN Special Rapporteur – Germany" in html and "Individual" in html
    assert "Free the prisoners of conscience" in html
    assert re.search(rf'<form method="post" action="{re.escape(link)}">', html) and "<script" not in html
    assert client.head(link).status_code == 200
    assert client.options(link).status_code == 200
    assert client.put(link).status_code == 405
    assert _row().status == "unconfirmed" and _row().confirmed_at is None

    done = client.post(link)
    assert done.status_code == 200 and "Thank you for confirming" in page_text(done)
    confirmed_at = _row().confirmed_at
    assert _row().status == "awaiting" and confirmed_at is not None
    again = client.post(link)
    assert again.status_code == 200 and page_text(again) == page_text(done)
    assert _row().confirmed_at == confirmed_at
    assert "Thank you for confirming" in page_text(client.get(link))


def test_the_confirm_page_shows_an_organisation_as_it_will_be_listed(client, letter):
    _sign_on(client, lang="ru")
    html = page_text(client.get(_link("ales@spring96.org", "confirm")))
    assert "Viasna Human Rights Centre – Беларусь" in html and "Организация" in html


def test_a_cross_site_post_to_the_confirm_link_is_refused(client, letter):
    _sign_on(client)
    response = client.post(_link("ales@spring96.org", "confirm"), headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and _row().status == "unconfirmed"


def test_bad_confirm_and_withdraw_links_answer_clearly_and_change_nothing(client, letter):
    _sign_on(client)
    confirm = _link("ales@spring96.org", "confirm")
    withdraw = _link("ales@spring96.org", "withdraw")
    token = confirm.rsplit("/", 1)[1]
    for path in ("/en/letter/confirm/not-a-token", f"/en/letter/confirm/{token[:-2]}",
                 f"/en/letter/confirm/{withdraw.rsplit('/', 1)[1]}"):
        assert client.post(path).status_code == 400
    assert client.post(f"/en/letter/withdraw/{token}").status_code == 400
    assert client.post("/en/withdraw/" + withdraw.rsplit("/", 1)[1]).status_code == 400  # a petition's route
    assert _row().status == "unconfirmed"


def test_link_pages_and_the_check_inbox_page_are_never_stored(client, letter):
    response = _sign_on(client)
    assert client.get(response.location).headers["Cache-Control"] == "no-store"
    for route in ("confirm", "withdraw"):
        link = _link("ales@spring96.org", route)
        assert client.get(link).headers["Cache-Control"] == "no-store"
        assert client.post(link).headers["Cache-Control"] == "no-store"


# --- withdrawing --------------------------------------------------------------------------------

def test_withdrawing_through_the_cosign_email_takes_the_signature_off_the_letter(app, client, letter, make_member):
    _sign_on(client)
    (email,) = queued_to("ales@spring96.org")
    assert "To withdraw your signature at any time" in email.text_body
    assert "/en/letter/withdraw/" in email.html_body
    client.post(_link("ales@spring96.org", "confirm"))
    _approve_all(app, make_member)
    decision = queued_to("ales@spring96.org")[-1]
    assert decision.kind == "cosign_decision" and "/en/letter/withdraw/" in decision.text_body
    assert "Viasna" in page_text(client.get("/en/letter/end-repression"))

    link = _link("ales@spring96.org", "withdraw")
    asking = client.get(link)
    assert asking.status_code == 200 and "Viasna Human Rights Centre – Belarus" in page_text(asking)
    assert client.head(link).status_code == 200
    assert _row() is not None and _row().status == "approved"
    done = client.post(link)
    assert done.status_code == 200 and "everything you entered has been deleted" in page_text(done)
    assert _row() is None
    assert "Viasna" not in page_text(client.get("/en/letter/end-repression"))
    again = client.post(link)
    assert again.status_code == 200 and "already withdrawn" in page_text(again)


def test_withdrawing_forgets_unsent_mail_about_that_sign_on_only(client, make_petition, letter):
    make_petition(slug="second-letter", kind="letter")
    _sign_on(client)
    client.post("/en/letter/second-letter/sign/individual", data={
        "name": "Ales Bialiatski", "country": "BY", "email": "ales@spring96.org",
        "served": served_stamp(client.application), "website_hp": ""})
    first_withdraw = _link("ales@spring96.org", "withdraw", index=0)
    client.post(first_withdraw)
    (left,) = db.session.scalars(select(OutboxMessage)).all()
    assert left.context["signatory"]["name"] == "Ales Bialiatski"
    assert [r.name for r in db.session.scalars(select(LetterSignatory))] == ["Ales Bialiatski"]
