"""Integrity tools for a flood of fake signatures: what arrived when and from where, and setting a flood aside.

A government that wants to discredit a petition can flood it with fake
signatures. The integrity page shows new signatures per hour with the hours
well above the petition's usual rate flagged, the day's busiest client
fingerprints and email domains, and lets an owner invalidate a set of
signatures by fingerprint and time window, or by domain, after a preview.

Everything here reads the readable columns and keyed hashes only, so it works
the same with signer data sealed:

- ``Signature.client_hash``: the day's keyed hash of the client's network, as
  the rate limits count it; the key is deleted after its day, and the hash is
  blanked FINGERPRINT_RETENTION_DAYS after signing (retention.purge).
- ``Signature.email_domain_hash``: the address's domain under a key of the
  petition's own (address_hashes.petition_domain_hash). The page names only
  the large mail providers (LARGE_PROVIDERS, hashed for the petition to be
  recognised); any other domain is only counted, so the screen never shows
  a signer's employer. An owner who suspects one types it, and it is hashed.

"Well above" an hour's usual rate: at least FLOOD_HOUR_MINIMUM new signatures
and more than FLOOD_HOUR_FACTOR times the median of the non-empty hours of the
seven days before it (a petition with no such hours is compared with 1). The
median, not the mean, so one earlier burst does not hide the next.

An invalidated signature stops counting (the tally triggers move the count in
the same statement), leaves the exports and every mailing (they
select confirmed signatures), and its unsent mail is deleted. It keeps the
status it had (``invalidated_from``) and its invalidation, so undoing restores
each one and the count exactly. Both are written to the audit log.

Reads stay flat: the hours come from the event counts, a day's fingerprints and
domains each from one range of an index in the order they are grouped in
((petition, created_day, client_hash) and (petition, created_day,
email_domain_hash)), so nothing is sorted and no row is read.
"""
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete, func, select, update

from .. import counting
from ..accounts.services import actor_label, audit
from ..address_hashes import petition_domain_hash
from ..extensions import db
from ..models import Account, Invalidation, InvalidationKind, OutboxMessage, Signature, SignatureStatus, tally, utcnow
from ..models.events import EventKind, event_totals
from . import stats

# Shown by name: the mail providers so large that their name says nothing about who signed.
LARGE_PROVIDERS = (
    "gmail.com", "googlemail.com", "yahoo.com", "ymail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net", "web.de", "t-online.de", "proton.me", "protonmail.com",
    "pm.me", "tutanota.com", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "yandex.ru", "yandex.by", "yandex.com",
    "ya.ru", "rambler.ru", "tut.by", "ukr.net", "i.ua", "wp.pl", "onet.pl", "o2.pl", "interia.pl", "orange.fr",
    "free.fr", "laposte.net", "qq.com", "163.com",
)

HOURS_SHOWN = 48
# A fingerprint stands for one network on one day: a longer window than this is a mistake.
FINGERPRINT_WINDOW_DAYS = 31
BASELINE_HOURS = 7 * 24
BUSIEST_SHOWN = 10
# Fingerprints are FINGERPRINT_HEX_DIGITS long since session 7; whole hashes before that.
FINGERPRINT_RE = re.compile(r"[0-9a-f]{5,64}\Z")
# A window outside these years is a typing mistake, not a flood.
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


def hour_key(moment):
    """The event-count key of the UTC hour ``moment`` falls in: YYYY-MM-DDTHH."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


# --- what arrived when ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hour:
    start: datetime        # the hour's first moment, UTC
    count: int             # new signatures in it
    usual: float | None    # the median of the non-empty hours of the 7 days before, None without any
    flagged: bool          # well above usual (see the module's docstring)


def hours(petition_id, now, factor, minimum):
    """The last HOURS_SHOWN hours (the current one included), newest first, each with its count and flag.

    One read of the event counts: at most HOURS_SHOWN + BASELINE_HOURS keys.
    """
    current = now.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=HOURS_SHOWN - 1)
    since = first - timedelta(hours=BASELINE_HOURS)
    totals = event_totals(db.session, petition_id, EventKind.SIGNED_HOUR, since_key=hour_key(since))
    counts = [totals.get(hour_key(since + timedelta(hours=i)), 0) for i in range(BASELINE_HOURS + HOURS_SHOWN)]
    shown = []
    for i in range(HOURS_SHOWN):
        before = [n for n in counts[i:i + BASELINE_HOURS] if n]
        usual = statistics.median(before) if before else None
        count = counts[BASELINE_HOURS + i]
        shown.append(Hour(first + timedelta(hours=i), count, usual,
                          count >= minimum and count > factor * (usual or 1)))
    return shown[::-1]


# --- the busiest of a day ---------------------------------------------------------------------------------

def days_with_fingerprints(today, retention_days):
    """The days whose fingerprints are still kept, newest first (today at least)."""
    return [today - timedelta(days=i) for i in range(max(1, retention_days))]


def _of_day(petition_id, day):
    return [Signature.petition_id == petition_id, Signature.created_day == day]


def busiest_fingerprints(petition_id, day, limit=BUSIEST_SHOWN):
    """[(fingerprint, new signatures)] of the day's busiest clients, busiest first."""
    return [(fingerprint, n) for fingerprint, n in db.session.execute(busiest_query(petition_id, day, limit)).all()]


