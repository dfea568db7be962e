"""The rules of signing: who may sign, what counts, and what gets emailed."""
import functools
from dataclasses import dataclass
from datetime import timedelta, timezone

from flask import current_app, has_request_context
from flask_limiter.util import get_remote_address
from sqlalchemy import bindparam, exists, func, inspect, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload

from .. import caching, counting, sealing
from ..extensions import db
from ..i18n import current_language
from ..links import external_url
from ..mail import messages, reminders, suppression
from ..models import (
    Petition, PetitionStatus, PetitionTranslation, PetitionUpdate, PetitionVersion, Signature,
    SignatureStatus, utcnow,
)
from ..models.events import EventKind, count_event
from ..models.letter import LetterSignatory, SignatoryKind, SignatoryStatus
from ..address_hashes import email_domain, petition_domain_hash, petition_email_hash
from ..daily_keys import client_hash
from ..database import DirectStatement
from ..ratelimits import client_network
from ..public_names import shown_name
from ..signature_links import confirmation_url, details_digest, withdraw_url
from ..texts import petition_text
from ..tokens import (
    FormStamp, TokenExpired, TokenInvalid, TokenService, confirmation_tokens, signing_keys, unsubscribe_tokens,
    withdrawal_tokens,
)


class PetitionNotSignable(Exception):
    """The petition is closed (or not yet open) and takes no more signatures."""


class TokenSuperseded(TokenInvalid):
    """The signature's details changed after this link was sent; only the newest link confirms."""


class SignatureWithdrawn(TokenInvalid):
    """The link names a signature its owner has since withdrawn. ``petition`` is where they may sign again."""

    def __init__(self, petition):
        super().__init__("signature withdrawn")
        self.petition = petition


class SignatureInvalidated(TokenInvalid):
    """The link names a signature the petition's owners invalidated (organiser/integrity.py): it cannot be confirmed."""


class PressedTooSoon(Exception):
    """A confirm button pressed sooner after its page was served than a person can (or with no genuine stamp)."""


@dataclass(frozen=True)
class SignerDetails:
    full_name: str
    email: str
    country: str
    city: str | None
    show_name: bool
    wants_updates: bool
    public_name: str = "full"


class SignOutcome:
    """What ``sign`` did. The supporter sees the same page for every outcome."""

    NEW = "new"
    RESENT = "resent"
    NOTIFIED = "notified"
    SUPPRESSED = "suppressed"


