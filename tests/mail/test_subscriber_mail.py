"""Mail to subscribers: both kinds render in every language, and the worker queues a mailing as it delivers."""
from sqlalchemy import select

from petitions import subscribers
from petitions.extensions import db
from petitions.mail import messages
from petitions.mail.worker import deliver_all
from petitions.models import OutboxMessage, Subscriber, SubscriberMailing, utcnow
from petitions.subscribers import mailings

from ..smtp import text_part


def _subscriber(organisation_id, address, language="en", status="confirmed"):
    row = Subscriber(organisation_id=organisation_id, email=address, language=language, status=status,
                     email_hash=subscribers.subscriber_hash(organisation_id, address), created_at=utcnow(),
                     confirmed_at=utcnow() if status == "confirmed" else None)
    db.session.add(row)
    db.session.flush()
    return row


def test_both_kinds_render_in_every_language_with_its_direction(app, petition):
    organisation = petition.organisation
    row = _subscriber(organisation.id, "reader@example.org")
    for language in app.config["LANGUAGES"]:
        messages.queue_subscriber_confirmation("reader@example.org", language, organisation.name,
                                               subscribers.confirmation_url(row), row.id)
        messages.queue_subscriber_mailing("reader@example.org", language, organisation.name, "Subject",
                                          "<p>Body</p>", "Body", "http://petitions.test/o/x",
                                          subscribers.unsubscribe_url(row), row.id)
    rendered = [(row.kind, row.context["language"], messages.render(row))
                for row in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert len(rendered) == 2 * len(app.config["LANGUAGES"])
    for kind, language, (subject, text, html) in rendered:
        assert organisation.name in subject
        direction = "rtl" if language == "fa" else "ltr"
        assert f'<html lang="{language}" dir="{direction}">' in html, (kind, language)
        assert ("/subscription/confirm/" if kind == "subscriber_confirm" else "/subscription/stop/") in text


def test_the_worker_queues_a_sent_mailing_and_skips_whoever_stopped_meanwhile(make_app, petition, smtp_server):
    app = make_app(UPDATE_MAIL_BATCH=1, MAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        organisation_id = petition.organisation_id
        _first, second, _third = (_subscriber(organisation_id, f"r{i}@example.org") for i in range(3))
        _subscriber(organisation_id, "pending@example.org", status="pending")
        mailing = mailings.draft(petition.organisation, "en", "News", "Some *news*.", None)
        mailings.send(mailing, subscribers.recipients_by_language(organisation_id))
        assert mailings.queue_next_batch() == 1  # the first batch of one
        subscribers.stop([second.id])
        db.session.commit()
        assert deliver_all() == (2, 0)  # the first, then the worker's own batches: the third (the second stopped)
        received = sorted(message["To"] for message in smtp_server.wait_for(2))
        assert received == ["r0@example.org", "r2@example.org"]
        assert all("Some *news*." in text_part(message) for message in smtp_server.messages)
        done = db.session.get(SubscriberMailing, mailing.id)
        assert done.mailing_done_at is not None and done.mailed_count == 2
