"""'Keep me informed': double opt-in by a button, one-click unsubscribe, sealing, erasure, retention, mailings."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from petitions import retention, subscribers
from petitions.address_hashes import email_hash
from petitions.extensions import db
from petitions.mail.worker import deliver_all
from petitions.models import (
    Account, AuditEvent, Organisation, OutboxMessage, Subscriber, SubscriberMailing, utcnow,
)
from petitions.organiser.protection import turn_on

from ..helpers import page_text, queued_to, served_stamp, sign, sign_in, totp_code
from ..smtp import html_part, text_part

PASSPHRASE = "seven wild ravens over the marsh"
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/[a-z]{2}/subscription/confirm/[A-Za-z0-9_.\-]+)")
STOP_LINK = re.compile(r"https?://[^/\s]+(/[a-z]{2}/subscription/stop/[A-Za-z0-9_.\-]+)")
BUTTON = re.compile(r'<form method="post" action="(/[a-z]{2}/subscription/(?:confirm|stop)/[^"]+)">')


@pytest.fixture
def organisation(petition):
    """The organisation of the test petition, with its public page's slug."""
    return db.session.get(Organisation, petition.organisation_id)


def subscribe(client, organisation, email="reader@example.org", lang="en", **fields):
    data = {"email": email, "served": served_stamp(client.application), "website": "", **fields}
    return client.post(f"/{lang}/o/{organisation.slug}/subscribe", data=data)


def rows():
    return db.session.scalars(select(Subscriber).order_by(Subscriber.id)).all()


def confirm_path(address):
    return CONFIRM_LINK.search(queued_to(address)[-1].text_body).group(1)


def press(client, path):
    """Open a link's page and press its one button, as a person does; returns the answer to the press."""
    page = client.get(path)
    button = BUTTON.search(page_text(page))
    assert page.status_code == 200 and button, page_text(page)
    return client.post(html.unescape(button.group(1)))


def subscribed(client, organisation, email, lang="en"):
    """A confirmed subscription, through the form and the emailed button."""
    assert subscribe(client, organisation, email, lang).status_code == 200
    assert press(client, confirm_path(email)).status_code == 200
    return db.session.scalar(select(Subscriber).where(Subscriber.id == max(r.id for r in rows())))


# --- double opt-in ------------------------------------------------------------------------------------

def test_the_organisation_page_carries_the_form_that_posts_to_the_subscription(client, organisation):
    page = page_text(client.get(f"/en/o/{organisation.slug}"))
    assert f'action="/en/o/{organisation.slug}/subscribe"' in page and 'name="email"' in page
    assert 'name="served"' in page and 'name="full_name"' not in page  # only the address is asked


def test_subscribing_emails_a_confirmation_in_the_readers_language_over_smtp(smtp_app, smtp_server, client,
                                                                            organisation):
    answer = subscribe(client, organisation, "Reader@Example.org", lang="ru")
    assert answer.status_code == 200 and "Проверьте почту" in page_text(answer)
    assert answer.headers["Cache-Control"] == "no-store"
    (row,) = rows()
    assert (row.status, row.language, row.email, row.confirmation_sends) == ("pending", "ru", "Reader@example.org", 1)
    assert deliver_all() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "Reader@example.org" and organisation.name in message["Subject"]
    assert "Здравствуйте!" in text_part(message) and '<html lang="ru"' in html_part(message)
    assert "/ru/subscription/confirm/" in text_part(message)
    assert message["List-Unsubscribe"] is None  # nothing to stop yet: it is the email the reader asked for


def test_opening_the_link_shows_one_button_and_only_the_press_confirms(client, organisation):
    subscribe(client, organisation)
    path = confirm_path("reader@example.org")
    for method in (client.get, client.head):
        assert method(path).status_code == 200
    page = page_text(client.get(path))
    assert page.count("<button") == 1 and len(BUTTON.findall(page)) == 1 and organisation.name in page
    assert rows()[0].status == "pending"
    done = client.post(BUTTON.search(page).group(1).replace("&amp;", "&"))
    assert done.status_code == 200 and "You will receive news" in page_text(done)
    assert rows()[0].status == "confirmed" and rows()[0].confirmed_at is not None
    again = client.post(BUTTON.search(page).group(1).replace("&amp;", "&"))
    assert "You will receive news" in page_text(again)  # a second press is harmless
    assert "already receives" in page_text(client.get(path))  # a visit after it shows no button
    assert not BUTTON.search(page_text(client.get(path)))


