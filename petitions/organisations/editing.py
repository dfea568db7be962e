"""Writing the organisation's page: its descriptions, its main language, and its statements.

Statements are written as drafts, in as many languages as wanted, and shown on the public page once
published. Publishing, taking back and deleting are written to the organisation's audit log: they change
what the organisation says in public. Every function flushes; the request commits.
"""
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.services import audit, find_or_create_organisation
from ..extensions import db
from ..models import OrganisationDescription, Statement, StatementStatus, StatementTranslation, utcnow
from ..plaintext import single_line

DESCRIPTION_LIMIT = 1000
TITLE_LIMIT = 200
BODY_LIMIT = 20_000
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


class StatementError(ValueError):
    """A change to a statement is refused; ``code`` says why."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def save_description(organisation, language, text):
    """Set the description in ``language``; an empty text removes that language. Whether anything changed."""
    found = organisation.description(language)
    text = (text or "").strip()
    if not text:
        if found is None:
            return False
        organisation.descriptions.remove(found)
    elif found is None:
        organisation.descriptions.append(OrganisationDescription(language=language, description=text))
    elif found.description == text:
        return False
    else:
        found.description = text
    db.session.flush()
    return True


def set_primary_language(organisation, language):
    """The language whose description readers of other languages see."""
    organisation.primary_language = language
    db.session.flush()


def statements_of(organisation):
    """Every statement of the organisation, drafts included, newest date first."""
    return db.session.scalars(
        select(Statement).where(Statement.organisation_id == organisation.id)
        .options(selectinload(Statement.translations))
        .order_by(Statement.statement_date.desc(), Statement.id.desc())
    ).all()


def statement_of(organisation, statement_id):
    """The organisation's statement with this id, or None (another organisation's is as unknown as none)."""
    statement = db.session.get(Statement, statement_id)
    return statement if statement is not None and statement.organisation_id == organisation.id else None


def create_statement(organisation, language, title, body, statement_date):
    """A new draft, written first in ``language``, which becomes its main language.

    Who wrote it is not kept: the statement speaks for the organisation, and the audit log says who published it.
    """
    statement = Statement(organisation_id=organisation.id, status=StatementStatus.DRAFT, primary_language=language,
                          statement_date=statement_date)
    statement.translations.append(StatementTranslation(language=language, title=single_line(title), body=body))
    db.session.add(statement)
    db.session.flush()
    return statement


def save_statement_text(statement, language, title, body, statement_date):
    """Write (or rewrite) the statement in ``language`` and set its date. Whether anything changed."""
    title = single_line(title)
    found = statement.translation(language)
    if (found is not None and (found.title, found.body) == (title, body)
            and statement.statement_date == statement_date):
        return False
    if found is None:
        statement.translations.append(StatementTranslation(language=language, title=title, body=body))
    else:
        found.title, found.body = title, body
    statement.statement_date = statement_date
    statement.updated_at = utcnow()
    db.session.flush()
    return True


def remove_translation(statement, language):
    """Remove one language of the statement; its main language stays (delete the statement instead)."""
    found = statement.translation(language)
    if found is None:
        return False
    if language == statement.primary_language:
        raise StatementError("primary")
    statement.translations.remove(found)
    statement.updated_at = utcnow()
    db.session.flush()
    return True


def _detail(statement):
    text = statement.translation(statement.primary_language)
    return {"statement": statement.id, "title": text.title if text else "", "language": statement.primary_language}


def publish(statement, actor, now=None):
    """Show the statement on the organisation's page (audited). Publishing a published one changes nothing."""
    if statement.is_published:
        return False
    now = now or utcnow()
    statement.status = StatementStatus.PUBLISHED
    statement.published_at = statement.published_at or now
    statement.updated_at = now
    audit(statement.organisation_id, actor, "statement.publish", detail=_detail(statement), now=now)
    db.session.flush()
    return True


def unpublish(statement, actor, now=None):
    """Take the statement off the public page, back to a draft (audited)."""
    if not statement.is_published:
        return False
    now = now or utcnow()
    statement.status = StatementStatus.DRAFT
    statement.updated_at = now
    audit(statement.organisation_id, actor, "statement.unpublish", detail=_detail(statement), now=now)
    db.session.flush()
    return True


def delete_statement(statement, actor, now=None):
    """Delete the statement in every language (audited, with its title, so the log says what went)."""
    audit(statement.organisation_id, actor, "statement.delete",
          detail={**_detail(statement), "published": statement.is_published}, now=now)
    db.session.delete(statement)
    db.session.flush()


