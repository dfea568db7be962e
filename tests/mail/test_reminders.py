"""One reminder for a signature still pending: sent once after the delay, in its language, never when it should not."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, text, update

from petitions import erasure, withdrawal
from petitions.address_hashes import email_hash
from petitions.extensions import db
from petitions.mail import reminders
from petitions.mail.worker import deliver_all
from petitions.models import EventKind, OutboxMessage, Petition, Signature, utcnow
from petitions.models.events import event_total
from petitions.organiser.protection import turn_on
from petitions.retention import purge

from ..helpers import confirm, confirm_path, page_text, queued_to, sign, sign_in
from ..smtp import html_part, text_part


def signature_of(address):
    return db.session.scalar(select(Signature).where(Signature.email == address))


def last_asked(address, hours_ago):
    """Move a signature's last confirmation email ``hours_ago`` into the past, as if that much time had passed."""
    db.session.execute(update(Signature).where(Signature.email == address)
                       .values(confirmation_sent_at=utcnow() - timedelta(hours=hours_ago)))
    db.session.commit()
    db.session.expire_all()


def reminders_to(address):
    return [email for email in queued_to(address) if email.kind == "reminder"]


def remind():
    """What the mail worker or `petitions mail reminders` does: one batch, committed."""
    queued = reminders.queue_due()
    db.session.commit()
    db.session.expire_all()
    return queued


def test_a_signature_pending_after_the_delay_gets_one_reminder_over_smtp_and_never_a_second(
        smtp_app, smtp_server, client, petition):
    sign(client, full_name="Ada Lovelace", email="ada@example.org")
    assert deliver_all() == (1, 0)  # the confirmation email; the worker also looked for due reminders: none
    last_asked("ada@example.org", 25)
    current_app.extensions.pop("petitions.reminders_next_look")  # a minute later, it looks again by itself
    assert deliver_all() == (1, 0)
    confirmation, reminder = smtp_server.wait_for(2)
    assert reminder["To"] == "ada@example.org"
    assert reminder["Subject"].startswith("Reminder: please confirm your signature")
    assert "Free the prisoners of conscience" in reminder["Subject"]
    body = text_part(reminder)
    assert "Ada Lovelace" in body and "This is the only reminder we send." in body
    assert "If you do nothing, the signature will be deleted in 7 days." in body
    assert "Withdraw" in html_part(reminder) and "/withdraw/" in body
    # Its link is a confirmation link like any other: a page with one button, and the press confirms.
    path = confirm_path(body)
    assert path in html_part(reminder)
    assert confirm(client, path).status_code == 200
    signature = signature_of("ada@example.org")
    assert signature.status == "confirmed" and signature.reminder_sent_at is not None
    assert signature.confirmation_sends == 2

    # However long it stays pending, and however often the worker looks, there is no second reminder.
    db.session.execute(update(Signature).where(Signature.id == signature.id)
                       .values(status="pending", confirmed_at=None))
    db.session.commit()
    last_asked("ada@example.org", 30)
    assert remind() == 0
    assert event_total(db.session, petition.id, EventKind.REMINDER_SENT) == 1


def test_the_reminder_counts_as_a_confirmation_email_and_retention_counts_again_from_it(app, client, petition):
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 25)
    before = utcnow()
    assert remind() == 1
    signature = signature_of("ada@example.org")
    assert signature.confirmation_sends == 2
    assert signature.reminder_sent_at >= before and signature.confirmation_sent_at == signature.reminder_sent_at
    # Its link (7 days) never outlives the row: purge a day before the 7 days are up keeps it.
    purge(now=signature.reminder_sent_at + timedelta(days=6, hours=23))
    db.session.commit()
    assert signature_of("ada@example.org") is not None
    # The first link keeps working too, as after any re-send: only changed details supersede a link.
    (first_email, reminder) = queued_to("ada@example.org")
    assert (first_email.kind, reminder.kind) == ("confirm", "reminder")
    assert client.get(confirm_path(first_email.text_body)).status_code == 200


def test_no_reminder_before_the_delay(app, client, petition):
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 23)
    assert remind() == 0
    assert reminders_to("ada@example.org") == []


def test_the_delay_is_a_setting(app, client, petition):
    app.config["CONFIRM_REMINDER_HOURS"] = 2
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 3)
    assert remind() == 1


def test_no_reminder_when_reminders_are_off(app, client, petition, runner):
    app.config["CONFIRM_REMINDER_HOURS"] = 0
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 48)
    assert remind() == 0
    result = runner.invoke(args=["mail", "reminders"])
    assert result.exit_code == 0 and "reminders are off" in result.output
    assert reminders_to("ada@example.org") == []