def test_a_press_sooner_than_a_person_can_confirms_nothing(make_app, organisation):
    app = make_app(CONFIRM_MIN_SECONDS=5)
    client = app.test_client()
    subscribe(client, organisation)
    path = confirm_path("reader@example.org")
    hasty = client.post(path, data={"served": served_stamp(app, seconds_ago=1)})
    assert hasty.status_code == 200 and "press the button again" in page_text(hasty)
    assert client.post(path).status_code == 200 and rows()[0].status == "pending"  # no stamp at all
    assert client.post(path, data={"served": served_stamp(app, seconds_ago=6)}).status_code == 200
    assert rows()[0].status == "confirmed"


def test_subscribing_again_is_quiet_and_looks_the_same(client, organisation):
    first = page_text(subscribe(client, organisation))
    assert subscribe(client, organisation, "READER@example.org").status_code == 200
    assert len(queued_to("reader@example.org")) + len(queued_to("READER@example.org")) == 2  # pending: sent again
    press(client, confirm_path("READER@example.org"))
    before = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    again = subscribe(client, organisation)
    assert page_text(again) == first  # the same page whether or not the address follows the organisation
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == before  # and no email at all
    (row,) = rows()
    assert row.status == "confirmed"


def test_a_pending_subscription_gets_at_most_the_configured_confirmations(app, client, organisation):
    for _ in range(app.config["MAX_CONFIRMATION_SENDS"] + 2):
        assert subscribe(client, organisation).status_code == 200
    assert len(queued_to("reader@example.org")) == app.config["MAX_CONFIRMATION_SENDS"]
    assert len(rows()) == 1


def test_a_subscription_is_not_a_signature(client, organisation):
    from ..helpers import signature_count

    subscribe(client, organisation)
    press(client, confirm_path("reader@example.org"))
    assert signature_count() == 0


# --- unsubscribing ------------------------------------------------------------------------------------

def _mail_everyone(client, organisation, subject="Our news", body="Hello **all**.", language="en"):
    """An owner writes and sends a mailing to an unprotected organisation; returns it with its batch queued."""
    assert client.post(f"/organiser/org/{organisation.id}/subscribers", data={
        "language": language, "subject": subject, "body": body}).status_code == 302
    mailing_id = db.session.scalars(select(SubscriberMailing.id).order_by(SubscriberMailing.id.desc())).first()
    return mailing_id


def _owner(app, make_member, totp=False, role="owner", email="owner@rights.example"):
    member = make_member(email=email, role=role, totp=totp)
    client = app.test_client()
    sign_in(client, member)
    return client, member


def _send(client, organisation, mailing_id, **extra):
    return client.post(f"/organiser/org/{organisation.id}/subscribers/send", data={"mailing": mailing_id, **extra})


def test_one_click_post_unsubscribes_and_get_does_not(app, client, organisation, make_member):
    row = subscribed(client, organisation, "reader@example.org")
    owner, _ = _owner(app, make_member)
    assert _send(owner, organisation, _mail_everyone(owner, organisation)).status_code == 302
    subscribers.mailings.queue_next_batch()
    mailing = queued_to("reader@example.org")[-1]
    outbox_row = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert outbox_row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https://|http://)[^/]+(/.+)>", outbox_row.headers["List-Unsubscribe"]).group(2)
    assert url in mailing.text_body and url.startswith("/en/subscription/stop/")
    for method in (client.get, client.head):
        assert method(url).status_code == 200
    assert 'Stop these emails</button>' in page_text(client.get(url))
    assert db.session.get(Subscriber, row.id).status == "confirmed"
    # What a mail program sends for RFC 8058: a POST from its own servers, no browser headers, no page first.
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    row = db.session.get(Subscriber, row.id)
    assert (row.status, row.email, row.sealed) == ("unsubscribed", "", None) and row.unsubscribed_at
    assert client.post(url).status_code == 200  # twice is harmless
    assert "no more news" in page_text(client.get(url))


