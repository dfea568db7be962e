"""Creating, editing and inspecting petitions: the rules the editor and the command line share."""

from sqlalchemy import func, select

from .. import counting
from ..extensions import db
from ..models import tally
from ..models.petition import SLUG_RE
from ..plaintext import single_line
from ..models import (
    LetterSignatory, Membership, Petition, PetitionKind, PetitionStatus, PetitionTranslation, PetitionVersion, Role,
    SignatoryKind, SignatoryStatus, SignatureStatus, set_status, utcnow,
)
from . import stats

TEXT_LIMITS = {"title": 200, "addressee": 200, "summary": 2000, "body": 100_000}
MAX_DEMANDS = 30
MAX_DEMAND_LENGTH = 500


class InvalidPetition(ValueError):
    """The petition description is refused; the message names the problem."""


def validate_petition_data(data, languages):
    """Check an import document and return it cleaned, or raise InvalidPetition."""
    if not isinstance(data, dict):
        raise InvalidPetition("the file must contain a JSON object")

    def need(key, kind):
        if key not in data:
            raise InvalidPetition(f"missing key {key!r}")
        if not isinstance(data[key], kind) or isinstance(data[key], bool):
            raise InvalidPetition(f"{key!r} must be a {kind.__name__}")
        return data[key]

    slug = need("slug", str)
    if not SLUG_RE.match(slug):
        raise InvalidPetition(f"slug {slug!r} must be lowercase letters, digits and hyphens (at most 100)")
    goal = need("goal", int)
    if not 1 <= goal <= 1_000_000_000:
        raise InvalidPetition("'goal' must be between 1 and 1,000,000,000")
    primary = need("primary_language", str)
    # Absent: a new petition starts as a draft, an existing one keeps its status.
    status = data.get("status")
    if status is not None and status not in PetitionStatus.ALL:
        raise InvalidPetition(f"'status' must be one of {', '.join(PetitionStatus.ALL)}, not {status!r}")
    kind = data.get("kind", PetitionKind.PETITION)
    if kind not in PetitionKind.ALL:
        raise InvalidPetition(f"'kind' must be {' or '.join(map(repr, PetitionKind.ALL))}, not {kind!r}")
    organisation = data.get("organisation", "")
    if not isinstance(organisation, str) or len(organisation) > 200:
        raise InvalidPetition("'organisation' must be a string of at most 200 characters")
    translations = need("translations", dict)
    if not translations:
        raise InvalidPetition("'translations' must contain at least one language")
    cleaned = {}
    for lang, text in translations.items():
        if lang not in languages:
            raise InvalidPetition(f"language {lang!r} is not configured (configured: {', '.join(languages)})")
        cleaned[lang] = _clean_translation(lang, text)
    if primary not in cleaned:
        raise InvalidPetition(f"'primary_language' {primary!r} has no entry in 'translations'")
    return {
        "slug": slug, "goal": goal, "primary_language": primary, "status": status, "kind": kind,
        "organisation": single_line(organisation), "translations": cleaned,
    }


def _clean_translation(lang, text):
    where = f"translations.{lang}"
    if not isinstance(text, dict):
        raise InvalidPetition(f"{where} must be an object")
    out = {}
    for field, limit in TEXT_LIMITS.items():
        value = text.get(field, "")
        if not isinstance(value, str):
            raise InvalidPetition(f"{where}.{field} must be a string")
        if len(value) > limit:
            raise InvalidPetition(f"{where}.{field} is longer than {limit} characters")
        # Title and addressee are one line (the title reaches mail subjects); summary and body are text.
        out[field] = single_line(value) if field in ("title", "addressee") else value.strip()
    if not out["title"]:
        raise InvalidPetition(f"{where}.title must not be empty")
    demands = text.get("demands", [])
    if not isinstance(demands, list) or not all(isinstance(d, str) for d in demands):
        raise InvalidPetition(f"{where}.demands must be a list of strings")
    if len(demands) > MAX_DEMANDS or any(len(d) > MAX_DEMAND_LENGTH for d in demands):
        raise InvalidPetition(f"{where}.demands: at most {MAX_DEMANDS}, each at most {MAX_DEMAND_LENGTH} characters")
    out["demands"] = [single_line(d) for d in demands if single_line(d)]
    return out


