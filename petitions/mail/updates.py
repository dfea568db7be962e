"""Mailing organisers' updates to the signers who asked for them, a batch at a time.

An update to a petition with a million signers must not need one enormous
transaction, nor a process the operator might forget: whoever delivers mail
(the worker, or the development thread) first queues the next batch of each
update still being mailed. A draft update is never mailed: it waits for
"Send". The batch is claimed with FOR UPDATE SKIP LOCKED, so two workers
never queue the same signer twice. A protected organisation's update is
queued whole when "Send" is pressed (``queue_all_now``), while its key is
unlocked: its signers' addresses are sealed.
"""
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..links import external_url
from ..markup import render_markdown
from ..models import Petition, PetitionUpdate, Signature, SignatureStatus, utcnow
from ..tokens import unsubscribe_tokens
from . import messages


def unsubscribe_url(signature):
    token = unsubscribe_tokens(current_app).make({"s": signature.id, "h": signature.email_hash[:16]})
    return external_url("signing.unsubscribe", lang=signature.language, token=token)


def _text_for(update, petition, language):
    return (update.translation(language) or update.translation(petition.primary_language)
            or update.translations[0])


def queue_next_batch(limit=None, now=None, update=None, opener=None):
    """Queue the next batch of one update still being mailed. Returns how many messages were queued.

    ``update`` and ``opener`` are given by ``queue_all_now``: a sealed
    signer's address is opened with the key unlocked for that mailing, and
    is otherwise never mailed to (it cannot be read).
    """
    from ..signature_links import withdraw_url
    from ..texts import petition_text

    limit = limit or current_app.config["UPDATE_MAIL_BATCH"]
    now = now or utcnow()
    if update is None:
        update = db.session.scalar(
            select(PetitionUpdate).where(PetitionUpdate.mailing_done_at.is_(None),
                                         PetitionUpdate.sent_at.is_not(None))
            .order_by(PetitionUpdate.id).limit(1).with_for_update(skip_locked=True)
        )
    if update is None:
        return 0
    petition = db.session.get(Petition, update.petition_id)
    signers = db.session.scalars(
        select(Signature).where(
            Signature.petition_id == update.petition_id, Signature.status == SignatureStatus.CONFIRMED,
            Signature.wants_updates.is_(True), Signature.confirmed_at <= update.created_at,
            Signature.id > update.mailing_after_id,
        ).order_by(Signature.id).limit(limit)
    ).all()
    rendered = {}  # per language: the same few texts for a whole batch of signers
    queued = 0
    for signature in signers:
        opened = None
        if signature.sealed is not None:
            if opener is None:
                continue
            opened = opener.open_row(signature.sealing_key_id, signature.sealed)
        if signature.language not in rendered:
            text = _text_for(update, petition, signature.language)
            rendered[signature.language] = (text, render_markdown(text.body),
                                            petition_text(petition, signature.language)[0].title)
        text, body_html, petition_title = rendered[signature.language]
        messages.queue_update(
            signature, petition_title, text.title, body_html, text.body,
            external_url("signing.petition", lang=signature.language, slug=petition.slug),
            withdraw_url(signature), unsubscribe_url(signature), signature.language, now=now, opened=opened,
        )
        queued += 1
    if signers:
        update.mailing_after_id = signers[-1].id
        update.mailed_count += queued
    if len(signers) < limit:
        update.mailing_done_at = now
    db.session.flush()
    return queued


def queue_all_now(update, opener, now=None):
    """Queue an update to every signer who asked for it, now, with the key unlocked for this mailing.

    A protected organisation's addresses can be read only while someone's
    passphrase unlocks its key, so its mailing cannot wait for the worker:
    the outbox holds the addresses until each message is sent. Returns how many were queued.
    """
    queued = 0
    while update.mailing_done_at is None:
        queued += queue_next_batch(now=now, update=update, opener=opener)
    return queued
