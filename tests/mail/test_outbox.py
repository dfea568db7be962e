"""Mail goes out through a real SMTP conversation and survives the server being down."""
from datetime import timedelta

import pytest

from sqlalchemy import select

from petitions.extensions import db
from petitions.mail import outbox
from petitions.mail.transport import SmtpTransport
from petitions.mail.worker import deliver_all, deliver_due
from petitions.models import OutboxMessage, utcnow

from ..helpers import confirm_path, free_port, queued_to, sign
from ..smtp import html_part, text_part


def test_confirmation_email_arrives_over_smtp_in_the_signers_language(smtp_app, smtp_server, client, petition):
    sign(client, lang="de", full_name="Jana Beispiel", email="jana@example.org")
    assert deliver_all() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "jana@example.org"
    assert message.is_multipart() and message.get_content_type() == "multipart/alternative"
    assert "Freiheit für die gewaltlosen politischen Gefangenen" in message["Subject"]
    text, html = text_part(message), html_part(message)
    assert "Jana Beispiel" in text and 'lang="de"' in html
    path = confirm_path(text)
    assert path.startswith("/de/confirm/") and path in html
    assert client.get(path).status_code == 200


def test_message_is_marked_sent_and_forgotten_once_the_server_accepts(smtp_app, smtp_server, client, petition):
    sign(client)
    deliver_all()
    row = db.session.scalar(select(OutboxMessage))
    assert row.sent_at is not None
    assert (row.recipient, row.text_body, row.html_body, row.context) == ("", "", "", None)


def test_signing_queues_facts_and_the_sender_renders_them(smtp_app, smtp_server, client, petition):
    """The request stores what the email must say; rendering is the mail worker's work."""
    sign(client, lang="ru", full_name="Алесь Беляцкий", email="ales@example.org")
    row = db.session.scalar(select(OutboxMessage))
    assert (row.subject, row.text_body, row.html_body) == ("", "", "")
    assert row.context["language"] == "ru" and row.context["name"] == "Алесь Беляцкий"
    assert deliver_all() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    assert "Освободите" in message["Subject"] and "Алесь Беляцкий" in text_part(message)


def test_message_queued_before_facts_were_kept_is_sent_as_stored(smtp_app, smtp_server):
    """Rows from before migration 0005 carry their rendered text and no context."""
    db.session.add(OutboxMessage(kind="confirm", recipient="old@example.org", subject="Stored subject",
                                 text_body="Stored text", html_body="<p>Stored html</p>"))
    db.session.commit()
    assert deliver_all() == (1, 0)
    (message,) = smtp_server.wait_for(1)
    assert message["Subject"] == "Stored subject" and text_part(message).strip() == "Stored text"


def test_a_message_that_cannot_be_rendered_does_not_hold_up_the_others(smtp_app, smtp_server, client, petition):
    smtp_app.config["MAIL_BATCH_SIZE"] = 2  # the bad one and a good one share the first batch
    db.session.add(OutboxMessage(kind="no-such-kind", recipient="broken@example.org", context={"language": "en"}))
    db.session.commit()
    for i in range(3):
        sign(client, email=f"fine{i}@example.org")
    assert deliver_all() == (3, 1)
    assert sorted(m["To"] for m in smtp_server.wait_for(3)) == [f"fine{i}@example.org" for i in range(3)]
    broken = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "no-such-kind"))
    assert broken.sent_at is None and broken.attempts == 1 and "no-such-kind" in broken.last_error
    assert broken.next_attempt_at > utcnow()


def test_a_database_error_while_rendering_stops_the_batch_before_anything_is_sent(
        smtp_app, smtp_server, client, petition, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from petitions.mail import messages

    for i in range(2):
        sign(client, email=f"reader{i}@example.org")

    def database_gone(*args):
        raise OperationalError("SELECT title", {}, Exception("server closed the connection"))

    monkeypatch.setattr(messages, "title_in", database_gone)
    with pytest.raises(OperationalError):
        deliver_all()
    assert smtp_server.messages == []  # nothing went out, so nothing can go out twice
    monkeypatch.undo()
    assert deliver_all() == (2, 0)


def test_smtp_down_keeps_mail_queued_and_retries_with_backoff(app, client, petition, smtp_server):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    sign(client)
    assert deliver_all() == (0, 1)
    row = db.session.scalar(select(OutboxMessage))
    assert row.sent_at is None and row.attempts == 1 and "ConnectionRefused" in row.last_error
    first_retry = row.next_attempt_at
    assert first_retry > utcnow()

    # The server comes back: nothing is sent before the retry is due, then it goes out.
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    assert deliver_all() == (0, 0)
    sent, failed = deliver_due(SmtpTransport(app.config["MAIL_URL"]), app.config["MAIL_FROM"],
                               now=first_retry + timedelta(seconds=1))
    db.session.commit()
    assert (sent, failed) == (1, 0)
    assert len(smtp_server.wait_for(1)) == 1


def test_rejected_message_stays_queued(smtp_app, smtp_server, client, petition):
    smtp_server.reject_with = "451 4.3.0 Try again later"
    sign(client)
    assert deliver_all() == (0, 1)
    row = db.session.scalar(select(OutboxMessage))
    assert row.sent_at is None and row.attempts == 1 and row.recipient == "ada@example.org"


def test_backoff_grows_and_is_capped():
    delays = [outbox.backoff(n, 3600) for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert delays == sorted(delays) and delays[-1] == 3600


def test_smtp_urls_select_the_right_connection():
    plain = SmtpTransport("smtp://relay.example:2525")
    starttls = SmtpTransport("smtp+starttls://user%40org:p%3Ass@mail.example")
    implicit = SmtpTransport("smtps://u:p@mail.example")
    assert (plain.host, plain.port, plain.username) == ("relay.example", 2525, None)
    assert (starttls.port, starttls.username, starttls.password) == (587, "user@org", "p:ss")
    assert (implicit.scheme, implicit.port) == ("smtps", 465)


@pytest.mark.commits
def test_development_delivers_from_inside_the_web_process(make_app, smtp_server):
    import time

    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    app = make_app(MAIL_DELIVER_AFTER_REQUEST=True, MAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        import_petition(petition_data(), app.config["LANGUAGES"])
        db.session.commit()
    try:
        started = time.monotonic()
        assert sign(app.test_client()).status_code == 200
        assert len(smtp_server.wait_for(1, timeout=10)) == 1
        assert time.monotonic() - started < 10
    finally:
        app.extensions["petitions.mail_delivery"].stop()


def test_a_signers_name_is_escaped_once_in_html_and_kept_as_entered_in_text(client, petition):
    assert sign(client, full_name="Tom & <b>Jerry</b>", email="tom@example.org").status_code == 200
    (email,) = queued_to("tom@example.org")
    assert "Tom & <b>Jerry</b>" in email.text_body
    assert "Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;" in email.html_body and "<b>Jerry" not in email.html_body