def busiest_query(petition_id, day, limit=BUSIEST_SHOWN):
    return (select(Signature.client_hash, func.count().label("n"))
            .where(*_of_day(petition_id, day), Signature.client_hash.is_not(None))
            .group_by(Signature.client_hash).order_by(func.count().desc(), Signature.client_hash).limit(limit))


@dataclass(frozen=True)
class DayDomains:
    named: list             # [(large provider, new signatures)], largest first
    other_signatures: int   # new signatures from every other domain
    other_domains: int      # how many other domains those are
    largest_other: int      # new signatures from the largest of them (0 if none)


def provider_hashes(petition_id):
    """{domain hash: provider} of LARGE_PROVIDERS, under the petition's key."""
    key = current_app.config["HASH_KEY"]
    return {petition_domain_hash(key, petition_id, domain): domain for domain in LARGE_PROVIDERS}


def day_domains(petition_id, day):
    """The day's new signatures by email domain: large providers by name, the others only counted."""
    providers = provider_hashes(petition_id)
    named = db.session.execute(
        select(Signature.email_domain_hash, func.count())
        .where(*_of_day(petition_id, day), Signature.email_domain_hash.in_(list(providers)))
        .group_by(Signature.email_domain_hash)
    ).all()
    # Every domain's count in one pass over the index range, with how many domains and signatures
    # there are in all; of the largest, at most len(providers) are providers, so the next is the
    # largest other domain.
    grouped = (
        select(Signature.email_domain_hash.label("domain"), func.count().label("n"))
        .where(*_of_day(petition_id, day), Signature.email_domain_hash.is_not(None))
        .group_by(Signature.email_domain_hash).subquery()
    )
    largest = db.session.execute(
        select(grouped.c.domain, grouped.c.n, func.count().over(), func.sum(grouped.c.n).over())
        .order_by(grouped.c.n.desc()).limit(len(providers) + 1)
    ).all()
    domains, signatures = (int(largest[0][2]), int(largest[0][3])) if largest else (0, 0)
    named = sorted(((providers[h], n) for h, n in named), key=lambda item: (-item[1], item[0]))
    return DayDomains(named, signatures - sum(n for _, n in named), domains - len(named),
                      next((n for domain, n, _, _ in largest if domain not in providers), 0))


# --- which signatures a filter takes -----------------------------------------------------------------------

class FilterRefused(ValueError):
    """An invalidation filter that cannot be used; nothing was changed. ``code`` says why, ``field`` where."""

    def __init__(self, code, field=None):
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class SignatureFilter:
    kind: str
    client_hash: str | None = None
    domain_hash: str | None = None
    domain: str | None = None          # as typed (normalised), to show back to the owner who typed it
    start: datetime | None = None
    end: datetime | None = None

    def conditions(self, petition_id):
        """The WHERE terms, worded so that each kind has one index that answers all but the moments.

        A fingerprint by (petition, created_day, client_hash), its window's days
        as a list: a range on the day would leave SQLite a choice between indexes
        that start alike. A domain by (petition, email_domain_hash).
        """
        found = [Signature.petition_id == petition_id]
        if self.kind == InvalidationKind.FINGERPRINT:
            days = (self.end - timedelta(microseconds=1)).date() - self.start.date()
            found += [Signature.created_day.in_([self.start.date() + timedelta(days=i) for i in range(days.days + 1)]),
                      Signature.client_hash == self.client_hash]
        else:
            found.append(Signature.email_domain_hash == self.domain_hash)
        if self.start is not None:
            found.append(Signature.created_at >= self.start)
        if self.end is not None:
            found.append(Signature.created_at < self.end)
        return found

    def matching(self, petition_id):
        """The ids the filter matches, as a subquery: found through the filter's own index, never through
        (petition, status), which a condition or a grouping on the status would make SQLite prefer."""
        return select(Signature.id).where(*self.conditions(petition_id))


