"""The rules of open letters: who signs on, what the organiser is warned about, what is listed.

Nothing is listed before an organiser approves it. Names are kept exactly as
entered; a "name key" (case, spacing and quotes folded away) spots the same
organisation entered twice.
"""
import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update

from .. import sealing
from ..extensions import db
from ..i18n import country_name, sort_key
from ..links import external_url
from ..mail import messages
from ..models import LetterSignatory, Petition, PetitionKind, PetitionStatus, SignatoryKind, SignatoryStatus, utcnow
from ..models.petition import SLUG_RE
from ..address_hashes import petition_email_hash
from ..texts import petition_text
from ..tokens import TokenInvalid, cosign_tokens, cosign_withdrawal_tokens

# Addresses anyone can open in a minute: a sign-on from one deserves a second look.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.de", "yahoo.co.uk", "outlook.com", "hotmail.com",
    "live.com", "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "pm.me",
    "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "mail.ru", "bk.ru", "inbox.ru", "list.ru",
    "yandex.ru", "yandex.com", "ya.ru", "rambler.ru", "tut.by", "ukr.net", "i.ua", "zoho.com", "tutanota.com",
    "tuta.io", "mailbox.org", "posteo.de", "riseup.net", "disroot.org", "onet.pl", "wp.pl", "o2.pl", "seznam.cz",
})
QUOTES = "\"'`«»‘’‚‛“”„‟‹›「」『』"
# MAX_CONFIRMATION_SENDS counts the emails to one sign-on within this rolling window (see sign_on).
CONFIRMATION_SENDS_WINDOW = timedelta(days=1)


class LetterError(ValueError):
    """A request about a letter is refused; ``code`` names the rule."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class DetailsChanged(TokenInvalid):
    """The sign-on's details changed after this link was sent; only the newest link confirms."""


def name_key(name):
    """The form of a name used to spot duplicates: no case, no quotes, single spaces."""
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(" " if ch in QUOTES else ch for ch in text)
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def find_public_letter(slug):
    if not SLUG_RE.match(slug or ""):
        return None
    return db.session.scalar(select(Petition).where(
        Petition.slug == slug, Petition.kind == PetitionKind.LETTER, Petition.status.in_(PetitionStatus.PUBLIC)))


@dataclass(frozen=True)
class SignOn:
    kind: str
    name: str
    countries: tuple   # ISO codes in order; empty for an international organisation
    email: str
    title: str = ""
    website: str = ""
    contact_name: str = ""
    contact_role: str = ""


def sign_on(letter, details, language, now=None):
    """Store a sign-on awaiting its email confirmation, and send that email.

    A new sign-on from the same address to the same letter that is still
    unconfirmed, or that the organiser sent back for changes, replaces it.
    Anyone who knows an address can do that, so each email's link confirms
    only the details it showed (``details_digest``), and one sign-on gets at
    most MAX_CONFIRMATION_SENDS emails within a rolling day: after that a
    resubmission changes nothing and sends nothing until a day has passed
    since the last email. The cap stops mail bombing; the rolling day keeps
    an impostor who used up the sends from holding the address for good: the
    real person can sign on with their own details the next day. Returns the
    sign-on.
    """
    if not letter.is_signable:
        raise LetterError("closed")
    now = now or utcnow()
    sealer = sealing.sealer_for(letter.organisation_id, now)  # before the first write
    address_hash = petition_email_hash(current_app.config["HASH_KEY"], letter.id, details.email)
    row = db.session.scalar(select(LetterSignatory).where(
        LetterSignatory.petition_id == letter.id, LetterSignatory.email_hash == address_hash,
        LetterSignatory.status.in_((SignatoryStatus.UNCONFIRMED, SignatoryStatus.CHANGES)),
    ))
    if row is None:
        row = LetterSignatory(petition_id=letter.id, email_hash=address_hash, source="form", created_at=now,
                              confirmation_sends=0)
        db.session.add(row)
    elif row.status == SignatoryStatus.CHANGES:
        row.confirmation_sends = 0  # the organiser asked for this round: it gets its own emails
    elif row.confirmation_sent_at is None or row.confirmation_sent_at <= now - CONFIRMATION_SENDS_WINDOW:
        row.confirmation_sends = 0  # a day since the last email: a new day's allowance
    elif row.confirmation_sends >= current_app.config["MAX_CONFIRMATION_SENDS"]:
        return row
    row.kind, row.name, row.name_key = details.kind, details.name, name_key(details.name)
    row.country, row.countries = (details.countries or (None,))[0], ",".join(details.countries)
    row.title, row.website = details.title, details.website
    contact = {"contact_name": details.contact_name, "contact_role": details.contact_role, "email": details.email}
    seal_contact(row, contact, sealer)
    row.language, row.status, row.confirmed_at = language, SignatoryStatus.UNCONFIRMED, None
    row.confirmation_sends += 1
    row.confirmation_sent_at = now
    db.session.flush()
    token = cosign_tokens(current_app).make({**_token_payload(row), "d": details_digest(row)})
    messages.queue_cosign_confirmation(row, external_url("letters.confirm", lang=language, token=token),
                                       withdraw_url(row), now=now, opened=contact)
    return row


