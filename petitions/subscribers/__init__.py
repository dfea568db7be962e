"""Keeping people informed: an organisation's subscribers, from the form to erasure and retention.

A subscription is personal data like a signature, and is kept the same way:

- double opt-in: the form stores a pending row and queues the confirmation
  email ("subscriber_confirm"); only pressing the button on the emailed
  link's page confirms (GET never does, and a press sooner than
  CONFIRM_MIN_SECONDS after the page was served confirms nothing);
- looked up by an HMAC of the address keyed per organisation, chained on the
  site-wide hash as petitions' are (address_hashes.petition_hash_of), so an
  erasure link, which carries only the site-wide hash, finds every
  subscription of an address;
- sealed to the organisation's key while its protection is on: the address
  is then only in ``sealed``, and mailings are queued while an organiser's
  passphrase unlocks the key (``mailings.queue_all_now``);
- unsubscribing blanks the address at once; what is left (the hash, the
  language and the dates) is deleted SUBSCRIBER_RETENTION_DAYS later, and an
  unconfirmed row UNCONFIRMED_RETENTION_DAYS after its last confirmation email.

Nothing here tells a stranger whether an address follows an organisation:
the form answers the same whatever happened, and only the address's owner
learns anything, by email.
"""
import functools
import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import database, sealing
from ..address_hashes import email_hash, lookup_key
from ..extensions import db
from ..links import external_url
from ..mail import messages
from ..models import Organisation, OutboxMessage, Subscriber, SubscriberStatus, utcnow
from ..tokens import FormStamp, TokenExpired, TokenInvalid, TokenService, signing_keys

# The outbox kinds of mail to subscribers. The confirmation is the one they asked for by using the form.
CONFIRM_KIND = "subscriber_confirm"
MAILING_KIND = "subscriber_mailing"
MAIL_KINDS = (CONFIRM_KIND, MAILING_KIND)
SEAL_BATCH = 2000


class PressedTooSoon(Exception):
    """A confirm button pressed sooner after its page was served than a person can (or with no genuine stamp)."""


class SubscriptionGone(TokenInvalid):
    """The link names a subscription that was stopped, erased or purged since."""


class SubscribeOutcome:
    """What ``subscribe`` did. Whoever filled the form in sees the same page for every outcome."""

    NEW = "new"
    RESENT = "resent"
    ALREADY = "already"  # confirmed before: nothing is sent, nothing changes
    SUPPRESSED = "suppressed"  # pending, and its confirmation was sent MAX_CONFIRMATION_SENDS times


# --- hashes and tokens --------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _organisation_key(secret_key, organisation_id):
    return hmac.new(lookup_key(secret_key), f"organisation:{organisation_id}".encode(), hashlib.sha256).digest()


def subscriber_hash_of(secret_key, organisation_id, address_hash):
    """A site-wide ``email_hash`` turned into one organisation's own: what subscriptions are found by."""
    return hmac.new(_organisation_key(secret_key, organisation_id), address_hash.encode(), hashlib.sha256).hexdigest()


def subscriber_hash(organisation_id, address):
    """The organisation's own hash of an address as typed (normalised as address_hashes does)."""
    key = current_app.config["HASH_KEY"]
    return subscriber_hash_of(key, organisation_id, email_hash(key, address))


def _confirmation_tokens():
    return TokenService(signing_keys(current_app), "confirm-subscription", current_app.config["CONFIRM_TOKEN_MAX_AGE"])


def _unsubscribe_tokens():
    return TokenService(signing_keys(current_app), "stop-subscription", current_app.config["UNSUBSCRIBE_TOKEN_MAX_AGE"])


def _payload(subscriber):
    # The row's id and the start of its hash: a row deleted and its id reused is not the one the link named.
    return {"s": subscriber.id, "h": subscriber.email_hash[:16]}


def confirmation_url(subscriber):
    token = _confirmation_tokens().make(_payload(subscriber))
    return external_url("subscribing.confirm", lang=subscriber.language, token=token)


def unsubscribe_url(subscriber):
    """The link that stops a subscription: in every mailing, and its List-Unsubscribe header (RFC 8058)."""
    token = _unsubscribe_tokens().make(_payload(subscriber))
    return external_url("subscribing.unsubscribe", lang=subscriber.language, token=token)