def test_no_reminder_after_a_confirmation(app, client, petition):
    sign(client, email="ada@example.org")
    assert confirm(client, confirm_path(queued_to("ada@example.org")[0].text_body)).status_code == 200
    last_asked("ada@example.org", 25)
    assert remind() == 0


def test_a_confirmation_after_the_reminder_is_counted_and_drops_the_reminder_not_yet_sent(app, client, petition):
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 25)
    assert remind() == 1
    # Confirmed through the first email's link, before the worker sent the reminder.
    assert confirm(client, confirm_path(queued_to("ada@example.org")[0].text_body)).status_code == 200
    assert reminders_to("ada@example.org") == []
    assert event_total(db.session, petition.id, EventKind.REMINDER_CONFIRMED) == 1
    # Pressing again counts nothing more.
    confirm(client, confirm_path(queued_to("ada@example.org")[0].text_body))
    assert event_total(db.session, petition.id, EventKind.REMINDER_CONFIRMED) == 1


def test_a_confirmation_without_a_reminder_is_not_counted_as_after_one(app, client, petition):
    sign(client, email="ada@example.org")
    confirm(client, confirm_path(queued_to("ada@example.org")[0].text_body))
    assert event_total(db.session, petition.id, EventKind.REMINDER_CONFIRMED) == 0


def test_no_reminder_after_a_withdrawal_and_an_unsent_one_is_dropped(app, client, petition):
    sign(client, email="ada@example.org")
    sign(client, email="bob@example.org")
    withdrawal.withdraw(signature_of("ada@example.org"))
    db.session.commit()
    db.session.execute(update(Signature).values(confirmation_sent_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert remind() == 1  # bob only
    withdrawal.withdraw(signature_of("bob@example.org"))
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder")) is None


def test_no_reminder_after_an_erasure_and_an_unsent_one_is_dropped(app, client, petition):
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 25)
    assert remind() == 1
    erasure.erase_everything(email_hash(current_app.config["HASH_KEY"], "ada@example.org"))
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder")) is None
    assert remind() == 0


def test_no_reminder_once_retention_has_run_out_nor_after_the_purge(app, client, petition):
    sign(client, email="ada@example.org")
    # Older than UNCONFIRMED_RETENTION_DAYS: purge deletes it, and until it runs no reminder goes.
    last_asked("ada@example.org", 7 * 24 + 1)
    assert remind() == 0
    purge()
    db.session.commit()
    assert signature_of("ada@example.org") is None
    assert remind() == 0


def test_no_reminder_when_the_delay_reaches_the_retention_period(app, client, petition):
    app.config["CONFIRM_REMINDER_HOURS"] = 7 * 24
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 7 * 24 - 1)
    assert remind() == 0
    last_asked("ada@example.org", 7 * 24 + 1)
    assert remind() == 0


def test_a_signer_who_used_every_confirmation_email_gets_no_reminder(app, client, petition):
    for _ in range(3):  # MAX_CONFIRMATION_SENDS: the first email and two re-sends
        sign(client, email="ada@example.org")
    assert signature_of("ada@example.org").confirmation_sends == 3
    last_asked("ada@example.org", 25)
    assert remind() == 0
    assert reminders_to("ada@example.org") == []


def test_the_reminder_is_the_last_confirmation_email_allowed(app, client, petition):
    sign(client, email="ada@example.org")
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 25)
    assert remind() == 1
    assert signature_of("ada@example.org").confirmation_sends == 3
    sign(client, email="ada@example.org")  # the cap is reached: signing again sends nothing more
    assert [email.kind for email in queued_to("ada@example.org")] == ["confirm", "confirm", "reminder"]


def test_the_reminder_is_in_the_signers_language(smtp_app, smtp_server, client, petition):
    sign(client, lang="ru", full_name="Алесь Беляцкий", email="ales@example.org")
    last_asked("ales@example.org", 25)
    assert remind() == 1
    assert deliver_all() == (2, 0)
    _confirmation, reminder = smtp_server.wait_for(2)  # sent in the order they were queued
    assert "Освободите узников совести" in reminder["Subject"]
    body, html = text_part(reminder), html_part(reminder)
    assert 'lang="ru"' in html and "Алесь Беляцкий" in body
    assert "Подтвердить подпись" in html  # the button, from the Russian catalogue
    assert confirm_path(body).startswith("/ru/confirm/")