def import_petition(data, languages):
    """Create or update a petition from an import document. Returns (petition, created).

    A new petition may start in any status. An existing one moves only as the
    editor may move it (``PetitionStatus.TRANSITIONS``): a delivered petition never goes back
    to draft. A refused move raises InvalidPetition before anything changes.
    """
    clean = validate_petition_data(data, languages)
    petition = db.session.scalar(select(Petition).where(Petition.slug == clean["slug"]))
    created = petition is None
    status = clean["status"]
    if created:
        petition = Petition(slug=clean["slug"], next_goal=clean["goal"])
        db.session.add(petition)
        set_status(petition, status or PetitionStatus.DRAFT)
    elif status is not None and status != petition.status:
        if status not in PetitionStatus.TRANSITIONS[petition.status]:
            allowed = ", ".join(PetitionStatus.TRANSITIONS[petition.status]) or "none"
            raise InvalidPetition(f"'status' cannot change from {petition.status!r} to {status!r} "
                                  f"(allowed from {petition.status!r}: {allowed})")
        change_status(petition, status)
    petition.goal = clean["goal"]
    petition.kind = clean["kind"]
    petition.primary_language = clean["primary_language"]
    petition.organisation_name = clean["organisation"]
    if petition.organisation_id is None:
        from ..accounts.services import find_or_create_organisation

        petition.organisation = find_or_create_organisation(clean["organisation"] or f"Organisation of {petition.slug}")
    if petition.published_at is None and petition.status != PetitionStatus.DRAFT:
        petition.published_at = utcnow()
    for lang, text in clean["translations"].items():
        translation = petition.translation(lang)
        if translation is None:
            translation = PetitionTranslation(language=lang)
            petition.translations.append(translation)
        for field, value in text.items():
            setattr(translation, field, value)
    db.session.flush()
    # A lowered or raised goal moves the goal shown, counted from the live count.
    petition.next_goal = counting.next_goal_for(counting.confirmed_count(petition.id), petition.goal)
    db.session.flush()
    return petition, created


TEXT_FIELDS = ("title", "addressee", "summary", "body", "demands")


def missing_text(petition):
    """For each language the petition is written in, the parts still missing.

    A language is complete when every field is filled in and it has as many
    demands as the primary language.
    """
    primary = petition.translation(petition.primary_language)
    wanted_demands = len(primary.demands) if primary else 0
    report = {}
    for lang in petition.languages:
        text = petition.translation(lang)
        missing = [field for field in TEXT_FIELDS if not getattr(text, field)]
        if text.demands and len(text.demands) != wanted_demands:
            missing.append("demands")
        report[lang] = sorted(set(missing), key=TEXT_FIELDS.index)
    return report


def petition_summary(slug):
    """Status, goals and counts of one petition, or None if there is no such slug."""
    petition = db.session.scalar(select(Petition).where(Petition.slug == slug))
    if petition is None:
        return None
    by_status = stats.counts(petition.id, tally.STATUS)
    count = counting.confirmed_count(petition.id)
    return {
        "slug": petition.slug,
        "status": petition.status,
        "goal": petition.goal,
        "next_goal": counting.next_goal_for(count, petition.goal),
        "confirmed": count,
        "pending": by_status.get(SignatureStatus.PENDING, 0),
        "withdrawn": by_status.get(SignatureStatus.WITHDRAWN, 0),
        "languages": petition.languages,
        "missing_text": missing_text(petition),
        "goals_reached": [(m.goal, m.reached_at) for m in petition.milestones],
    }


# --- the web editor ----------------------------------------------------------

class EditorError(ValueError):
    """An edit is refused; nothing was changed. ``code`` says which rule, for a translated message."""

    def __init__(self, code, **details):
        super().__init__(code)
        self.code = code
        self.details = details


def petitions_for(account):
    """(petition, role) for every petition of every organisation the account belongs to, newest first."""
    rows = db.session.execute(
        select(Petition, Membership.role)
        .join(Membership, Membership.organisation_id == Petition.organisation_id)
        .where(Membership.account_id == account.id)
        .order_by(Petition.created_at.desc(), Petition.id.desc())
    ).all()
    return [(petition, role) for petition, role in rows]


def petition_for(account, slug, wanted=Role.VIEWER):
    """(petition, role) if the account's organisation owns it and the role is enough; else None.

    Every organiser route goes through here, so no URL or id reaches another
    organisation's petition.
    """
    if account is None or not SLUG_RE.match(slug or ""):
        return None
    row = db.session.execute(
        select(Petition, Membership.role)
        .join(Membership, Membership.organisation_id == Petition.organisation_id)
        .where(Petition.slug == slug, Membership.account_id == account.id)
    ).first()
    if row is None or not Role.at_least(row[1], wanted):
        return None
    return row[0], row[1]


