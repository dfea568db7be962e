"""The organisation page's editor: descriptions and statements, written by editors and owners only."""
import json
from datetime import date

import pytest
from sqlalchemy import func, select

from petitions.extensions import db
from petitions.models import AuditEvent, Organisation, OrganisationDescription, Statement, StatementStatus
from petitions.organisations import editing

from ..helpers import page_text, sign_in

ORG = "/organiser/org/{id}"


@pytest.fixture
def organisation(app, make_petition):
    make_petition(slug="free-them")
    return db.session.scalar(select(Organisation).where(Organisation.name == "Test Rights Group"))


@pytest.fixture
def editor(app, organisation, make_member):
    client = app.test_client()
    sign_in(client, make_member(email="ed@rights.example", role="editor"))
    return client


def _new(client, organisation, **fields):
    data = {"language": "en", "title": "Letters are a right", "statement_date": "2026-11-20",
            "body": "Deliver **every** letter.", **fields}
    return client.post(f"{ORG.format(id=organisation.id)}/statements/new", data=data)


def _stored():
    return db.session.scalar(select(func.count()).select_from(Statement))


def _audit(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_editor_writes_translates_and_publishes_a_statement(editor, organisation):
    page = editor.get(ORG.format(id=organisation.id) + "/page")
    assert page.status_code == 200 and "/en/o/test-rights-group" in page_text(page)
    response = _new(editor, organisation)
    statement = db.session.scalar(select(Statement))
    assert response.status_code == 302
    assert response.location.endswith(f"/statements/{statement.id}/en")
    assert (statement.status, statement.primary_language, statement.statement_date) == (
        StatementStatus.DRAFT, "en", date(2026, 11, 20))
    translated = editor.post(f"{ORG.format(id=organisation.id)}/statements/{statement.id}/ru",
                             data={"title": "Письма — это право", "statement_date": "2026-11-20",
                                   "body": "Доставляйте **каждое** письмо."})
    assert translated.status_code == 302
    assert editor.get("/ru/o/test-rights-group").status_code == 200
    assert "Письма" not in page_text(editor.get("/ru/o/test-rights-group"))  # a draft is not shown
    published = editor.post(f"{ORG.format(id=organisation.id)}/statements/{statement.id}/publish",
                            data={"publish": "1"})
    assert published.status_code == 302
    db.session.expire_all()
    statement = db.session.get(Statement, statement.id)
    assert statement.is_published and statement.published_at is not None
    assert sorted(t.language for t in statement.translations) == ["en", "ru"]
    assert "Письма — это право" in page_text(editor.get("/ru/o/test-rights-group"))
    [event] = _audit("statement.publish")
    assert event.organisation_id == organisation.id and event.actor.startswith("Olga Owner")
    assert event.detail == {"statement": statement.id, "title": "Letters are a right", "language": "en"}


def test_taking_a_statement_back_and_deleting_it_are_audited(editor, organisation):
    _new(editor, organisation)
    statement_id = db.session.scalar(select(Statement.id))
    base = f"{ORG.format(id=organisation.id)}/statements/{statement_id}"
    editor.post(f"{base}/publish", data={"publish": "1"})
    editor.post(f"{base}/publish", data={"publish": "0"})
    db.session.expire_all()
    assert db.session.get(Statement, statement_id).status == StatementStatus.DRAFT
    assert len(_audit("statement.unpublish")) == 1
    assert editor.post(f"{base}/delete").status_code == 302
    assert _stored() == 0
    [deleted] = _audit("statement.delete")
    assert deleted.detail["title"] == "Letters are a right" and deleted.detail["published"] is False


def test_the_main_language_of_a_statement_stays_and_others_can_be_removed(editor, organisation):
    _new(editor, organisation)
    statement_id = db.session.scalar(select(Statement.id))
    base = f"{ORG.format(id=organisation.id)}/statements/{statement_id}"
    editor.post(f"{base}/de", data={"title": "Briefe", "statement_date": "2026-11-20", "body": "Text."})
    refused = editor.post(f"{base}/en/remove")
    assert refused.status_code == 303
    assert editor.post(f"{base}/de/remove").status_code == 302
    db.session.expire_all()
    assert [t.language for t in db.session.get(Statement, statement_id).translations] == ["en"]


def test_descriptions_are_written_per_language_and_an_empty_one_is_removed(editor, organisation):
    url = f"{ORG.format(id=organisation.id)}/page/about/ru"
    assert editor.post(url, data={"description": "Мы защищаем людей."}).status_code == 302
    assert "Мы защищаем людей." in page_text(editor.get("/ru/o/test-rights-group"))
    preview = editor.post(url, data={"description": "Новый **текст**", "preview": "1"})
    assert preview.status_code == 200 and "<strong>текст</strong>" in page_text(preview)
    db.session.expire_all()
    assert db.session.scalar(select(OrganisationDescription.description)) == "Мы защищаем людей."  # preview only
    assert editor.post(url, data={"description": "  "}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(OrganisationDescription)) == 0


def test_the_main_language_is_one_the_site_offers(editor, organisation):
    url = f"{ORG.format(id=organisation.id)}/page/settings"
    assert editor.post(url, data={"primary_language": "ru"}).status_code == 302
    refused = editor.post(url, data={"primary_language": "xx"})
    assert refused.status_code == 400 and "Please choose one of the languages offered." in page_text(refused)
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).primary_language == "ru"