def parse_moment(text, field):
    """A moment typed as YYYY-MM-DDTHH:MM (what a datetime-local field sends) or YYYY-MM-DD HH:MM, taken as UTC.

    None if empty; FilterRefused("window", field) if it is not one.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text[:40])
        # An offset at the very ends of the calendar (0001-01-01T00:00+01:00) overflows on the way to UTC.
        moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise FilterRefused("window", field) from None
    if not EARLIEST <= moment < LATEST:
        raise FilterRefused("window", field)
    return moment


def _window(start_text, end_text, required):
    start, end = parse_moment(start_text, "start"), parse_moment(end_text, "end")
    if required and start is None:
        raise FilterRefused("window_missing", "start")
    if required and end is None:
        raise FilterRefused("window_missing", "end")
    if start is not None and end is not None and end <= start:
        raise FilterRefused("window_order", "end")
    return start, end


def normalise_domain(text):
    """A typed domain ("@Example.org", "example.org.") as signatures' domains are hashed, or None if it is not one."""
    domain = unicodedata.normalize("NFC", text or "").strip().casefold().removeprefix("@").rstrip(".")
    labels = domain.split(".")
    if not 3 <= len(domain) <= 253 or len(labels) < 2 or not all(labels) \
            or any(ch.isspace() or ch in "@/\\:;,<>()[]\"'" or unicodedata.category(ch)[0] == "C" for ch in domain):
        return None
    return domain


def fingerprint_filter(fingerprint, start_text, end_text):
    """The filter "this fingerprint, in this window" (both ends required). Raises FilterRefused."""
    fingerprint = (fingerprint or "").strip().lower()
    if not FINGERPRINT_RE.match(fingerprint):
        raise FilterRefused("fingerprint", "fingerprint")
    start, end = _window(start_text, end_text, required=True)
    if end - start > timedelta(days=FINGERPRINT_WINDOW_DAYS):
        raise FilterRefused("window_long", "end")
    return SignatureFilter(InvalidationKind.FINGERPRINT, client_hash=fingerprint, start=start, end=end)


def domain_filter(petition_id, domain, start_text="", end_text=""):
    """The filter "addresses at this domain", in a window if one is given. Raises FilterRefused."""
    domain = normalise_domain(domain)
    if domain is None:
        raise FilterRefused("domain", "domain")
    start, end = _window(start_text, end_text, required=False)
    return SignatureFilter(InvalidationKind.DOMAIN, domain=domain, start=start, end=end,
                           domain_hash=petition_domain_hash(current_app.config["HASH_KEY"], petition_id, domain))


def preview(petition, signature_filter):
    """{status: how many signatures} the filter matches now. Only pending and confirmed ones would be taken."""
    return {status: n for status, n in db.session.execute(preview_query(petition.id, signature_filter)).all()}


def preview_query(petition_id, signature_filter):
    return (select(Signature.status, func.count()).where(Signature.id.in_(signature_filter.matching(petition_id)))
            .group_by(Signature.status))


def would_take(found):
    """How many of a preview's signatures an invalidation would take."""
    return sum(found.get(status, 0) for status in SignatureStatus.INVALIDATABLE)


# --- invalidating, and undoing it ---------------------------------------------------------------------------

def _account_id(actor):
    return actor.id if isinstance(actor, Account) else None


def _window_detail(record):
    return {key: moment.strftime("%Y-%m-%d %H:%M UTC") for key, moment in
            (("from", record.window_start), ("to", record.window_end)) if moment is not None}


def filter_label(record):
    """What an invalidation matched, as its record may show it: a short fingerprint, a provider, or neither."""
    if record.kind == InvalidationKind.FINGERPRINT:
        return (record.client_hash or "")[:12]
    return record.domain_label or ""


