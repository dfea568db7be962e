"""The rules of open letters: who signs on, what the organiser is warned about, what is listed.

Nothing is listed before an organiser approves it. Names are kept exactly as
entered; a "name key" (case, spacing and quotes folded away) spots the same
organisation entered twice.
"""
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from .. import sealing
from ..extensions import db
from ..i18n import country_name, recognise_country, sort_key
from ..links import external_url
from ..mail import messages
from ..models import LetterSignatory, Petition, PetitionStatus, SignatoryKind, SignatoryStatus, utcnow
from ..models.petition import SLUG_RE
from ..security import petition_email_hash
from ..tokens import TokenInvalid, cosign_tokens

# Addresses anyone can open in a minute: a sign-on from one deserves a second look.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.de", "yahoo.co.uk", "outlook.com", "hotmail.com",
    "live.com", "msn.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "pm.me",
    "gmx.de", "gmx.net", "gmx.com", "web.de", "t-online.de", "mail.ru", "bk.ru", "inbox.ru", "list.ru",
    "yandex.ru", "yandex.com", "ya.ru", "rambler.ru", "tut.by", "ukr.net", "i.ua", "zoho.com", "tutanota.com",
    "tuta.io", "mailbox.org", "posteo.de", "riseup.net", "disroot.org", "onet.pl", "wp.pl", "o2.pl", "seznam.cz",
})
QUOTES = "\"'`«»‘’‚‛“”„‟‹›「」『』"
MAX_IMPORT_LINES = 20_000


class LetterError(ValueError):
    """A request about a letter is refused; ``code`` names the rule."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def name_key(name):
    """The form of a name used to spot duplicates: no case, no quotes, single spaces."""
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(" " if ch in QUOTES else ch for ch in text)
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).casefold()


def find_public_letter(slug):
    if not SLUG_RE.match(slug or ""):
        return None
    return db.session.scalar(select(Petition).where(
        Petition.slug == slug, Petition.kind == "letter", Petition.status.in_(PetitionStatus.PUBLIC)))


@dataclass(frozen=True)
class SignOn:
    kind: str
    name: str
    country: str
    email: str
    title: str = ""
    website: str = ""
    contact_name: str = ""
    contact_role: str = ""


def sign_on(letter, details, language, now=None):
    """Store a sign-on awaiting its email confirmation, and send that email.

    A new sign-on from the same address to the same letter that is still
    unconfirmed, or that the organiser sent back for changes, replaces it.
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
        row = LetterSignatory(petition_id=letter.id, email_hash=address_hash, source="form")
        db.session.add(row)
    row.kind, row.name, row.name_key = details.kind, details.name, name_key(details.name)
    row.country, row.title, row.website = details.country, details.title, details.website
    contact = {"contact_name": details.contact_name, "contact_role": details.contact_role, "email": details.email}
    seal_contact(row, contact, sealer)
    row.language, row.status, row.created_at, row.confirmed_at = language, SignatoryStatus.UNCONFIRMED, now, None
    db.session.flush()
    token = cosign_tokens(current_app).make({"c": row.id, "h": address_hash[:16]})
    messages.queue_cosign_confirmation(row, external_url("letters.confirm", lang=language, token=token), now=now,
                                       opened=contact)
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
    """Mark a sign-on confirmed (it now waits for moderation). Returns (signatory, newly)."""
    payload = cosign_tokens(current_app).read(token)  # TokenInvalid / TokenExpired go to the caller
    if not isinstance(payload, dict) or not isinstance(payload.get("c"), int):
        raise TokenInvalid("malformed payload")
    row = db.session.get(LetterSignatory, payload["c"])
    if row is None or (row.email_hash or "")[:16] != payload.get("h"):
        raise TokenInvalid("no such sign-on")
    if row.status != SignatoryStatus.UNCONFIRMED:
        return row, False
    row.status = SignatoryStatus.AWAITING
    row.confirmed_at = now or utcnow()
    return row, True


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
    messages.queue_cosign_decision(row, decision, row.moderation_note, url, now=now, opened=opened)
    db.session.flush()


def _approved_twin(row):
    return db.session.scalar(select(LetterSignatory.id).where(
        LetterSignatory.petition_id == row.petition_id, LetterSignatory.kind == row.kind,
        LetterSignatory.name_key == row.name_key, LetterSignatory.status == SignatoryStatus.APPROVED,
        LetterSignatory.id != row.id,
    ).limit(1))


# --- bulk import ---------------------------------------------------------------

NUMBERING = re.compile(r"^\s*(?:\d{1,5}\s*[.)\]:]?|[-–—•*·])\s+")
SEPARATORS = re.compile(r"\s+[-–—]\s+|\s*[,;\t|]\s*|\s+[-–—](?=\S)|(?<=\S)[-–—]\s+")


@dataclass
class ImportProblem:
    line: int
    text: str
    reason: str   # "unparsed", "country" or "duplicate"


def parse_line(line):
    """(name, country code) from one line of a pasted list, or (None, reason).

    Accepts "12. Name – Country", "Name, Country", "Name - DE" and the like:
    numbering, dash styles and spacing vary. The country is the part after the
    last separator and must be recognised (an ISO code, or its English, Russian,
    Belarusian or German name); nothing is guessed.
    """
    text = NUMBERING.sub("", line.strip(), count=1).strip()
    parts = [p for p in SEPARATORS.split(text)]
    if len(parts) < 2:
        return None, "unparsed"
    country_text = parts[-1].strip()
    code = recognise_country(country_text)
    name_end = _last_separator_start(text)
    name = text[:name_end].strip(" \t,;|-–—")
    if not name:
        return None, "unparsed"
    if code is None:
        return None, "country"
    return (name, code), None


def _last_separator_start(text):
    starts = [m.start() for m in SEPARATORS.finditer(text)]
    return starts[-1]


def import_lines(letter, text, kind=SignatoryKind.ORGANISATION, now=None):
    """Import a pasted list as approved signatories. Returns (imported, problems); never drops a line silently.

    Lines that cannot be read, whose country is not recognised, or that name an
    organisation already listed (or twice in the list) are reported, not stored.
    """
    if kind not in SignatoryKind.ALL:
        raise LetterError("bad_kind")
    lines = text.splitlines()
    if len(lines) > MAX_IMPORT_LINES:
        raise LetterError("too_many")
    now = now or utcnow()
    known = set(db.session.scalars(select(LetterSignatory.name_key).where(
        LetterSignatory.petition_id == letter.id, LetterSignatory.kind == kind,
        LetterSignatory.status == SignatoryStatus.APPROVED)))
    problems, rows = [], []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        parsed, reason = parse_line(raw)
        if parsed is None:
            problems.append(ImportProblem(number, raw.strip()[:300], reason))
            continue
        name, code = parsed
        key = name_key(name)
        if key in known:
            problems.append(ImportProblem(number, raw.strip()[:300], "duplicate"))
            continue
        known.add(key)
        rows.append(LetterSignatory(
            petition_id=letter.id, kind=kind, name=name[:300], name_key=key[:300], country=code, language=letter.primary_language,
            status=SignatoryStatus.APPROVED, source="import", created_at=now, confirmed_at=now, moderated_at=now,
        ))
    db.session.add_all(rows)
    db.session.flush()
    return len(rows), problems


# --- what the public sees ----------------------------------------------------------

@dataclass
class Listed:
    position: int
    name: str
    country: str
    country_name: str
    kind: str
    title: str


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
        out[kind] = [Listed(i, r.name, r.country, country_name(r.country, language), r.kind, r.title)
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