def create_petition(organisation, slug, primary_language, goal, title, kind=PetitionKind.PETITION):
    """A new draft (a petition or an open letter) with its primary text's title; the rest is written in the editor."""
    if kind not in PetitionKind.ALL:
        raise EditorError("bad_kind")
    if db.session.scalar(select(Petition.id).where(Petition.slug == slug)) is not None:
        raise EditorError("slug_taken")
    petition = Petition(slug=slug, primary_language=primary_language, goal=goal, next_goal=goal, kind=kind,
                        organisation=organisation, organisation_name=organisation.name)
    set_status(petition, PetitionStatus.DRAFT)
    petition.translations.append(PetitionTranslation(language=primary_language, title=single_line(title)))
    db.session.add(petition)
    db.session.flush()
    return petition


def update_settings(petition, goal, primary_language, organisation_name):
    """Change the goal, primary language and the name shown as the petition's starter.

    A goal below the signatures already counted would be a goal already met:
    it is refused, and nothing changes.
    """
    count = counting.total_count(petition)
    if goal < count:
        raise EditorError("goal_below_count", count=count)
    if petition.translation(primary_language) is None:
        raise EditorError("primary_without_text")
    petition.goal = goal
    petition.primary_language = primary_language
    petition.organisation_name = single_line(organisation_name)
    petition.next_goal = counting.next_goal_for(count, goal)


def change_status(petition, status, now=None, incomplete_ok=False):
    """Move along draft → open → closed → delivered (closed may reopen).

    Publishing a draft while a language still misses parts needs ``incomplete_ok``:
    the organiser has seen the checklist and chose to go ahead (a reader of that
    language would otherwise get a page without, say, its addressee).
    """
    if status not in PetitionStatus.TRANSITIONS.get(petition.status, ()):
        raise EditorError("bad_transition")
    if petition.status == PetitionStatus.DRAFT and not incomplete_ok:
        gaps = {lang: fields for lang, fields in missing_text(petition).items() if fields}
        if gaps:
            raise EditorError("incomplete", languages=gaps)
    now = now or utcnow()
    if petition.published_at is None and status in PetitionStatus.PUBLIC:
        petition.published_at = now
    set_status(petition, status, now=now)


def _snapshot(translation):
    return {field: (list(getattr(translation, field)) if field == "demands" else getattr(translation, field))
            for field in TEXT_FIELDS}


def save_text(petition, language, fields, account=None, now=None):
    """Write one language's text. Once the petition is public, the text before and after is kept as versions.

    Returns True if anything changed. The first edit after publication first
    stores the published text as version 1, so every version a signer may
    have read is on record.
    """
    now = now or utcnow()
    translation = petition.translation(language)
    before = _snapshot(translation) if translation is not None else None
    after = {field: fields[field] for field in TEXT_FIELDS}
    if before == after:
        return False
    if translation is None:
        translation = PetitionTranslation(language=language)
        petition.translations.append(translation)
    if petition.published_at is not None:
        numbers = db.session.scalars(
            select(PetitionVersion.number).where(PetitionVersion.petition_id == petition.id,
                                                 PetitionVersion.language == language)
        ).all()
        number = max(numbers, default=0)
        if number == 0 and before is not None:
            number = 1
            db.session.add(PetitionVersion(petition_id=petition.id, language=language, number=1,
                                           created_at=max(petition.published_at, translation.updated_at), **before))
        db.session.add(PetitionVersion(petition_id=petition.id, language=language, number=number + 1,
                                       created_at=now, created_by_id=account.id if account else None, **after))
    for field, value in after.items():
        setattr(translation, field, value)
    translation.updated_at = now
    db.session.flush()
    return True



# --- open letters in the organiser area -------------------------------------------------------------------

def letter_figures(petition_ids):
    """For each letter id: approved organisations, approved individuals, and sign-ons waiting for a decision.

    One grouped count over the letters' sign-ons (a letter has hundreds, not millions).
    """
    figures = {pid: {"organisations": 0, "individuals": 0, "waiting": 0} for pid in petition_ids}
    if not figures:
        return figures
    rows = db.session.execute(
        select(LetterSignatory.petition_id, LetterSignatory.kind, LetterSignatory.status, func.count())
        .where(LetterSignatory.petition_id.in_(list(figures)),
               LetterSignatory.status.in_([SignatoryStatus.APPROVED, SignatoryStatus.AWAITING]))
        .group_by(LetterSignatory.petition_id, LetterSignatory.kind, LetterSignatory.status)
    ).all()
    for pid, kind, status, count in rows:
        if status == SignatoryStatus.AWAITING:
            figures[pid]["waiting"] += count
        elif kind == SignatoryKind.ORGANISATION:
            figures[pid]["organisations"] += count
        else:
            figures[pid]["individuals"] += count
    return figures