def invalidate(petition, signature_filter, actor, now=None):
    """Set aside the pending and confirmed signatures the filter matches. Returns the Invalidation.

    They stop counting in this transaction (the tally triggers move the
    count with their status), their unsent mail is deleted, and the audit log records
    who did it. Raises FilterRefused("nothing") if the filter matches none,
    after changing nothing the caller's rollback would not undo.
    """
    now = now or utcnow()
    if not would_take(preview(petition, signature_filter)):
        raise FilterRefused("nothing")
    providers = provider_hashes(petition.id)
    record = Invalidation(
        petition_id=petition.id, kind=signature_filter.kind, client_hash=signature_filter.client_hash,
        email_domain_hash=signature_filter.domain_hash,
        # Only a large provider is named in the record; another domain could say who signed.
        domain_label=providers.get(signature_filter.domain_hash) if signature_filter.domain_hash else None,
        window_start=signature_filter.start, window_end=signature_filter.end,
        matched_pending=0, matched_confirmed=0, created_by_id=_account_id(actor),
        created_by=actor_label(actor)[:400], created_at=now,
    )
    db.session.add(record)
    db.session.flush()
    # One conditional UPDATE for both statuses, each row keeping the one it had: a confirmation landing
    # meanwhile was either taken as confirmed or stays confirmed and counted, never both and never
    # neither. (Two UPDATEs could deadlock with a confirmation: the first one's tally rows held while
    # the second waits for the signature that confirmation holds while it waits for those rows.)
    matching = signature_filter.matching(petition.id)
    taken = Counter(db.session.scalars(
        update(Signature).where(Signature.id.in_(matching), Signature.status.in_(SignatureStatus.INVALIDATABLE))
        .values(status=SignatureStatus.INVALIDATED, invalidation_id=record.id, invalidated_from=Signature.status)
        .returning(Signature.invalidated_from)
        .execution_options(synchronize_session=False)
    ).all())
    if not sum(taken.values()):
        raise FilterRefused("nothing")
    record.matched_confirmed, record.matched_pending = taken[SignatureStatus.CONFIRMED], taken[SignatureStatus.PENDING]
    # No confirmation, reminder, notice or update still queued for them goes out.
    db.session.execute(delete(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.signature_id.in_(select(Signature.id).where(Signature.invalidation_id == record.id))))
    audit(petition.organisation_id, actor, "signatures.invalidate", petition=petition, now=now, detail={
        "slug": petition.slug, "invalidation": record.id, "by": record.kind, "match": filter_label(record),
        "confirmed": record.matched_confirmed, "pending": record.matched_pending, **_window_detail(record)})
    return record


class AlreadyUndone(Exception):
    """The invalidation was undone before; nothing was changed."""


def undo(petition, record, actor, now=None):
    """Give every signature the invalidation still holds its status back, and the count its confirmed ones.

    Returns {status: how many restored}. A signature withdrawn or erased since
    stays so. Marked undone first, by a conditional UPDATE, so two owners
    pressing at once restore once. Raises AlreadyUndone.
    """
    now = now or utcnow()
    marked = db.session.execute(
        update(Invalidation).where(Invalidation.id == record.id, Invalidation.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=_account_id(actor), undone_by=actor_label(actor)[:400])
        .execution_options(synchronize_session=False)
    ).rowcount
    if not marked:
        raise AlreadyUndone()
    restored = {}
    for status in SignatureStatus.INVALIDATABLE:
        restored[status] = db.session.execute(
            update(Signature).where(Signature.invalidation_id == record.id,
                                    Signature.status == SignatureStatus.INVALIDATED,
                                    Signature.invalidated_from == status)
            .values(status=status, invalidation_id=None, invalidated_from=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    db.session.execute(
        update(Invalidation).where(Invalidation.id == record.id)
        .values(restored_pending=restored[SignatureStatus.PENDING],
                restored_confirmed=restored[SignatureStatus.CONFIRMED])
        .execution_options(synchronize_session=False))
    db.session.refresh(record)
    if restored[SignatureStatus.CONFIRMED]:
        counting.record_goals_reached(petition, counting.total_count(petition), now=now)
    audit(petition.organisation_id, actor, "signatures.restore", petition=petition, now=now, detail={
        "slug": petition.slug, "invalidation": record.id, "confirmed": restored[SignatureStatus.CONFIRMED],
        "pending": restored[SignatureStatus.PENDING]})
    return restored


def invalidations(petition_id, limit=50):
    """The petition's invalidations, newest first."""
    return db.session.scalars(
        select(Invalidation).where(Invalidation.petition_id == petition_id)
        .order_by(Invalidation.created_at.desc(), Invalidation.id.desc()).limit(limit)
    ).all()


def invalidation_of(petition, invalidation_id):
    """The petition's invalidation with this id, or None."""
    record = db.session.get(Invalidation, invalidation_id)
    return record if record is not None and record.petition_id == petition.id else None


# --- the dashboard's panel ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    flagged_hours: int     # of the last HOURS_SHOWN
    last_day: int          # new signatures in the last 24 hours
    invalidated: int       # signatures invalidated now


def summary(petition, now):
    """The dashboard's integrity panel: two small reads (event counts, status tallies), whatever the petition's size."""
    config = current_app.config
    shown = hours(petition.id, now, config["FLOOD_HOUR_FACTOR"], config["FLOOD_HOUR_MINIMUM"])
    return Summary(
        flagged_hours=sum(hour.flagged for hour in shown),
        last_day=sum(hour.count for hour in shown[:24]),
        invalidated=stats.counts(petition.id, tally.STATUS).get(SignatureStatus.INVALIDATED, 0),
    )


def today_of(now):
    return now.astimezone(timezone.utc).date()


def parse_day(text, allowed):
    """The day a ``?day=YYYY-MM-DD`` names if it is one of ``allowed``, else None."""
    try:
        day = date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None
    return day if day in allowed else None