@pytest.mark.parametrize("fields, message", [
    ({"title": ""}, "Please enter a title."),
    ({"title": "   "}, "Please enter a title."),
    ({"body": ""}, "Please write the statement."),
    ({"language": "xx"}, "Please choose one of the languages offered."),
    ({"language": ""}, "Please choose one of the languages offered."),
    ({"title": "t" * 201}, "At most 200 characters."),
    ({"body": "ж" * 20_001}, "At most 20,000 characters."),
    ({"statement_date": "20 November"}, "Please enter a date as year-month-day, for example 2026-12-01."),
    ({"statement_date": ""}, "Please enter the date of the statement."),
    ({"statement_date": "0001-01-01"}, "Please enter a date between 1900-01-01 and 2100-12-31."),
    ({"body": "\x00"}, "Please write the statement."),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(editor, organisation, fields, message):
    response = _new(editor, organisation, **fields)
    assert response.status_code == 400
    assert message in page_text(response)
    assert _stored() == 0


def test_a_bad_edit_leaves_the_statement_as_it_was(editor, organisation):
    _new(editor, organisation)
    statement_id = db.session.scalar(select(Statement.id))
    response = editor.post(f"{ORG.format(id=organisation.id)}/statements/{statement_id}/en",
                           data={"title": "New title", "statement_date": "2026-11-21", "body": "x" * 20_001})
    assert response.status_code == 400 and "At most 20,000 characters." in page_text(response)
    db.session.expire_all()
    statement = db.session.get(Statement, statement_id)
    assert (statement.translation("en").title, statement.statement_date) == ("Letters are a right", date(2026, 11, 20))


def test_an_over_long_description_is_refused(editor, organisation):
    response = editor.post(f"{ORG.format(id=organisation.id)}/page/about/en", data={"description": "d" * 1001})
    assert response.status_code == 400 and "At most 1,000 characters." in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(OrganisationDescription)) == 0


def test_an_unknown_language_in_an_address_is_a_404(editor, organisation):
    _new(editor, organisation)
    statement_id = db.session.scalar(select(Statement.id))
    assert editor.get(f"{ORG.format(id=organisation.id)}/page/about/xx").status_code == 404
    assert editor.get(f"{ORG.format(id=organisation.id)}/statements/{statement_id}/xx").status_code == 404


def _editor_requests(organisation_id, statement_id):
    base = ORG.format(id=organisation_id)
    return [("get", f"{base}/page", {}), ("post", f"{base}/page/settings", {"primary_language": "ru"}),
            ("get", f"{base}/page/about/en", {}), ("post", f"{base}/page/about/en", {"description": "Hacked"}),
            ("get", f"{base}/statements/new", {}),
            ("post", f"{base}/statements/new", {"language": "en", "title": "T", "body": "B",
                                                "statement_date": "2026-01-01"}),
            ("get", f"{base}/statements/{statement_id}/en", {}),
            ("post", f"{base}/statements/{statement_id}/en", {"title": "T", "body": "B", "statement_date": "2026-01-01"}),
            ("post", f"{base}/statements/{statement_id}/publish", {"publish": "1"}),
            ("post", f"{base}/statements/{statement_id}/delete", {})]


@pytest.mark.parametrize("role, organisation_name", [("viewer", "Test Rights Group"), ("owner", "Another Group")])
def test_a_viewer_and_another_organisations_owner_get_404_and_change_nothing(app, organisation, make_member, role,
                                                                             organisation_name):
    statement = editing.create_statement(organisation, "en", "Draft", "Body", date(2026, 1, 1))
    db.session.commit()
    client = app.test_client()
    sign_in(client, make_member(email="someone@rights.example", role=role, organisation=organisation_name))
    for method, path, data in _editor_requests(organisation.id, statement.id):
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 404, (method, path)
    db.session.expire_all()
    assert _stored() == 1 and db.session.get(Statement, statement.id).status == StatementStatus.DRAFT
    assert db.session.scalar(select(func.count()).select_from(OrganisationDescription)) == 0
    assert db.session.get(Organisation, organisation.id).primary_language == "en"


def test_signed_out_the_editor_asks_to_sign_in(client, organisation):
    response = client.get(ORG.format(id=organisation.id) + "/page")
    assert response.status_code == 302 and "/organiser/sign-in" in response.location


def test_the_organiser_home_links_editors_to_the_page_and_not_viewers(app, organisation, make_member):
    editor, viewer = app.test_client(), app.test_client()
    sign_in(editor, make_member(email="ed@rights.example", role="editor"))
    sign_in(viewer, make_member(email="vi@rights.example", role="viewer"))
    link = f'href="/organiser/org/{organisation.id}/page"'
    assert link in page_text(editor.get("/organiser/"))
    assert link not in page_text(viewer.get("/organiser/"))


def test_the_editor_pages_are_never_stored(editor, organisation):
    assert editor.get(ORG.format(id=organisation.id) + "/page").headers["Cache-Control"] == "no-store"


# --- new organisations get an address --------------------------------------------------------------------


@pytest.mark.parametrize("names, slugs", [
    (["Viasna"], ["viasna"]),
    (["Правозащитный центр «Весна»"], ["pravozashchitnyi-tsentr-vesna"]),
    (["Viasna", "VIASNA!"], ["viasna", "viasna-2"]),
    (["人权", "人权观察"], ["organisation", "organisation-2"]),
])
def test_a_new_organisation_gets_an_address_from_its_name(app, names, slugs):
    from petitions.accounts.services import find_or_create_organisation

    assert [find_or_create_organisation(name).slug for name in names] == slugs


# --- the command line and the demo -----------------------------------------------------------------------


def test_the_demo_page_imports_and_importing_again_changes_nothing(app, runner, make_petition):
    from petitions.paths import PACKAGE

    path = str(PACKAGE / "demo" / "organisation.json")
    first = runner.invoke(args=["organisation", "import", path])
    assert first.exit_code == 0, first.output
    assert "/o/letters-behind-bars" in first.output and "1 statement(s) created" in first.output
    again = runner.invoke(args=["organisation", "import", path])
    assert again.exit_code == 0 and "0 statement(s) created, 0 updated" in again.output
    statement = db.session.scalar(select(Statement))
    assert statement.is_published and sorted(statement.languages) == ["en", "ru"]
    assert len(_audit("statement.publish")) == 1
    client = app.test_client()
    be = page_text(client.get("/be/o/letters-behind-bars"))
    assert "Лісты за кратамі" in be and "Letters are a right, not a privilege" in be


@pytest.mark.parametrize("document, problem", [
    ({"organisation": ""}, "'organisation' must not be empty"),
    ({"organisation": "X", "descriptions": {"xx": "Hi"}}, "is not configured"),
    ({"organisation": "X", "descriptions": {"en": "d" * 1001}}, "longer than 1000"),
    ({"organisation": "X", "statements": [{"date": "yesterday", "translations": {"en": {"title": "T", "body": "B"}}}]},
     "statements[0].date must be a date"),
    ({"organisation": "X", "statements": [{"date": "2026-01-01", "translations": {"en": {"title": "", "body": "B"}}}]},
     "title must not be empty"),
    ({"organisation": "X", "statements": [{"date": "2026-01-01", "status": "shown",
                                            "translations": {"en": {"title": "T", "body": "B"}}}]}, "status"),
])
def test_an_invalid_page_document_changes_nothing(app, runner, tmp_path, document, problem):
    path = tmp_path / "page.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = runner.invoke(args=["organisation", "import", str(path)])
    assert result.exit_code != 0 and problem in result.output and "nothing was changed" in result.output
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0