def _named_by(payload):
    """The subscription a genuine token's payload names, or None if it no longer exists. Raises TokenInvalid."""
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int) or not isinstance(payload.get("h"), str):
        raise TokenInvalid("malformed payload")
    if not 0 < payload["s"] <= 2**31 - 1:
        raise TokenInvalid("no such subscription")
    subscriber = db.session.get(Subscriber, payload["s"])
    if subscriber is not None and subscriber.email_hash[:16] != payload["h"]:
        return None
    return subscriber


# --- the form ---------------------------------------------------------------------------------------

def _insert_if_new(dialect):
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = Subscriber.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["organisation_id", "email_hash"]).returning(table.c.id)


def _store_address(values, address, sealer):
    """The address in the row's values: readable, or only sealed when the organisation's protection is on."""
    if sealer is None:
        values.update(email=address, sealing_key_id=None, sealed=None)
    else:
        key_id, box = sealing.seal(sealer, {"email": address})
        values.update(email="", sealing_key_id=key_id, sealed=box)
    return values


def subscribe(organisation, address, language, now=None):
    """Ask to keep ``address`` informed of ``organisation``'s news: a pending row and its confirmation email.

    One address subscribes once per organisation (the database's unique
    constraint decides, so two submissions at once cannot make two rows).
    A pending address gets its confirmation again, a bounded number of
    times; a confirmed one gets nothing (the form's answer is the same, so
    nobody learns it was subscribed); one that unsubscribed starts again.
    Returns a SubscribeOutcome. Flushes.
    """
    now = now or utcnow()
    # Before the first write (see sealing.sealer_for); None when the organisation's protection is off.
    sealer = sealing.sealer_for(organisation.id, now)
    key = subscriber_hash(organisation.id, address)
    values = _store_address(dict(
        organisation_id=organisation.id, email_hash=key, language=language, status=SubscriberStatus.PENDING,
        confirmation_sends=0, created_at=now,
    ), address, sealer)
    new_id = db.session.scalar(_insert_if_new(db.session.get_bind().dialect.name), values)
    subscriber = db.session.get(Subscriber, new_id) if new_id is not None else db.session.scalar(
        select(Subscriber).where(Subscriber.organisation_id == organisation.id, Subscriber.email_hash == key))
    if new_id is None:
        if subscriber is None:  # deleted (erased, purged) between the INSERT and the look-up: let it be
            return SubscribeOutcome.SUPPRESSED
        if subscriber.status == SubscriberStatus.CONFIRMED:
            return SubscribeOutcome.ALREADY
        if subscriber.status == SubscriberStatus.PENDING \
                and subscriber.confirmation_sends >= current_app.config["MAX_CONFIRMATION_SENDS"]:
            return SubscribeOutcome.SUPPRESSED
        if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
            subscriber.confirmation_sends = 0
            subscriber.unsubscribed_at = None
        stored = _store_address({}, address, sealer)
        for name, value in stored.items():
            setattr(subscriber, name, value)
        subscriber.language = language
        subscriber.status = SubscriberStatus.PENDING
    _send_confirmation(subscriber, organisation, address, now)
    return SubscribeOutcome.NEW if new_id is not None else SubscribeOutcome.RESENT


def _send_confirmation(subscriber, organisation, address, now):
    subscriber.confirmation_sends += 1
    subscriber.confirmation_sent_at = now
    db.session.flush()
    messages.queue_subscriber_confirmation(address, subscriber.language, organisation.name,
                                           confirmation_url(subscriber), subscriber.id, now=now)


# --- confirming and stopping ----------------------------------------------------------------------

def subscription_to_confirm(token):
    """The subscription a confirmation link names, unchanged: what its page shows before the button is pressed.

    Raises TokenInvalid or TokenExpired for a link that is not genuine or too
    old, SubscriptionGone for one stopped, erased or purged since.
    """
    subscriber = _named_by(_confirmation_tokens().read(token))
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        raise SubscriptionGone("subscription gone")
    return subscriber


def confirm_page_stamp():
    """The signed "served at" stamp a confirm page carries, for ``confirm`` to check."""
    return FormStamp(current_app).make()


def _check_press(stamp):
    min_seconds = current_app.config["CONFIRM_MIN_SECONDS"]
    if min_seconds <= 0:
        return
    age = FormStamp(current_app).age(stamp)
    if age is None or age < min_seconds:
        raise PressedTooSoon()