def test_unsubscribing_drops_mail_still_queued_to_the_address(app, client, organisation, make_member):
    row = subscribed(client, organisation, "reader@example.org")
    other = subscribed(client, organisation, "other@example.org")
    owner, _ = _owner(app, make_member)
    _send(owner, organisation, _mail_everyone(owner, organisation))
    subscribers.mailings.queue_next_batch()
    assert [m.kind for m in queued_to("reader@example.org")][-1] == "subscriber_mailing"
    subscribers.stop([row.id])
    assert queued_to("reader@example.org") == []  # its unsent confirmation too: nothing names the address now
    assert [m.kind for m in queued_to("other@example.org")] == ["subscriber_confirm", "subscriber_mailing"]
    assert db.session.get(Subscriber, other.id).status == "confirmed"


def test_a_forged_or_foreign_link_changes_nothing(client, organisation):
    subscribe(client, organisation)
    path = confirm_path("reader@example.org")
    token = path.rsplit("/", 1)[1]
    assert client.post(f"/en/subscription/stop/{token}").status_code == 400  # a confirm token does not stop
    assert client.get(f"/en/subscription/confirm/{token[:-3]}xyz").status_code == 400
    assert client.post(f"/en/unsubscribe/{token}").status_code == 400  # nor stops a signer's updates
    assert rows()[0].status == "pending"


# --- sealing --------------------------------------------------------------------------------------------

def test_a_protected_organisations_subscriber_is_stored_sealed(client, organisation):
    turn_on(organisation, PASSPHRASE, "test")
    db.session.commit()
    assert subscribe(client, organisation, "sealed.reader@example.org").status_code == 200
    (row,) = rows()
    assert row.email == "" and row.sealed is not None and row.sealing_key_id is not None
    assert b"sealed.reader" not in row.sealed
    key = subscribers.subscriber_hash(organisation.id, "sealed.reader@example.org")
    assert row.email_hash == key and "sealed" not in key
    # The confirmation goes to the address as typed, the only time the server reads it.
    assert queued_to("sealed.reader@example.org")[0].kind == "subscriber_confirm"


def test_turning_protection_on_seals_existing_subscribers(client, organisation):
    from petitions.organiser import protection

    subscribed(client, organisation, "early@example.org")
    private, counts = turn_on(organisation, PASSPHRASE, "test")
    db.session.commit()
    assert counts["subscribers"] == 1
    (row,) = rows()
    assert row.email == "" and row.sealed is not None
    assert protection.status(organisation)["plain"] == 0
    from petitions import sealing

    opener = sealing.open_key(organisation.id, passphrase=PASSPHRASE)
    assert opener.open_row(row.sealing_key_id, row.sealed) == {"email": "early@example.org"}
    opener.close()


# --- erasure and retention -----------------------------------------------------------------------------

def test_erase_my_data_removes_the_subscriptions_of_an_address(smtp_app, smtp_server, client, organisation,
                                                              make_member):
    subscribed(client, organisation, "Erase.Me@example.org")
    subscribed(client, organisation, "keep@example.org")
    sign(client, email="erase.me@example.org")
    deliver_all()
    smtp_server.messages.clear()
    assert client.post("/en/my-data", data={"email": "erase.me@EXAMPLE.org"}).status_code == 200
    deliver_all()
    (message,) = smtp_server.wait_for(1)
    assert "also receives news from 1 organisation" in text_part(message)
    path = re.search(r"http://petitions\.test(/en/erase/\S+)", text_part(message)).group(1)
    asking = page_text(client.get(path))
    assert "1 signature was made" in asking and "receives news from 1 organisation" in asking
    assert len(rows()) == 2
    done = page_text(client.post(path))
    assert "1 subscription to an organisation's news was erased" in done
    assert [r.email for r in rows()] == ["keep@example.org"]