class InvalidPage(ValueError):
    """An organisation page document is refused; the message names the problem (for the command line)."""


def _need_text(value, where, limit, required=True):
    if not isinstance(value, str):
        raise InvalidPage(f"{where} must be a string")
    if len(value) > limit:
        raise InvalidPage(f"{where} is longer than {limit} characters")
    if required and not value.strip():
        raise InvalidPage(f"{where} must not be empty")
    return value.strip()


def _need_language(value, where, languages):
    if value not in languages:
        raise InvalidPage(f"{where} {value!r} is not configured (configured: {', '.join(languages)})")
    return value


def _clean_statement(number, item, languages):
    where = f"statements[{number}]"
    if not isinstance(item, dict):
        raise InvalidPage(f"{where} must be an object")
    try:
        when = date.fromisoformat(item.get("date", ""))
    except (TypeError, ValueError):
        raise InvalidPage(f"{where}.date must be a date written YYYY-MM-DD") from None
    if not EARLIEST_DATE <= when <= LATEST_DATE:
        raise InvalidPage(f"{where}.date must be between {EARLIEST_DATE} and {LATEST_DATE}")
    status = item.get("status", StatementStatus.DRAFT)
    if status not in StatementStatus.ALL:
        raise InvalidPage(f"{where}.status must be one of {', '.join(StatementStatus.ALL)}")
    translations = item.get("translations")
    if not isinstance(translations, dict) or not translations:
        raise InvalidPage(f"{where}.translations must be an object with at least one language")
    texts = {}
    for lang, text in translations.items():
        _need_language(lang, f"{where}.translations: language", languages)
        if not isinstance(text, dict):
            raise InvalidPage(f"{where}.translations.{lang} must be an object")
        texts[lang] = (single_line(_need_text(text.get("title"), f"{where}.translations.{lang}.title", TITLE_LIMIT)),
                       _need_text(text.get("body"), f"{where}.translations.{lang}.body", BODY_LIMIT))
    primary = _need_language(item.get("primary_language", next(iter(texts))), f"{where}.primary_language", languages)
    if primary not in texts:
        raise InvalidPage(f"{where}.primary_language {primary!r} has no entry in its translations")
    return {"date": when, "status": status, "primary": primary, "texts": texts}


def validate_page_data(data, languages):
    """Check an organisation page document (see petitions/demo/organisation.json); cleaned, or InvalidPage."""
    if not isinstance(data, dict):
        raise InvalidPage("the file must contain a JSON object")
    name = single_line(_need_text(data.get("organisation"), "'organisation'", 200))
    descriptions = data.get("descriptions", {})
    if not isinstance(descriptions, dict):
        raise InvalidPage("'descriptions' must be an object of language: text")
    cleaned = {_need_language(lang, "'descriptions': language", languages):
               _need_text(text, f"descriptions.{lang}", DESCRIPTION_LIMIT, required=False)
               for lang, text in descriptions.items()}
    primary = data.get("primary_language")
    if primary is not None:
        _need_language(primary, "'primary_language'", languages)
    statements = data.get("statements", [])
    if not isinstance(statements, list):
        raise InvalidPage("'statements' must be a list")
    return {"organisation": name, "primary_language": primary, "descriptions": cleaned,
            "statements": [_clean_statement(n, item, languages) for n, item in enumerate(statements)]}


def import_page(data, languages, actor):
    """Write an organisation's page from a document: (organisation, statements created, statements updated).

    Run again with the same file, it changes nothing: a statement is the one with the same date and the same
    title in its main language. The organisation is created if there is none of that name.
    """
    clean = validate_page_data(data, languages)
    organisation = find_or_create_organisation(clean["organisation"])
    for lang, text in clean["descriptions"].items():
        save_description(organisation, lang, text)
    if clean["primary_language"]:
        set_primary_language(organisation, clean["primary_language"])
    existing = {(s.statement_date, s.translation(s.primary_language).title): s for s in statements_of(organisation)
                if s.translation(s.primary_language) is not None}
    created = updated = 0
    for item in clean["statements"]:
        title, body = item["texts"][item["primary"]]
        statement = existing.get((item["date"], title))
        changed = False
        if statement is None:
            statement = create_statement(organisation, item["primary"], title, body, item["date"])
            created += 1
        for lang, (title, body) in item["texts"].items():
            changed = save_statement_text(statement, lang, title, body, item["date"]) or changed
        if item["status"] == StatementStatus.PUBLISHED:
            changed = publish(statement, actor) or changed
        else:
            changed = unpublish(statement, actor) or changed
        if changed and statement in existing.values():
            updated += 1
    return organisation, created, updated