_SUBSCRIBERS = Subscriber.__table__


def confirm(token, stamp=None, now=None):
    """Confirm the subscription a link names (a POST only: see the views). Returns (subscriber, newly confirmed).

    Needs the page's ``stamp``, at least CONFIRM_MIN_SECONDS old, or raises
    PressedTooSoon and changes nothing: mail scanners submit the forms they
    find, at once. Pressing twice is harmless. Raises what
    ``subscription_to_confirm`` raises.
    """
    subscriber = subscription_to_confirm(token)
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return subscriber, False
    _check_press(stamp)
    changed = db.session.execute(
        update(_SUBSCRIBERS).where(_SUBSCRIBERS.c.id == subscriber.id, _SUBSCRIBERS.c.status == SubscriberStatus.PENDING)
        .values(status=SubscriberStatus.CONFIRMED, confirmed_at=now or utcnow())
    ).rowcount
    db.session.refresh(subscriber)
    return subscriber, bool(changed)


def subscription_for_unsubscribe(token):
    """The subscription an unsubscribe link names, or None once it is gone. Raises TokenInvalid.

    The link works for as long as mail may carry it: an expired token still names its row.
    """
    try:
        payload = _unsubscribe_tokens().read(token)
    except TokenExpired as expired:
        payload = expired.payload
    return _named_by(payload)


def unsubscribe(token, now=None):
    """Stop the subscription a link names. Returns True if it was running. Raises TokenInvalid. Flushes."""
    subscriber = subscription_for_unsubscribe(token)
    if subscriber is None or subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return False
    stop([subscriber.id], now)
    return True


def stop(subscriber_ids, now=None):
    """Unsubscribe rows: their addresses go at once, with mail still queued to them. Flushes."""
    if not subscriber_ids:
        return
    db.session.execute(
        update(Subscriber).where(Subscriber.id.in_(subscriber_ids))
        .values(status=SubscriberStatus.UNSUBSCRIBED, unsubscribed_at=now or utcnow(), email="", sealed=None,
                sealing_key_id=None)
        .execution_options(synchronize_session=False)
    )
    forget_unsent(subscriber_ids)
    db.session.expire_all()
    database.scrub_after_commit(db.session)


def forget_unsent(subscriber_ids):
    """Delete unsent mail to these subscriptions (its context names the row; outbox rows have no column for it)."""
    if subscriber_ids:
        db.session.execute(delete(OutboxMessage).where(
            OutboxMessage.kind.in_(MAIL_KINDS), OutboxMessage.sent_at.is_(None),
            OutboxMessage.context["subscriber_id"].as_integer().in_(list(subscriber_ids)),
        ).execution_options(synchronize_session=False))


# --- what organisers see ------------------------------------------------------------------------

def confirmed_count(organisation_id):
    """How many confirmed subscribers an organisation has.

    A count over the (organisation_id, status, id) index of a table with one
    row per subscriber: an organisation has thousands, tens of thousands at
    most, never a petition's million, so counting is flat enough for a page.
    """
    return confirmed_counts([organisation_id]).get(organisation_id, 0)


def confirmed_counts(organisation_ids):
    """{organisation id: confirmed subscribers} for several organisations in one query."""
    if not organisation_ids:
        return {}
    rows = db.session.execute(
        select(Subscriber.organisation_id, func.count()).where(
            Subscriber.organisation_id.in_(list(organisation_ids)), Subscriber.status == SubscriberStatus.CONFIRMED)
        .group_by(Subscriber.organisation_id)
    ).all()
    return {organisation_id: count for organisation_id, count in rows}


def recipients_by_language(organisation_id):
    """{language: confirmed subscribers} (who a mailing sent now would reach), largest first."""
    rows = db.session.execute(
        select(Subscriber.language, func.count()).where(
            Subscriber.organisation_id == organisation_id, Subscriber.status == SubscriberStatus.CONFIRMED)
        .group_by(Subscriber.language)
    ).all()
    return dict(sorted(((language, count) for language, count in rows), key=lambda item: (-item[1], item[0])))


def stopped_count(organisation_id):
    """Subscriptions stopped and not yet purged (within SUBSCRIBER_RETENTION_DAYS)."""
    return db.session.scalar(select(func.count()).select_from(Subscriber).where(
        Subscriber.organisation_id == organisation_id, Subscriber.status == SubscriberStatus.UNSUBSCRIBED))