# What a confirmation email shows, so what its link may confirm. A sealed sign-on's contact name and
# role are blank in the row; it is sealed afresh (a new random nonce) whenever its details change, so
# its ciphertext stands for them. ``confirm`` compares every one of these fields, ``sealed`` included.
_DIGESTED = ("kind", "name", "countries", "title", "website", "contact_name", "contact_role", "language", "sealed")


def details_digest(row):
    """A short digest of the details a confirmation email asks about (see ``sign_on``)."""
    values = [getattr(row, field) for field in _DIGESTED[:-1]]
    if row.sealed is not None:
        # A plain row's digest leaves ``sealed`` out, as links sent before sealing existed did.
        values.append(hashlib.sha256(row.sealed).hexdigest())
    return hashlib.sha256(repr(tuple(values)).encode()).hexdigest()[:12]


def _token_payload(row):
    # The hash prefix ties a link to the address, so it never acts on a later
    # sign-on that reused a deleted one's id, nor on one scrubbed by purge.
    return {"c": row.id, "h": row.email_hash[:16]}


def withdraw_url(row):
    """The link every email to a co-signer carries, to take the sign-on back (None without an address)."""
    if not row.email_hash:
        return None
    token = cosign_withdrawal_tokens(current_app).make(_token_payload(row))
    return external_url("letters.withdraw", lang=row.language, token=token)


def _sign_on_named_by(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), int):
        raise TokenInvalid("malformed payload")
    row = db.session.get(LetterSignatory, payload["c"])
    if row is None or not row.email_hash or row.email_hash[:16] != payload.get("h"):
        return None
    return row


def sign_on_to_confirm(token):
    """The sign-on a confirmation link names, checked and left unchanged.

    Raises TokenInvalid or TokenExpired for a link that is not genuine, too
    old or whose sign-on is gone, and DetailsChanged for a link older than
    the sign-on's details.
    """
    payload = cosign_tokens(current_app).read(token)
    row = _sign_on_named_by(payload)
    if row is None:
        raise TokenInvalid("no such sign-on")
    if row.status == SignatoryStatus.UNCONFIRMED and payload.get("d") != details_digest(row):
        raise DetailsChanged("details changed since this link was sent")
    return row


def seal_contact(row, contact, sealer):
    """Store a sign-on's contact name, role and email: plain, or sealed when ``sealer`` is given.

    A sealed row keeps what its address tells the moderator (``mail_flag``),
    so moderating needs no unlock.
    """
    if sealer is None:
        row.contact_name, row.contact_role, row.email = contact["contact_name"], contact["contact_role"], contact["email"]
        row.sealing_key_id = row.sealed = row.mail_flag = None
        return
    row.mail_flag = mail_flag(contact["email"], row.kind, row.website)
    row.sealing_key_id, row.sealed = sealing.seal(sealer, contact)
    row.contact_name = row.contact_role = row.email = ""