def test_an_address_that_only_subscribed_can_ask_for_erasure(client, organisation):
    subscribed(client, organisation, "only.news@example.org")
    client.post("/en/my-data", data={"email": "only.news@example.org"})
    erase = queued_to("only.news@example.org")[-1]
    assert erase.kind == "erase" and "receives news from 1 organisation" in erase.text_body
    assert "0 signatures" not in erase.text_body
    key = email_hash(client.application.config["HASH_KEY"], "only.news@example.org")
    from petitions import erasure

    assert erasure.subscription_count_of(key) == 1
    erasure.erase_everything(key)
    assert rows() == []
    # The erasure request stays (it is how the erasure was asked for); the unsent confirmation went with the row.
    assert [m.kind for m in queued_to("only.news@example.org")] == ["erase"]


def test_purge_deletes_stale_pending_and_long_stopped_subscriptions(app, client, organisation):
    for address in ("stale@example.org", "fresh@example.org"):
        subscribe(client, organisation, address)
    for address in ("old.stop@example.org", "new.stop@example.org", "reader@example.org"):
        subscribed(client, organisation, address)
    now = utcnow()
    found = {r.email: r for r in rows()}
    found["stale@example.org"].confirmation_sent_at = now - timedelta(days=8)
    found["stale@example.org"].created_at = now - timedelta(days=8)
    subscribers.stop([found["old.stop@example.org"].id], now=now - timedelta(days=31))
    subscribers.stop([found["new.stop@example.org"].id], now=now - timedelta(days=29))
    db.session.commit()
    done = retention.purge(now=now, unconfirmed_days=7)
    assert done["unconfirmed_subscribers_deleted"] == 1 and done["unsubscribed_subscribers_deleted"] == 1
    left = rows()
    assert sorted(r.status for r in left) == ["confirmed", "pending", "unsubscribed"]
    assert {r.email for r in left} == {"fresh@example.org", "reader@example.org", ""}
    assert retention.purge(now=now + timedelta(days=2), unconfirmed_days=7, subscriber_days=30)[
        "unsubscribed_subscribers_deleted"] == 1


# --- mailings ---------------------------------------------------------------------------------------

def test_an_owners_mailing_goes_only_to_confirmed_subscribers_in_their_language(smtp_app, smtp_server, client,
                                                                                organisation, make_member):
    subscribed(client, organisation, "en.reader@example.org", lang="en")
    subscribed(client, organisation, "ru.reader@example.org", lang="ru")
    subscribe(client, organisation, "pending@example.org")
    stopped = subscribed(client, organisation, "stopped@example.org")
    subscribers.stop([stopped.id])
    owner, _ = _owner(smtp_app, make_member)
    page = page_text(owner.get(f"/organiser/org/{organisation.id}/subscribers"))
    assert "2 confirmed subscribers" in page
    mailing_id = _mail_everyone(owner, organisation, subject="Trial on Monday", body="Come to **court**.")
    untranslated = _send(owner, organisation, mailing_id)
    assert untranslated.status_code == 303 and db.session.get(SubscriberMailing, mailing_id).is_draft
    assert owner.post(f"/organiser/org/{organisation.id}/subscribers", data={
        "mailing": mailing_id, "language": "ru", "subject": "Суд в понедельник",
        "body": "Приходите в **суд**."}).status_code == 302
    assert _send(owner, organisation, mailing_id).status_code == 302
    deliver_all()
    delivered = smtp_server.wait_for(6)
    mailings = {m["To"]: m for m in delivered if "Trial" in m["Subject"] or "Суд" in m["Subject"]}
    assert set(mailings) == {"en.reader@example.org", "ru.reader@example.org"}
    english, russian = mailings["en.reader@example.org"], mailings["ru.reader@example.org"]
    assert english["Subject"] == f"Trial on Monday – {organisation.name}"
    assert "<strong>court</strong>" in html_part(english) and "/en/o/" in text_part(english)
    assert russian["Subject"].startswith("Суд в понедельник") and "<strong>суд</strong>" in html_part(russian)
    for message in (english, russian):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        stop = re.fullmatch(r"<http://petitions\.test(/[a-z]{2}/subscription/stop/\S+)>", message["List-Unsubscribe"])
        assert stop and stop.group(1) in text_part(message)
    mailing = db.session.get(SubscriberMailing, mailing_id)
    assert mailing.mailed_count == 2 and mailing.mailing_done_at is not None
    assert "emailed to 2 subscribers" in page_text(owner.get(f"/organiser/org/{organisation.id}/subscribers"))