# --- erasure and retention ----------------------------------------------------------------------------

def _hashes_of(address_hash):
    """A condition matching an address's subscriptions in every organisation, by its site-wide hash, or None.

    One (organisation, hash) pair per organisation (they are few), so each is a look-up in the unique
    (organisation_id, email_hash) index, not a scan of every organisation's subscribers.
    """
    key = current_app.config["HASH_KEY"]
    pairs = [and_(Subscriber.organisation_id == organisation_id,
                  Subscriber.email_hash == subscriber_hash_of(key, organisation_id, address_hash))
             for organisation_id in db.session.scalars(select(Organisation.id))]
    return or_(*pairs) if pairs else None


def count_for_address(address_hash):
    """How many subscriptions, stopped ones included, an address has (by its site-wide hash)."""
    matching = _hashes_of(address_hash)
    if matching is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(Subscriber).where(matching))


def erase_for_address(address_hash):
    """Delete every subscription of an address, and mail still queued to it. Returns how many. Flushes."""
    matching = _hashes_of(address_hash)
    ids = list(db.session.scalars(select(Subscriber.id).where(matching))) if matching is not None else []
    if not ids:
        return 0
    forget_unsent(ids)
    erased = db.session.execute(delete(Subscriber).where(Subscriber.id.in_(ids))
                                .execution_options(synchronize_session=False)).rowcount
    db.session.expire_all()
    database.scrub_after_commit(db.session)
    return erased


def purge(now, unconfirmed_days, unsubscribed_days):
    """Delete subscriptions never confirmed within ``unconfirmed_days`` of their last confirmation email,
    and what is left of stopped ones ``unsubscribed_days`` after they stopped. Returns counts. Flushes."""
    last_asked = func.coalesce(Subscriber.confirmation_sent_at, Subscriber.created_at)
    stale = or_(
        (Subscriber.status == SubscriberStatus.PENDING) & (last_asked < now - timedelta(days=unconfirmed_days)),
        (Subscriber.status == SubscriberStatus.UNSUBSCRIBED)
        & (Subscriber.unsubscribed_at < now - timedelta(days=unsubscribed_days)),
    )
    done = {SubscriberStatus.PENDING: 0, SubscriberStatus.UNSUBSCRIBED: 0}
    rows = db.session.execute(select(Subscriber.id, Subscriber.status).where(stale)).all()
    for start in range(0, len(rows), SEAL_BATCH):
        chunk = rows[start:start + SEAL_BATCH]
        ids = [row.id for row in chunk]
        forget_unsent(ids)
        db.session.execute(delete(Subscriber).where(Subscriber.id.in_(ids)).execution_options(synchronize_session=False))
        for row in chunk:
            done[row.status] += 1
    return {"unconfirmed_subscribers_deleted": done[SubscriberStatus.PENDING],
            "unsubscribed_subscribers_deleted": done[SubscriberStatus.UNSUBSCRIBED]}


# --- protection -------------------------------------------------------------------------------------------

def _plain(organisation_id):
    return (Subscriber.organisation_id == organisation_id) & (Subscriber.email != "")


def plain_count(organisation_id):
    """Subscriptions of the organisation whose address is stored readable."""
    return db.session.scalar(select(func.count()).select_from(Subscriber).where(_plain(organisation_id)))


def sealed_count(organisation_id):
    return db.session.scalar(select(func.count()).select_from(Subscriber).where(
        Subscriber.organisation_id == organisation_id, Subscriber.sealed.is_not(None)))


def seal_plain(organisation_id, sealer):
    """Seal every readable address of the organisation's subscriptions (protection turned on). Returns how many."""
    sealed, last = 0, 0
    while True:
        rows = db.session.execute(
            select(Subscriber.id, Subscriber.email).where(_plain(organisation_id), Subscriber.id > last)
            .order_by(Subscriber.id).limit(SEAL_BATCH)
        ).all()
        if not rows:
            return sealed
        changes = []
        for row in rows:
            key_id, box = sealing.seal(sealer, {"email": row.email})
            changes.append({"id": row.id, "sealing_key_id": key_id, "sealed": box, "email": ""})
        db.session.execute(update(Subscriber), changes)
        sealed += len(rows)
        last = rows[-1].id
