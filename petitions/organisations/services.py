"""What the public may read about an organisation: its page, its campaigns with their counts, its statements.

Every read here is a handful of narrow queries, whatever the number of signatures: petitions count from
their tallies (petitions.counting), letters from one grouped count over their sign-ons (a letter has
hundreds, not millions), statements through their (organisation, status, date) index.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import counting
from ..extensions import db
from ..models import (
    LetterSignatory, Organisation, Petition, PetitionStatus, SignatoryKind, SignatoryStatus, Statement,
    StatementStatus,
)
from ..models.petition import SLUG_RE
from ..texts import petition_text

# How many ended campaigns and statements the page lists, newest first: a page, not an archive.
PAST_SHOWN = 20
STATEMENTS_SHOWN = 30


def find_organisation(slug):
    """The organisation whose page is at ``slug``, or None (a malformed slug is never looked up)."""
    if not SLUG_RE.match(slug or ""):
        return None
    return db.session.scalar(
        select(Organisation).where(Organisation.slug == slug).options(selectinload(Organisation.descriptions)))


def description_for(organisation, language):
    """(description, is_fallback): in ``language``, else the main language, else any; (None, False) if none."""
    found = organisation.description(language)
    if found is not None:
        return found, False
    fallback = organisation.description(organisation.primary_language) or next(iter(organisation.descriptions), None)
    return fallback, fallback is not None


@dataclass(frozen=True)
class Campaign:
    """A petition or open letter as the organisation's page lists it."""

    petition: Petition
    text: object            # its translation for the reader (or the fallback)
    total: int              # a petition: online and paper signatures, as its own page shows
    next_goal: int
    organisations: int      # a letter: approved organisations
    individuals: int        # a letter: approved individuals


def _sign_ons(letter_ids):
    """{letter id: (approved organisations, approved individuals)} in one grouped count."""
    found = dict.fromkeys(letter_ids, (0, 0))
    if not letter_ids:
        return found
    rows = db.session.execute(
        select(LetterSignatory.petition_id, LetterSignatory.kind, func.count())
        .where(LetterSignatory.petition_id.in_(letter_ids), LetterSignatory.status == SignatoryStatus.APPROVED)
        .group_by(LetterSignatory.petition_id, LetterSignatory.kind)
    ).all()
    for letter_id, kind, count in rows:
        organisations, individuals = found[letter_id]
        if kind == SignatoryKind.ORGANISATION:
            organisations += count
        else:
            individuals += count
        found[letter_id] = (organisations, individuals)
    return found


def names_its_organisation(petition):
    """Whether the petition's "Started by" names its organisation as the organisation is named here.

    Only then does its page link to the organisation's page, and the organisation's page list it: an
    organisation that left "Started by" empty, or put another name there, did not say it runs the campaign,
    and its page must not say so for it.
    """
    return petition.organisation is not None and petition.organisation_name == petition.organisation.name


def campaigns(organisation, language):
    """(open, past): the organisation's campaigns open for signing, most recently published first, and up to
    PAST_SHOWN closed or delivered ones. Drafts are never listed, nor a campaign that does not name the
    organisation (``names_its_organisation``)."""
    newest = (func.coalesce(Petition.published_at, Petition.created_at).desc(), Petition.id.desc())
    query = (select(Petition).where(Petition.organisation_id == organisation.id,
                                    Petition.organisation_name == organisation.name)
             .options(selectinload(Petition.translations)).order_by(*newest))
    open_ = db.session.scalars(query.where(Petition.status == PetitionStatus.OPEN)).all()
    past = db.session.scalars(query.where(Petition.status.in_(PetitionStatus.ENDED)).limit(PAST_SHOWN)).all()
    everything = [*open_, *past]
    online = counting.confirmed_counts([p.id for p in everything if not p.is_letter])
    letters = _sign_ons([p.id for p in everything if p.is_letter])

    def listed(petition):
        total = online.get(petition.id, 0) + petition.paper_count
        organisations, individuals = letters.get(petition.id, (0, 0))
        return Campaign(petition, petition_text(petition, language)[0], total,
                        counting.next_goal_for(total, petition.goal), organisations, individuals)

    return [listed(p) for p in open_], [listed(p) for p in past]


def shows_anything(description, open_campaigns, past_campaigns, statements):
    """Whether an organisation's page has anything to show: a description, a campaign or a published
    statement. Until it has, the page and its subscription form answer 404, as for an unknown address:
    either would only confirm that the organisation uses this site."""
    return bool(description or open_campaigns or past_campaigns or statements)


def has_public_page(organisation, language):
    """``shows_anything`` for a page that does not load the organisation's page itself (the subscription form)."""
    return shows_anything(description_for(organisation, language)[0], *campaigns(organisation, language),
                          published_statements(organisation, 1))


def published_statements(organisation, limit=STATEMENTS_SHOWN):
    """The organisation's published statements, newest date first (the later written first on one day)."""
    return db.session.scalars(
        select(Statement).where(Statement.organisation_id == organisation.id,
                                Statement.status == StatementStatus.PUBLISHED)
        .options(selectinload(Statement.translations))
        .order_by(Statement.statement_date.desc(), Statement.id.desc()).limit(limit)
    ).all()


def published_statement(organisation, statement_id):
    """One of the organisation's published statements, or None (a draft is as unknown as a wrong id)."""
    statement = db.session.get(Statement, statement_id)
    if statement is None or statement.organisation_id != organisation.id or not statement.is_published:
        return None
    return statement


def statement_text(statement, language):
    """(translation, is_fallback): in ``language``, else the statement's main language."""
    found = statement.translation(language)
    if found is not None:
        return found, False
    return statement.translation(statement.primary_language) or statement.translations[0], True