def test_a_suppressed_address_gets_no_reminder_and_keeps_its_confirmation_emails(app, client, petition):
    from petitions.mail import suppression

    sign(client, email="gone@example.org")
    last_asked("gone@example.org", 25)
    asked_at = signature_of("gone@example.org").confirmation_sent_at
    suppression.suppress(suppression.address_hash("gone@example.org"), "bounced", utcnow())
    db.session.commit()
    assert remind() == 1  # its one reminder is settled: held back by the outbox
    signature = signature_of("gone@example.org")
    assert signature.reminder_sent_at is not None
    assert (signature.confirmation_sends, signature.confirmation_sent_at) == (1, asked_at)
    assert reminders_to("gone@example.org") == []
    assert event_total(db.session, petition.id, EventKind.REMINDER_SENT) == 0
    assert remind() == 0  # and it is not looked at again


def test_no_reminder_for_a_closed_petition(app, client, petition):
    sign(client, email="ada@example.org")
    last_asked("ada@example.org", 25)
    db.session.execute(update(Petition).where(Petition.id == petition.id).values(status="closed"))
    db.session.commit()
    assert remind() == 0


def test_a_sealed_signature_gets_no_reminder_and_the_dashboard_says_why(app, client, petition, make_member):
    turn_on(petition.organisation, "seven wild ravens over the marsh", "test")
    db.session.commit()
    sign(client, email="ada@example.org")
    signature = db.session.scalar(select(Signature))
    assert signature.sealed is not None and signature.email == ""
    db.session.execute(update(Signature).values(confirmation_sent_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert remind() == 0
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "reminder")) is None
    member_client = app.test_client()
    sign_in(member_client, make_member())
    page = page_text(member_client.get(f"/organiser/p/{petition.slug}/"))
    assert "Confirmation reminders" in page and "the server cannot read them to send a reminder" in page


def test_the_dashboard_shows_reminders_sent_and_confirmations_after_them(app, client, petition, make_member):
    for name in ("ada", "bob", "cyd"):
        sign(client, email=f"{name}@example.org")
    db.session.execute(update(Signature).values(confirmation_sent_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert remind() == 3
    assert confirm(client, confirm_path(reminders_to("ada@example.org")[0].text_body)).status_code == 200
    figures = reminders.dashboard_figures(petition)
    assert (figures.hours, figures.sent, figures.confirmed, figures.sealed) == (24, 3, 1, False)
    member_client = app.test_client()
    sign_in(member_client, make_member())
    page = page_text(member_client.get(f"/organiser/p/{petition.slug}/"))
    assert "3 reminders sent." in page
    assert "1 signer confirmed after their reminder (33%)." in page
    assert "the server cannot read them" not in page


def test_the_dashboard_says_nothing_of_reminders_that_are_off_and_never_sent(app, petition):
    app.config["CONFIRM_REMINDER_HOURS"] = 0
    assert reminders.dashboard_figures(petition) is None


def test_the_command_queues_every_due_reminder_a_batch_at_a_time(app, client, petition, runner, monkeypatch):
    monkeypatch.setattr(reminders, "BATCH", 2)
    for i in range(5):
        sign(client, email=f"s{i}@example.org")
    sign(client, email="fresh@example.org")
    db.session.execute(update(Signature).where(Signature.email != "fresh@example.org")
                       .values(confirmation_sent_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    result = runner.invoke(args=["mail", "reminders"])
    assert result.exit_code == 0, result.output
    assert "signatures reminded: 5" in result.output
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()) == 5
    assert reminders_to("fresh@example.org") == []


def test_the_worker_looks_once_a_minute_unless_a_batch_was_full(app, client, petition):
    sign(client, email="ada@example.org")
    db.session.commit()
    assert reminders.look_now()
    assert reminders.queue_due_batch() == 0
    assert not reminders.look_now()  # nothing was due: the next look is a minute away
    current_app.extensions.pop("petitions.reminders_next_look")
    last_asked("ada@example.org", 25)
    assert reminders.queue_due_batch(limit=1) == 1
    assert reminders.look_now()  # a full batch: there may be more at once


def test_the_job_reads_the_due_signatures_through_their_partial_index_on_sqlite(app):
    if db.session.get_bind().dialect.name != "sqlite":
        # PostgreSQL picks by cost (a few rows: a sequential scan); the query's terms match the index all the same.
        query = str(reminders._DUE_BY_DIALECT["postgresql"])
        assert "s.status = 'pending' AND s.reminder_sent_at IS NULL AND s.sealed IS NULL" in query
        return
    plan = db.session.execute(text("EXPLAIN QUERY PLAN " + str(reminders._DUE_BY_DIALECT["sqlite"])),
                              {"newest": "2026-01-02", "oldest": "2026-01-01", "max_sends": 3, "limit": 10}).all()
    details = " ".join(row[-1] for row in plan)
    assert "USING INDEX ix_signatures_reminder_due" in details, details