def test_a_mailing_is_queued_in_batches_of_the_configured_size(make_app, organisation, make_member):
    app = make_app(UPDATE_MAIL_BATCH=2)
    client = app.test_client()
    for i in range(5):
        subscribed(client, organisation, f"r{i}@example.org")
    owner, _ = _owner(app, make_member)
    mailing_id = _mail_everyone(owner, organisation)
    _send(owner, organisation, mailing_id)
    with app.app_context():  # the app whose UPDATE_MAIL_BATCH is 2
        assert subscribers.mailings.queue_next_batch() == 2
        assert db.session.get(SubscriberMailing, mailing_id).mailing_done_at is None
        assert subscribers.mailings.queue_next_batch() == 2 and subscribers.mailings.queue_next_batch() == 1
        assert db.session.get(SubscriberMailing, mailing_id).mailing_done_at is not None
        assert subscribers.mailings.queue_next_batch() == 0
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.kind == "subscriber_mailing")) == 5


def test_a_protected_organisations_mailing_needs_the_passphrase_and_a_code(app, client, organisation, make_member):
    turn_on(organisation, PASSPHRASE, "test")
    db.session.commit()
    subscribed(client, organisation, "sealed.one@example.org")
    owner, member = _owner(app, make_member, totp=True)
    mailing_id = _mail_everyone(owner, organisation)
    page = page_text(owner.get(f"/organiser/org/{organisation.id}/subscribers"))
    assert f'id="passphrase-{mailing_id}"' in page and f'id="code-{mailing_id}"' in page
    refused = _send(owner, organisation, mailing_id, code=totp_code(member, 1), passphrase="not the passphrase")
    assert refused.status_code == 400 and "does not open" in page_text(refused)
    assert db.session.get(SubscriberMailing, mailing_id).is_draft
    assert [m.kind for m in queued_to("sealed.one@example.org")] == ["subscriber_confirm"]
    db.session.get(Account, member.id).totp_last_step = None  # that code was used up by the refused try
    db.session.commit()
    sent = _send(owner, organisation, mailing_id, code=totp_code(member, 1), passphrase=PASSPHRASE)
    assert sent.status_code == 302
    assert [m.kind for m in queued_to("sealed.one@example.org")] == ["subscriber_confirm", "subscriber_mailing"]
    assert db.session.get(SubscriberMailing, mailing_id).mailing_done_at is not None  # queued whole, at once
    unlocks = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("key.unlock%"))).all()
    assert [(e.action, e.detail["for"], e.petition_id) for e in unlocks] == [
        ("key.unlock_refused", "subscribers", None), ("key.unlock", "subscribers", None)]


def test_without_two_factor_a_protected_mailing_is_refused(app, client, organisation, make_member):
    turn_on(organisation, PASSPHRASE, "test")
    db.session.commit()
    owner, _ = _owner(app, make_member)
    mailing_id = _mail_everyone(owner, organisation)
    refused = _send(owner, organisation, mailing_id, code="123456", passphrase=PASSPHRASE)
    assert refused.status_code == 400 and "Turn on two-factor" in page_text(refused)
    assert db.session.get(SubscriberMailing, mailing_id).is_draft