def confirm(token, now=None):
    """Mark a sign-on confirmed (it now waits for moderation). Returns (signatory, newly).

    Confirming twice is harmless. The update is conditional on the details
    the link was checked against, so a resubmission landing in between
    cannot be confirmed by the older link. Raises as ``sign_on_to_confirm``.
    """
    row = sign_on_to_confirm(token)
    if row.status != SignatoryStatus.UNCONFIRMED:
        return row, False
    changed = db.session.execute(
        update(LetterSignatory)
        .where(LetterSignatory.id == row.id, LetterSignatory.status == SignatoryStatus.UNCONFIRMED,
               *(getattr(LetterSignatory, field) == getattr(row, field) for field in _DIGESTED))
        .values(status=SignatoryStatus.AWAITING, confirmed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(row)
    if not changed and row.status == SignatoryStatus.UNCONFIRMED:
        raise DetailsChanged("details changed while confirming")
    return row, bool(changed)


def sign_on_for_withdrawal(token):
    """The sign-on a withdrawal link names, or None if it is already withdrawn (or erased).

    Raises TokenInvalid or TokenExpired for a link that is not genuine or too old.
    """
    return _sign_on_named_by(cosign_withdrawal_tokens(current_app).read(token))


@dataclass(frozen=True)
class SignOnSummary:
    """What a co-signer is shown before confirming or withdrawing: the letter, and their entry as listed."""

    text: object          # the letter's text in the reader's language (or the closest)
    kind: str
    name: str
    title: str
    place: str            # as the public list shows it: "Germany, Switzerland", or "" for none


def place_of(row, language):
    """A signatory's countries in ``language``, then its region: "Germany, Switzerland", or "" when there is none."""
    names = [country_name(code, language) for code in row.country_codes]
    return ", ".join([*names, *([row.region] if row.region else [])])


def summary(row, language):
    """The letter and the entry as it would be listed, for a reader of ``language``."""
    letter = db.session.get(Petition, row.petition_id)
    return SignOnSummary(petition_text(letter, language)[0], row.kind, row.name, row.title, place_of(row, language))


def _domain_of_site(website):
    if not website:
        return ""
    host = urlsplit(website if "//" in website else "//" + website).hostname or ""
    return host.lower().removeprefix("www.")


def _related(a, b):
    """Whether two host names belong together: equal, or one a subdomain of the other."""
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def mail_flag(email, kind, website):
    """What an address says about a sign-on: "free_mail", "domain_mismatch" or None."""
    domain = email.rsplit("@", 1)[-1].lower() if "@" in email else ""
    if domain in FREE_MAIL_DOMAINS:
        return "free_mail"
    if kind == SignatoryKind.ORGANISATION and website and not _related(domain, _domain_of_site(website)):
        return "domain_mismatch"
    return None


def flags(row, others=None):
    """What the organiser should look at twice before approving: a list of codes."""
    found = []
    flag = row.mail_flag if row.sealed is not None else mail_flag(row.email, row.kind, row.website)
    if flag:
        found.append(flag)
    if others is None:
        others = db.session.scalars(select(LetterSignatory).where(
            LetterSignatory.petition_id == row.petition_id, LetterSignatory.kind == row.kind,
            LetterSignatory.name_key == row.name_key, LetterSignatory.id != row.id,
            LetterSignatory.status.in_((SignatoryStatus.APPROVED, SignatoryStatus.AWAITING, SignatoryStatus.CHANGES)),
        )).all()
    if others:
        found.append("already_signed")
    return found


def moderation_queue(letter):
    """Sign-ons waiting for a decision, oldest first, each with its flags."""
    rows = db.session.scalars(select(LetterSignatory).where(
        LetterSignatory.petition_id == letter.id, LetterSignatory.status.in_(SignatoryStatus.MODERATABLE),
    ).order_by(LetterSignatory.confirmed_at, LetterSignatory.id)).all()
    return [(row, flags(row)) for row in rows]


DECISIONS = {"approve": SignatoryStatus.APPROVED, "reject": SignatoryStatus.REJECTED,
             "changes": SignatoryStatus.CHANGES}


def decide(letter, row, decision, note, account, now=None, opener=None):
    """Approve, reject, or ask for changes; the submitter is told by email (politely, in their language).

    A sealed sign-on's address is opened with ``opener`` (the organisation's
    key, unlocked for this moderation) for that one email; without it the
    decision is refused ("locked"), since the submitter could not be told.
    """
    if decision not in DECISIONS or row.petition_id != letter.id:
        raise LetterError("bad_decision")
    opened = None
    if row.sealed is not None:
        if opener is None:
            raise LetterError("locked")
        opened = opener.open_row(row.sealing_key_id, row.sealed)
    if row.status not in SignatoryStatus.MODERATABLE:
        raise LetterError("already_decided")
    if decision == "approve" and _approved_twin(row) is not None:
        raise LetterError("duplicate")
    row.status = DECISIONS[decision]
    row.moderation_note = (note or "")[:1000]
    row.moderated_at = now or utcnow()
    row.moderated_by_id = account.id if account else None
    url = external_url("letters.letter", lang=row.language, slug=letter.slug)
    messages.queue_cosign_decision(row, decision, row.moderation_note, url, withdraw_url(row), now=now,
                                   opened=opened)
    db.session.flush()


def _approved_twin(row):
    return db.session.scalar(select(LetterSignatory.id).where(
        LetterSignatory.petition_id == row.petition_id, LetterSignatory.kind == row.kind,
        LetterSignatory.name_key == row.name_key, LetterSignatory.status == SignatoryStatus.APPROVED,
        LetterSignatory.id != row.id,
    ).limit(1))


# --- bulk import (the reading and the preview live in importing.py) --------------------------

@dataclass
class ImportProblem:
    line: int
    text: str
    reason: str   # "unparsed", "decision" or "duplicate"


def import_lines(letter, text, kind=SignatoryKind.ORGANISATION, now=None):
    """Import a list at once, without a preview: (number stored, problems). Lines needing a decision are reported."""
    from .importing import save

    outcome = save(letter, text, kind, now=now)
    return len(outcome.saved), [ImportProblem(line.number, line.text, line.status) for line in outcome.reported]


# --- what the public sees ----------------------------------------------------------

@dataclass
class Listed:
    position: int
    name: str
    countries: list       # ISO codes, in order
    country_names: list   # their names in the reader's language
    region: str
    kind: str
    title: str

    @property
    def country(self):
        """The first country's code, or None: what /api/v1 has always called ``country``."""
        return self.countries[0] if self.countries else None

    @property
    def place(self):
        """ "Germany, Switzerland", "Malaysia, Asia-Pacific", or "" when there is none."""
        return ", ".join([*self.country_names, *([self.region] if self.region else [])])


def public_lists(letter, language):
    """(organisations, individuals): approved signatories, numbered, in the letter's order.

    Alphabetical means as a reader of ``language`` sorts (Unicode collation);
    "custom" follows the organiser's positions, then the rest alphabetically.
    """
    rows = db.session.scalars(select(LetterSignatory).where(
        LetterSignatory.petition_id == letter.id, LetterSignatory.status == SignatoryStatus.APPROVED)).all()
    out = {}
    for kind in SignatoryKind.ALL:
        mine = [r for r in rows if r.kind == kind]
        if letter.signatory_order == "custom":
            mine.sort(key=lambda r: (r.position is None, r.position or 0, sort_key(r.name, language)))
        else:
            mine.sort(key=lambda r: (sort_key(r.name, language), r.id))
        out[kind] = [Listed(i, r.name, r.country_codes, [country_name(code, language) for code in r.country_codes],
                            r.region, r.kind, r.title)
                     for i, r in enumerate(mine, 1)]
    return out[SignatoryKind.ORGANISATION], out[SignatoryKind.INDIVIDUAL]


def approved(letter):
    """Approved signatories for the organiser's ordering form, in the current public order."""
    rows = db.session.scalars(select(LetterSignatory).where(
        LetterSignatory.petition_id == letter.id, LetterSignatory.status == SignatoryStatus.APPROVED)).all()
    return sorted(rows, key=lambda r: (r.kind, r.position is None, r.position or 0, sort_key(r.name)))


def set_order(letter, mode, positions):
    """Alphabetical, or the organiser's positions ({signatory id: position})."""
    if mode not in ("alphabetical", "custom"):
        raise LetterError("bad_order")
    letter.signatory_order = mode
    if mode == "custom":
        for row in approved(letter):
            if row.id in positions:
                row.position = positions[row.id]
    db.session.flush()