def sign(petition, details, language, now=None, client=None):
    """Record a signature as pending and queue its confirmation email.

    One address counts once per petition: the (petition, email hash) pair is
    unique in the database, so two concurrent submissions cannot both count.
    A second submission with the same address never reveals, to whoever sent
    it, whether the address had signed: a pending signature gets its
    confirmation again (a bounded number of times), and the owner of a
    confirmed one is told by email that someone tried.

    ``client`` is the fingerprint of the client that sent it (``client_fingerprint``),
    kept with a new signature for the integrity page, or None. A new signature is
    counted in its hour (EventKind.SIGNED_HOUR), in the same transaction.
    """
    if not petition.is_signable:
        raise PetitionNotSignable(petition.slug)
    now = now or utcnow()
    # Before the first write (see sealing.sealer_for); None when the organisation's protection is off.
    sealer = sealing.sealer_for(petition.organisation_id, now)
    key = petition_email_hash(current_app.config["HASH_KEY"], petition.id, details.email)
    signature = Signature(
        petition_id=petition.id, email_hash=key, language=language, created_at=now,
        status=SignatureStatus.PENDING, confirmation_sends=1, confirmation_sent_at=now, client_hash=client,
        email_domain_hash=petition_domain_hash(current_app.config["HASH_KEY"], petition.id, email_domain(details.email)),
    )
    _apply_details(signature, details, sealer)
    # Most addresses are new: insert straight away and let the unique
    # constraint say when one is not. No savepoint: on SQLite the driver
    # would commit at its release, before the confirmation email is queued.
    given = inspect(signature).dict  # only what was set, so any other column keeps its default
    columns = {c.key: given[c.key] for c in Signature.__table__.columns if c.key in given}
    new_id = db.session.scalar(_insert_if_new(db.session.get_bind().dialect.name), columns)
    if new_id is None:
        # This address has signed before, or is signing at this very moment.
        return _sign_again(_find_by_hash(petition.id, key), petition, details, language, now, sealer)
    signature.id = new_id
    make_transient_to_detached(signature)
    db.session.add(signature)
    count_event(db.session, petition.id, EventKind.SIGNED_HOUR, now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H"))
    _queue_confirmation(signature, now, details.email, details.full_name)
    return SignOutcome.NEW


# Twenty bits: enough to tell the few networks a flood comes from apart from the rest of a petition's day,
# too few to name one. While the day's key still exists, a copy of the database narrows a signature's IPv4
# address down to one of about 4,000, not to one; once the key is deleted, to nothing.
FINGERPRINT_HEX_DIGITS = 5


def client_fingerprint(petition_id):
    """A short keyed hash of the requesting client's network for this petition, under the day's key.

    Not the rate limits' hash: that one is the same on every petition, and whole, so kept beside a
    signature it would link one network's signatures across campaigns and could be reversed by trying
    every IPv4 address while the day's key exists. None outside a request.
    """
    if not has_request_context():
        return None
    return client_hash(f"{petition_id}:{client_network(get_remote_address())}")[:FINGERPRINT_HEX_DIGITS]


def receive_signature(petition, form, answer=lambda: True):
    """Take a submitted sign form (the petition page's or a widget's). None: show it again.

    It is shown again with its errors, or, when sent back faster than a
    person reads it (FORM_MIN_SECONDS), with its values kept and
    ``form.press_again`` set: browsers that fill forms in make people that
    quick, and telling them an email is on its way would be untrue.
    A submission caught by the honeypot is dropped without a word: to its
    sender it looks exactly like success.

    Otherwise returns what ``answer()`` made, and makes it before anything
    is written: SQLite lets one request write at a time, from its first
    INSERT until its commit, so a page rendered in between would hold every
    other signer back while it is written.
    """
    form.press_again = False
    if form.caught_by_honeypot():
        return answer()
    if form.sent_too_soon(current_app.config["FORM_MIN_SECONDS"]):
        form.press_again = True
        return None
    if not form.validate():
        return None
    made = answer()
    sign(petition, form.signer_details(), current_language(), client=client_fingerprint(petition.id))
    return made


@functools.cache
def _insert_if_new(dialect):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once: building it cost more than running it."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    table = Signature.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["petition_id", "email_hash"]).returning(table.c.id)


def _find_by_hash(petition_id, key):
    return db.session.scalar(
        select(Signature).where(Signature.petition_id == petition_id, Signature.email_hash == key)
    )


def _apply_details(signature, details, sealer=None):
    """Store what the signer typed; with a sealer, their email, full name and city only sealed."""
    if sealer is None:
        signature.full_name, signature.email, signature.city = details.full_name, details.email, details.city or None
        # Set, not left to the column defaults: reading an unset one after the INSERT would load the row again.
        signature.sealing_key_id = signature.sealed = None
    else:
        signature.sealing_key_id, signature.sealed = sealing.seal(
            sealer, {"email": details.email, "full_name": details.full_name, "city": details.city or None})
        signature.full_name, signature.email, signature.city = "", "", None
    signature.country = details.country
    signature.show_name = details.show_name
    signature.public_name = details.public_name
    signature.shown_name = shown_name(details.full_name, details.show_name, details.public_name)
    signature.wants_updates = details.wants_updates


def _sign_again(signature, petition, details, language, now, sealer):
    # Mail goes to the address just typed: it is the one this row was found by, and a sealed
    # row's own address cannot be read.
    config = current_app.config
    if signature.status == SignatureStatus.INVALIDATED:
        # Set aside by the owners: signing again neither brings it back nor sends a link that would.
        return SignOutcome.SUPPRESSED
    if signature.status == SignatureStatus.CONFIRMED:
        interval = timedelta(seconds=config["ALREADY_SIGNED_NOTICE_INTERVAL"])
        if signature.already_signed_notice_at and now - signature.already_signed_notice_at < interval:
            return SignOutcome.SUPPRESSED
        signature.already_signed_notice_at = now
        petition_url = external_url("signing.petition", lang=signature.language, slug=petition.slug)
        # A sealed row's name cannot be read, and the name just typed is a stranger's to choose.
        name = "" if signature.sealed is not None else signature.full_name
        messages.queue_already_signed(signature, petition_url, withdraw_url(signature), now=now,
                                      address=details.email, name=name)
        return SignOutcome.NOTIFIED
    if signature.confirmation_sends >= config["MAX_CONFIRMATION_SENDS"]:
        return SignOutcome.SUPPRESSED
    # Still pending (or withdrawn and signing anew): the latest details are the
    # ones the address's owner is asked to confirm.
    _apply_details(signature, details, sealer)
    signature.language = language
    signature.status = SignatureStatus.PENDING
    _send_confirmation(signature, now, details.email, details.full_name)
    return SignOutcome.RESENT


def _send_confirmation(signature, now, address, name):
    signature.confirmation_sends += 1
    signature.confirmation_sent_at = now
    db.session.flush()
    _queue_confirmation(signature, now, address, name)


def _queue_confirmation(signature, now, address, name):
    url = confirmation_url(signature)
    messages.queue_confirmation(signature, url, withdraw_url(signature), now=now, address=address, name=name)


# Built once: making the loader option cost a tenth of the look-up.
_WITH_PETITION = (joinedload(Signature.petition),)


def _signature_named_by(payload):
    """The signature a genuine token's payload names, or None if it no longer exists.

    Raises TokenInvalid for a malformed payload, or one whose address hash
    no longer matches (the row was withdrawn, anonymised, or its id reused).
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise TokenInvalid("malformed payload")
    # With its petition in the same query: every caller needs both.
    signature = db.session.get(Signature, payload["s"], options=_WITH_PETITION)
    if signature is not None and signature.status != SignatureStatus.WITHDRAWN \
            and (signature.email_hash or "")[:16] != payload.get("h"):
        raise TokenInvalid("no such signature")
    return signature


def signature_for_withdrawal(token):
    """The signature a withdrawal token names, withdrawn or not, or None if it was erased.

    A withdrawn one still knows its petition, so its page can lead back there.
    Raises TokenInvalid or TokenExpired for a link that is not genuine or too old.
    """
    return _signature_named_by(withdrawal_tokens(current_app).read(token))


def unsubscribe(token):
    """Stop updates to the signature a link names. Returns the signature, or None if it is gone.

    Raises TokenInvalid for a link that is not genuine. Unsubscribing twice is harmless.
    """
    signature = unsubscribe_preview(token)
    if signature is not None:
        signature.wants_updates = False
    return signature


def unsubscribe_preview(token):
    """Check an unsubscribe link without acting on it (raises TokenInvalid if it is not genuine)."""
    try:
        payload = unsubscribe_tokens(current_app).read(token)
    except TokenExpired as exc:
        payload = exc.payload
    return _signature_named_by(payload)


def _read_confirmation(token, allow_expired=False):
    """(signature, payload) for a confirmation token. Raises TokenInvalid or TokenExpired.

    With ``allow_expired`` an expired but genuine token still names its
    signature, which is what "send me a new link" needs.
    """
    try:
        payload = confirmation_tokens(current_app).read(token)
    except TokenExpired as exc:
        if not allow_expired:
            raise
        payload = exc.payload
    signature = _signature_named_by(payload)
    if signature is None:
        raise TokenInvalid("no such signature")
    if signature.status == SignatureStatus.WITHDRAWN:
        # Not the link's fault: its owner took the signature back, and may sign again.
        raise SignatureWithdrawn(signature.petition)
    return signature, payload


_signatures = Signature.__table__
# What details_digest covers: a press confirms only if they are still what it read and checked.
_DETAILS = ("sealed", "full_name", "city", "country", "show_name", "public_name", "wants_updates", "language")
# Only a pending signature is confirmed, so of two clicks at once one changes it; and only with the details
# the press checked its link against, so signing again with other details between the read and the write
# (a new link on its way) leaves it pending. PostgreSQL re-checks this WHERE on a row changed meanwhile.
# Built once (see counting).
_CONFIRM = (
    update(_signatures)
    .where(_signatures.c.id == bindparam("signature_id"), _signatures.c.status == SignatureStatus.PENDING,
           *(_signatures.c[name].is_not_distinct_from(bindparam(f"read_{name}")) for name in _DETAILS))
    .values(status=SignatureStatus.CONFIRMED, confirmed_at=bindparam("now", type_=_signatures.c.confirmed_at.type))
    .returning(_signatures.c.reminder_sent_at)  # as the row was when confirmed, however close a reminder came
)


def signature_to_confirm(token):
    """The signature a confirmation link names, checked exactly as ``confirm`` checks it, and left unchanged.

    What the link's page shows before its button is pressed. An already
    confirmed signature is returned as it is. Raises TokenInvalid or
    TokenExpired for a link that is not genuine or too old, TokenSuperseded
    for one older than the signature's details, PetitionNotSignable once
    the petition is closed.
    """
    signature, payload = _read_confirmation(token)
    if signature.status == SignatureStatus.CONFIRMED:
        return signature
    if signature.status == SignatureStatus.INVALIDATED:
        raise SignatureInvalidated("signature invalidated")
    if payload.get("d") != details_digest(signature):
        raise TokenSuperseded("details changed since this link was sent")
    if not signature.petition.is_signable:
        raise PetitionNotSignable(signature.petition.slug)
    return signature


def confirm_page_stamp():
    """The signed "served at" stamp a confirm page carries, for ``confirm`` to check."""
    return FormStamp(current_app).make()


def _check_press(stamp):
    """Raise PressedTooSoon unless ``stamp`` is genuine and CONFIRM_MIN_SECONDS old (0 turns the check off)."""
    min_seconds = current_app.config["CONFIRM_MIN_SECONDS"]
    if min_seconds <= 0:
        return
    age = FormStamp(current_app).age(stamp)
    if age is None or age < min_seconds:
        raise PressedTooSoon()


def confirm(token, stamp=None, now=None, before_writing=None):
    """Confirm the signature a token names. Returns (signature, newly_confirmed).

    When this press confirmed it, ``signature`` is a ``Confirmed`` record
    (what the press read and wrote: no ORM object is loaded for it); otherwise
    it is the Signature as it stands, already confirmed.

    ``before_writing(petition, count)``, when given, is called just before the
    first write of a press that will confirm, with the petition (a
    ``PetitionFacts``) and its total once it counts: the caller makes its
    answer there, because SQLite lets one request write at a time, from its
    first write until its commit.

    Only a POST may call this: mail scanners fetch every link in a message
    (see views.confirm). Some also submit the forms they find, without the
    headers forgery.py checks; they do it at once, so a press needs the
    page's ``stamp`` (``confirm_page_stamp``), at least CONFIRM_MIN_SECONDS
    old, or it raises PressedTooSoon and changes nothing. Confirming twice
    is harmless: only the first press changes anything. The count moves in
    the same transaction as the signature's status. Raises what
    ``signature_to_confirm`` raises.
    """
    press = _pending_press(token)
    if press is None:
        # Anything but a pending signature's genuine, current link: the full checks raise what they must.
        signature = signature_to_confirm(token)
        if signature.status == SignatureStatus.CONFIRMED:
            return signature, False
        press = _pending_press(token)  # it was pending a moment ago; read it the one way the write needs
        if press is None:
            return signature_to_confirm(token), False
    _check_press(stamp)
    petition = PetitionFacts(press.petition_id, press.slug, press.goal, press.next_goal, press.paper_count)
    # The total once this press counts: for the answer, and for the goals once it does (read with the
    # press; a goal another press raced past unseen is left for the next one, see record_goals_reached).
    count = press.confirmed + press.paper_count + 1
    if before_writing is not None:
        before_writing(petition, count)
    now = now or utcnow()
    # Its link reached the address and its owner pressed: the address works and wants this petition's
    # mail, so a bounce or complaint on the suppression list no longer applies (a sealed one cannot be read).
    lift = suppression.address_hash(press.email) if press.sealed is None and press.email else None
    changed = _confirm_and_lift(press, now, lift)
    if changed is None:
        # A withdrawal, an invalidation, another press or new details got there between the read and the write.
        return signature_to_confirm(token), False
    if changed.reminder_sent_at is not None:
        reminders.confirmed_after_reminder(press.id, petition.id)
    counting.record_goals_reached(petition, count, now=now)
    return Confirmed(press.id, petition, now), True


def _confirm_and_lift(press, now, lift):
    """Confirm the pending signature ``press`` read and take the address hash ``lift`` (if any) off the suppression list.

    Returns the confirmed row's ``reminder_sent_at`` as a row, or None if it was no longer pending with the
    details the press read. On PostgreSQL both are one statement, the DELETE only if the UPDATE confirmed
    (a round trip and a statement's server work fewer per confirmation); SQLite runs in-process, so there
    they are two.
    """
    values = {"signature_id": press.id, "now": now, **{f"read_{name}": getattr(press, name) for name in _DETAILS}}
    if db.session.get_bind().dialect.name == "postgresql":
        return _CONFIRM_AND_LIFT.first(db.session, {**values, "value": lift})
    changed = db.session.execute(_CONFIRM, values).first()
    if changed is not None and lift is not None:
        suppression.lift(lift)
    return changed


@dataclass(frozen=True)
class PetitionFacts:
    """What confirming and its thanks page need of a petition, read with the press (the page loads the rest)."""

    id: int
    slug: str
    goal: int
    next_goal: int
    paper_count: int


@dataclass(frozen=True)
class Confirmed:
    """A signature this press confirmed: its id, its petition's facts and when."""

    id: int
    petition: PetitionFacts
    confirmed_at: object
    status: str = SignatureStatus.CONFIRMED


_confirmed = _CONFIRM.cte("confirmed")
_CONFIRM_AND_LIFT = DirectStatement(select(_confirmed.c.reminder_sent_at).add_cte(
    suppression.LIFT.where(exists(select(literal(1)).select_from(_confirmed))).cte("lifted")))

_petitions = Petition.__table__
# A press of a pending signature's link, the common case, in one statement: what the checks
# need of the signature, what the answer and the goals need of its petition, and the count.
# Loading the Signature and its Petition through the ORM cost twice what the rest of a press did.
_PRESS = DirectStatement(
    select(_signatures.c.id, _signatures.c.petition_id, _signatures.c.email_hash, _signatures.c.status,
           _signatures.c.sealed, _signatures.c.email, _signatures.c.full_name, _signatures.c.city,
           _signatures.c.country, _signatures.c.show_name, _signatures.c.public_name, _signatures.c.wants_updates,
           _signatures.c.language, _petitions.c.status.label("petition_status"), _petitions.c.slug,
           _petitions.c.goal, _petitions.c.next_goal, _petitions.c.paper_count,
           counting.confirmed_count_of(_signatures.c.petition_id).label("confirmed"))
    .join(_petitions, _petitions.c.id == _signatures.c.petition_id)
    .where(_signatures.c.id == bindparam("signature_id"))
)


def _pending_press(token):
    """The press row of a pending signature whose link is genuine and current, on a signable petition; else None.

    Raises TokenInvalid or TokenExpired for a link that is not genuine or too old, as ``signature_to_confirm``.
    """
    payload = confirmation_tokens(current_app).read(token)
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise TokenInvalid("malformed payload")
    press = _PRESS.first(db.session, {"signature_id": payload["s"]})
    if press is None or press.status != SignatureStatus.PENDING or press.petition_status not in PetitionStatus.SIGNABLE \
            or (press.email_hash or "")[:16] != payload.get("h") or payload.get("d") != details_digest(press):
        return None
    return press


def resend_confirmation(token, address=None, now=None):
    """Send a fresh confirmation link for a (possibly expired) token to ``address``. Returns True if queued.

    The address is typed again by whoever asks: it must be the one that
    signed (its hash matches), and a sealed row's own cannot be read. Without
    one, only a row whose address is still readable gets its link.
    """
    signature, _ = _read_confirmation(token, allow_expired=True)
    if signature.status != SignatureStatus.PENDING:
        return False
    if address:
        key = petition_email_hash(current_app.config["HASH_KEY"], signature.petition_id, address)
        if key != signature.email_hash:
            return False
    elif signature.sealed is not None:
        return False
    else:
        address = signature.email
    if signature.confirmation_sends >= current_app.config["MAX_CONFIRMATION_SENDS"]:
        return False
    petition = signature.petition
    if not petition.is_signable:
        return False
    name = "" if signature.sealed is not None else signature.full_name
    _send_confirmation(signature, now or utcnow(), address, name)
    return True


# --- "check your inbox" ------------------------------------------------------------------------------------

# How long the check-inbox page's "send it again" button keeps working.
INBOX_TICKET_MAX_AGE = 24 * 3600


def _inbox_tickets():
    return TokenService(signing_keys(current_app), "check-inbox", INBOX_TICKET_MAX_AGE)


def mask_address(email):
    """An address shown back to its owner so they can spot a typo, not read by whoever looks over a shoulder.

    >>> mask_address("sasha@example.org")
    's•••@example.org'
    """
    local, _, domain = (email or "").rpartition("@")
    return f"{local[:1]}\u2022\u2022\u2022@{domain}" if local else "\u2022\u2022\u2022"


def inbox_ticket(petition, email):
    """A short-lived signed ticket for the check-inbox page: which signature to send again, and its masked address.

    It names the address only by its keyed hash, so neither the page nor the
    ticket holds the address in clear. One is made for every submission
    that looks like success (a dropped one too), so a ticket says nothing
    about whether the address had signed.
    """
    key = petition_email_hash(current_app.config["HASH_KEY"], petition.id, email)
    return _inbox_tickets().make({"p": petition.id, "h": key, "m": mask_address(email)})


def read_inbox_ticket(ticket):
    """(petition id, address hash, masked address) from a ticket. Raises TokenInvalid or TokenExpired."""
    payload = _inbox_tickets().read(ticket)
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int) \
            or not isinstance(payload.get("h"), str) or not isinstance(payload.get("m"), str):
        raise TokenInvalid("malformed payload")
    return payload["p"], payload["h"], payload["m"]


def resend_from_inbox(petition, ticket, address=None, now=None):
    """Send the confirmation again for the check-inbox page's ticket. Returns the masked address.

    Sends only for a pending signature on ``petition`` below the cap on
    confirmation emails; otherwise nothing, and the caller shows the same
    page either way. A sealed signature's address cannot be read, so it is
    sent only to an ``address`` typed again that matches the ticket's hash.
    Raises TokenInvalid or TokenExpired for a bad ticket.
    """
    petition_id, key, masked = read_inbox_ticket(ticket)
    if petition_id != petition.id:
        raise TokenInvalid("ticket for another petition")
    signature = _find_by_hash(petition.id, key)
    if signature is None or signature.status != SignatureStatus.PENDING or not petition.is_signable \
            or signature.confirmation_sends >= current_app.config["MAX_CONFIRMATION_SENDS"]:
        return masked
    if signature.sealed is None:
        _send_confirmation(signature, now or utcnow(), signature.email, signature.full_name)
    elif address and petition_email_hash(current_app.config["HASH_KEY"], petition.id, address) == key:
        _send_confirmation(signature, now or utcnow(), address, "")
    return masked


def address_needed_to_resend(petition):
    """Whether the check-inbox page must ask for the address again: a protected organisation's rows are sealed.

    Whether an organisation is protected is public and changes once, so it is kept like a page: the
    signing request that shows this page has just asked the database the same question.
    """
    return caching.remembered(("protected", petition.organisation_id),
                              lambda: sealing.public_key_of(petition.organisation_id) is not None)


def last_edited_at(petition, language):
    """When the text in ``language`` was last changed after publication, or None if it never was.

    One aggregate query: the petition page asks on every view.
    """
    kept, newest = db.session.execute(
        select(func.count(), func.max(PetitionVersion.created_at))
        .where(PetitionVersion.petition_id == petition.id, PetitionVersion.language == language)
    ).one()
    # Version 1 is the text as published; only a second one means it was edited.
    return newest if kept > 1 else None


def public_updates(petition, language, limit=20):
    """The organisers' updates, newest first, each as (update, its text in ``language`` or the closest)."""
    updates = db.session.scalars(
        select(PetitionUpdate).options(selectinload(PetitionUpdate.translations))
        .where(PetitionUpdate.petition_id == petition.id,
               PetitionUpdate.sent_at.is_not(None))  # drafts are the organisers' own
        .order_by(PetitionUpdate.created_at.desc(), PetitionUpdate.id.desc()).limit(limit)
    ).all()
    return [(u, u.translation(language) or u.translation(petition.primary_language) or u.translations[0])
            for u in updates if u.translations]


# --- the index page -------------------------------------------------------------------------------------

class ListingSort:
    """How the index orders what it lists."""

    SIGNATURES = "signatures"
    NEWEST = "newest"

    ALL = (SIGNATURES, NEWEST)


# The tabs of the index: every public status, open first.
LISTED_STATUSES = (PetitionStatus.OPEN, PetitionStatus.CLOSED, PetitionStatus.DELIVERED)
SEARCH_MAX = 100


@dataclass(frozen=True)
class ListedItem:
    """One petition or letter as the index shows it."""

    petition: Petition
    text: PetitionTranslation
    total: int          # online + paper, as its own page shows it
    next_goal: int
    organisations: int  # for a letter: its approved organisations


def list_public(status, sort, search, page, language, per_page):
    """One page of public petitions and letters in ``status``: ([ListedItem], how many match in all).

    Three queries, however many petitions or signatures there are: the counts
    come from the confirmed tallies and stored paper totals, summed in the same
    query that orders and pages the list, never from the signatures. A
    letter counts (and sorts by) its approved organisations. ``search``
    matches titles and summaries in any language.
    """
    online = counting.confirmed_by_petition()
    organisations = (select(LetterSignatory.petition_id.label("pid"), func.count().label("n"))
                     .where(LetterSignatory.kind == SignatoryKind.ORGANISATION,
                            LetterSignatory.status == SignatoryStatus.APPROVED)
                     .group_by(LetterSignatory.petition_id).subquery())
    online_n = func.coalesce(online.c.n, 0)
    organisations_n = func.coalesce(organisations.c.n, 0)
    conditions = [Petition.status == status]
    search = (search or "").strip()[:SEARCH_MAX]
    if search:
        # lower() folds only ASCII on SQLite; matching the text as typed as well keeps other scripts findable there.
        matching = select(PetitionTranslation.petition_id).where(or_(*(
            column.contains(term, autoescape=True)
            for column in (PetitionTranslation.title, PetitionTranslation.summary,
                           func.lower(PetitionTranslation.title), func.lower(PetitionTranslation.summary))
            for term in {search, search.lower()}
        )))
        conditions.append(Petition.id.in_(matching))
    found = db.session.scalar(select(func.count()).select_from(Petition).where(*conditions))
    if sort == ListingSort.NEWEST:
        order = (func.coalesce(Petition.published_at, Petition.created_at).desc(), Petition.id.desc())
    else:
        order = ((online_n + Petition.paper_count + organisations_n).desc(), Petition.created_at.desc(),
                 Petition.id.desc())
    rows = db.session.execute(
        select(Petition, online_n, organisations_n)
        .outerjoin(online, online.c.pid == Petition.id).outerjoin(organisations, organisations.c.pid == Petition.id)
        .where(*conditions).options(selectinload(Petition.translations))
        .order_by(*order).limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = []
    for petition, confirmed, orgs in rows:
        total = int(confirmed) + petition.paper_count
        items.append(ListedItem(petition, petition_text(petition, language)[0], total,
                                counting.next_goal_for(total, petition.goal), int(orgs)))
    return items, found