def test_a_viewer_cannot_write_or_send_and_an_editor_cannot_send(app, client, organisation, make_member):
    subscribed(client, organisation, "reader@example.org")
    owner, _ = _owner(app, make_member)
    mailing_id = _mail_everyone(owner, organisation)
    viewer, _ = _owner(app, make_member, role="viewer", email="viewer@rights.example")
    page = viewer.get(f"/organiser/org/{organisation.id}/subscribers")
    assert page.status_code == 200 and "1 confirmed subscriber" in page_text(page)
    assert 'name="subject"' not in page_text(page) and "/subscribers/send" not in page_text(page)
    assert viewer.post(f"/organiser/org/{organisation.id}/subscribers", data={
        "language": "en", "subject": "Mine", "body": "Mine"}).status_code == 404
    assert _send(viewer, organisation, mailing_id).status_code == 404
    editor, _ = _owner(app, make_member, role="editor", email="editor@rights.example")
    assert "/subscribers/send" not in page_text(editor.get(f"/organiser/org/{organisation.id}/subscribers"))
    assert _send(editor, organisation, mailing_id).status_code == 404
    assert db.session.get(SubscriberMailing, mailing_id).is_draft
    assert db.session.scalar(select(func.count()).select_from(SubscriberMailing)) == 1
    stranger = make_member(email="stranger@other.example", organisation="Another Group")
    outsider = app.test_client()
    sign_in(outsider, stranger)
    assert outsider.get(f"/organiser/org/{organisation.id}/subscribers").status_code == 404


def test_the_organiser_home_shows_the_number_of_confirmed_subscribers(app, client, organisation, make_member):
    subscribed(client, organisation, "one@example.org")
    subscribe(client, organisation, "pending@example.org")
    owner, _ = _owner(app, make_member)
    home = page_text(owner.get("/organiser/"))
    assert f'href="/organiser/org/{organisation.id}/subscribers">1 subscriber</a>' in home


# --- bad input ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["not-an-address", "", "a@b", "x" * 300 + "@example.org"])
def test_a_bad_address_gets_a_clear_message_and_stores_nothing(client, organisation, address):
    answer = subscribe(client, organisation, address)
    assert answer.status_code == 400
    assert "valid email address" in page_text(answer) or "enter your email address" in page_text(answer)
    assert rows() == [] and db.session.scalar(select(OutboxMessage)) is None


def test_an_unknown_organisation_is_a_404_and_stores_nothing(client, organisation):
    assert client.post("/de/o/no-such-group/subscribe", data={
        "email": "reader@example.org", "served": served_stamp(client.application)}).status_code == 404
    assert client.get("/en/o/no-such-group/subscribe").status_code == 404
    assert rows() == []


def test_an_organisation_with_nothing_public_takes_no_subscriptions(client, organisation):
    from petitions.accounts import services as accounts

    quiet = accounts.find_or_create_organisation("Quiet Group")
    db.session.commit()
    assert client.get(f"/en/o/{quiet.slug}").status_code == 404
    assert subscribe(client, quiet).status_code == 404  # the form must not tell that it uses this site
    assert rows() == []


def test_the_honeypot_and_a_too_quick_form_store_nothing(make_app, organisation):
    app = make_app(FORM_MIN_SECONDS=2)
    client = app.test_client()
    caught = subscribe(client, organisation, website="http://spam.example")
    assert caught.status_code == 200 and "Check your inbox" in page_text(caught)
    hasty = subscribe(client, organisation, served=served_stamp(app, seconds_ago=0))
    assert hasty.status_code == 400 and "Nothing has been sent yet" in page_text(hasty)
    assert rows() == [] and db.session.scalar(select(OutboxMessage)) is None


def test_the_form_is_rate_limited_per_address(make_app, organisation):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SUBSCRIBE_EMAIL="2 per hour")
    client = app.test_client()
    assert subscribe(client, organisation, "reader@example.org").status_code == 200
    assert subscribe(client, organisation, "Reader@example.org").status_code == 200
    assert subscribe(client, organisation, "READER@example.org").status_code == 429
    assert subscribe(client, organisation, "someone.else@example.org").status_code == 200


def test_a_mailing_without_a_subject_is_refused_and_nothing_is_stored(app, organisation, make_member):
    owner, _ = _owner(app, make_member)
    refused = owner.post(f"/organiser/org/{organisation.id}/subscribers", data={
        "language": "xx", "subject": "", "body": "x" * 20_001})
    assert refused.status_code == 400
    text = page_text(refused)
    assert "Please enter a subject." in text and "20,000" in text
    assert db.session.scalar(select(func.count()).select_from(SubscriberMailing)) == 0
