"""Mailings to an organisation's confirmed subscribers: drafts in every language, then sent a batch at a time.

Written and sent like petition updates (petitions/organiser/campaign.py and
petitions/mail/updates.py): a draft gets its languages first and is mailed
only when an owner presses "Send", to the subscribers confirmed until then,
each in their own language. Whoever delivers mail queues the next batch of a
mailing still going out (petitions/mail/worker.py). A protected
organisation's addresses are sealed, so its mailing is queued whole when
"Send" is pressed, while the key is unlocked (``queue_all_now``). Every
message carries its unsubscribe link and List-Unsubscribe headers.
"""
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..links import external_url
from ..mail import messages
from ..markup import render_markdown
from ..models import Organisation, Subscriber, SubscriberMailing, SubscriberMailingText, SubscriberStatus, utcnow
from ..plaintext import single_line
from . import unsubscribe_url


class MailingError(ValueError):
    """Sending or changing a mailing is refused; nothing changed. ``code`` says why, for a translated message."""

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


def draft(organisation, language, subject, body, author):
    """Start a mailing as a draft in one language. Flushes."""
    mailing = SubscriberMailing(organisation_id=organisation.id, author_id=author.id if author else None,
                                created_at=utcnow())
    mailing.texts.append(SubscriberMailingText(language=language, subject=single_line(subject), body=body))
    db.session.add(mailing)
    db.session.flush()
    return mailing


def translate(mailing, language, subject, body):
    """Add or replace a draft's text in a language. Raises MailingError("already_sent"). Flushes."""
    if not mailing.is_draft:
        raise MailingError("already_sent")
    existing = mailing.text(language)
    if existing is None:
        mailing.texts.append(SubscriberMailingText(language=language, subject=single_line(subject), body=body))
    else:
        existing.subject, existing.body = single_line(subject), body
    db.session.flush()


def discard(mailing):
    """Delete a draft (a sent mailing stays: it is the record of what subscribers were sent)."""
    if not mailing.is_draft:
        raise MailingError("already_sent")
    db.session.delete(mailing)
    db.session.flush()


def mailings_of(organisation_id):
    """The organisation's mailings, drafts and sent, newest first."""
    return db.session.scalars(
        select(SubscriberMailing).where(SubscriberMailing.organisation_id == organisation_id)
        .order_by(SubscriberMailing.created_at.desc(), SubscriberMailing.id.desc())
    ).all()


def untranslated_for(mailing, recipients):
    """Languages that have recipients but no text in this mailing (they would get another language)."""
    return [language for language, count in recipients.items() if count and mailing.text(language) is None]


def send(mailing, recipients, untranslated_ok=False, now=None):
    """Mark a draft sent: from now on it is mailed to the subscribers confirmed until now. Flushes.

    Refused with MailingError("untranslated") while a language with recipients
    has no text, unless the owner confirmed (``untranslated_ok``), and with
    "already_sent" twice.
    """
    if not mailing.is_draft:
        raise MailingError("already_sent")
    missing = untranslated_for(mailing, recipients)
    if missing and not untranslated_ok:
        raise MailingError("untranslated", languages=missing)
    mailing.sent_at = now or utcnow()
    db.session.flush()
    return mailing


def _text_for(mailing, organisation, language):
    return mailing.text(language) or mailing.text(organisation.primary_language) or mailing.texts[0]


def queue_next_batch(limit=None, now=None, mailing=None, opener=None):
    """Queue the next batch of one mailing still going out. Returns how many messages were queued. Flushes.

    ``mailing`` and ``opener`` come from ``queue_all_now``: a sealed address is
    opened with the key unlocked for that mailing, and otherwise never mailed
    (it cannot be read).
    """
    limit = limit or current_app.config["UPDATE_MAIL_BATCH"]
    now = now or utcnow()
    if mailing is None:
        mailing = db.session.scalar(
            select(SubscriberMailing).where(SubscriberMailing.mailing_done_at.is_(None),
                                            SubscriberMailing.sent_at.is_not(None))
            .order_by(SubscriberMailing.id).limit(1).with_for_update(skip_locked=True))
    if mailing is None:
        return 0
    organisation = db.session.get(Organisation, mailing.organisation_id)
    subscribers = db.session.scalars(
        select(Subscriber).where(
            Subscriber.organisation_id == mailing.organisation_id, Subscriber.status == SubscriberStatus.CONFIRMED,
            Subscriber.id > mailing.mailing_after_id, Subscriber.confirmed_at <= mailing.sent_at,
        ).order_by(Subscriber.id).limit(limit)
    ).all()
    rendered = {}  # per language: the same few texts for a whole batch
    queued = 0
    for subscriber in subscribers:
        address = subscriber.email
        if subscriber.sealed is not None:
            if opener is None:
                continue
            address = opener.open_row(subscriber.sealing_key_id, subscriber.sealed)["email"]
        language = subscriber.language
        if language not in rendered:
            text = _text_for(mailing, organisation, language)
            rendered[language] = (text, render_markdown(text.body),
                                  external_url("organisations.page", lang=language, slug=organisation.slug))
        text, body_html, page_url = rendered[language]
        messages.queue_subscriber_mailing(
            address, language, organisation.name, text.subject, body_html, text.body, page_url,
            unsubscribe_url(subscriber), subscriber.id, now=now)
        queued += 1
    if subscribers:
        mailing.mailing_after_id = subscribers[-1].id
        mailing.mailed_count += queued
    if len(subscribers) < limit:
        mailing.mailing_done_at = now
    db.session.flush()
    return queued


def queue_all_now(mailing, opener, now=None):
    """Queue a mailing to every recipient now, with the organisation's key unlocked for it. Returns how many.

    A protected organisation's addresses can be read only while someone's
    passphrase unlocks its key, so its mailing cannot wait for the worker:
    the outbox holds the addresses until each message is sent.
    """
    queued = 0
    while mailing.mailing_done_at is None:
        queued += queue_next_batch(now=now, mailing=mailing, opener=opener)
    return queued
