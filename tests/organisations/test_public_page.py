"""The organisation's public page: its description by language, its campaigns with their counts, its statements."""
import re
import time
from datetime import date

import pytest
from sqlalchemy import select

from petitions import caching
from petitions.extensions import db
from petitions.models import Organisation, Petition, PetitionStatus
from petitions.organisations import editing

from .. import factories
from ..helpers import page_text

PAGE = "/{lang}/o/test-rights-group"


def _organisation():
    return db.session.scalar(select(Organisation).where(Organisation.name == "Test Rights Group"))


def _section(html, heading_id):
    """The text of the <section> whose heading has ``heading_id``."""
    match = re.search(rf'<section[^>]*aria-labelledby="{heading_id}".*?</section>', html, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def _statement(organisation, title, when, publish=True, language="en", **translations):
    statement = editing.create_statement(organisation, language, title, f"Body of **{title}**.", when)
    for code, text in translations.items():
        editing.save_statement_text(statement, code, text, f"Body: {text}", when)
    if publish:
        editing.publish(statement, "test")
    db.session.commit()
    return statement


@pytest.fixture
def organisation(make_petition):
    make_petition(slug="free-them", languages=("en", "ru"))
    organisation = _organisation()
    editing.save_description(organisation, "en", "We defend **people** in detention.")
    editing.save_description(organisation, "ru", "Мы защищаем людей под стражей.")
    db.session.commit()
    return organisation


def test_the_description_is_in_the_readers_language_or_else_the_main_one_marked_as_such(client, organisation):
    russian = page_text(client.get(PAGE.format(lang="ru")))
    assert '<html lang="ru"' in russian
    assert re.search(r'<div class="organisation-description" lang="ru" dir="ltr"><p>Мы защищаем людей под стражей.</p>',
                     russian)
    assert 'class="notice"' not in russian
    german = client.get(PAGE.format(lang="de"))
    assert german.status_code == 200
    text = page_text(german)
    assert '<html lang="de"' in text
    assert ('<div class="organisation-description" lang="en" dir="ltr"><p>We defend <strong>people</strong> in '
            'detention.</p>') in text
    assert re.search(r'<p class="notice">[^<]*Englisch</p>', text)  # the main language, named in German


def test_the_main_language_chooses_the_fallback(client, organisation):
    editing.set_primary_language(organisation, "ru")
    db.session.commit()
    assert 'lang="ru" dir="ltr"><p>Мы защищаем' in page_text(client.get(PAGE.format(lang="de")))


def test_a_page_without_a_description_still_lists_what_the_organisation_does(client, make_petition):
    make_petition(slug="free-them")
    response = client.get(PAGE.format(lang="en"))
    assert response.status_code == 200
    assert "organisation-description" not in page_text(response)
    assert "Free the prisoners of conscience" in _section(page_text(response), "open-heading")


def test_only_open_campaigns_are_listed_as_open_with_their_counts(client, organisation, make_petition, add_signatures):
    free_them = db.session.scalar(select(Petition).where(Petition.slug == "free-them"))
    add_signatures(free_them, 3)
    add_signatures(free_them, 2, status="pending")
    free_them.paper_count = 10
    db.session.commit()
    make_petition(slug="draft-one", status="draft")
    closed = make_petition(slug="closed-one", languages=("de",), primary="de")
    add_signatures(closed, 4)
    closed.status = PetitionStatus.CLOSED
    db.session.commit()
    letter = make_petition(slug="open-letter", kind="letter", languages=("en", "ru"))
    factories.add_signatory(letter, "Viasna", status="approved")
    factories.add_signatory(letter, "Memorial", status="approved")
    factories.add_signatory(letter, "Ada", kind="individual", status="approved")
    factories.add_signatory(letter, "Waiting Group", status="awaiting")
    make_petition(slug="someone-elses", organisation="Another Group")

    html = page_text(client.get(PAGE.format(lang="en")))
    open_ = _section(html, "open-heading")
    assert 'href="/en/p/free-them"' in open_ and "13 signatures" in open_ and "Next goal: 1,000" in open_
    assert 'href="/en/letter/open-letter"' in open_ and "2 organisations, 1 individual" in open_
    assert "closed-one" not in open_ and "draft-one" not in html and "someone-elses" not in html
    past = _section(html, "past-heading")
    assert 'href="/en/p/closed-one"' in past and "4 signatures" in past
    # Its title is in German, the only language it has, and marked so within the English page.
    assert '<h3 lang="de" dir="ltr"><a href="/en/p/closed-one">Freiheit' in past


def test_reading_the_page_never_counts_signatures_one_by_one(app, client, organisation, add_signatures):
    from sqlalchemy import event

    add_signatures(db.session.scalar(select(Petition).where(Petition.slug == "free-them")), 5)
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert client.get(PAGE.format(lang="en")).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if "FROM signatures" in s]


def test_statements_are_listed_newest_first_and_drafts_are_not(client, organisation):
    _statement(organisation, "Older word", date(2026, 3, 1))
    _statement(organisation, "Newest word", date(2026, 11, 20))
    _statement(organisation, "Unfinished draft", date(2026, 12, 1), publish=False)
    _statement(organisation, "Middle word", date(2026, 6, 5), ru="Среднее слово")
    html = page_text(client.get(PAGE.format(lang="ru")))
    listed = _section(html, "statements-heading")
    assert re.findall(r'<a href="/ru/o/test-rights-group/statements/\d+" lang="(\w+)" dir="ltr">([^<]+)</a>', listed) == [
        ("en", "Newest word"), ("ru", "Среднее слово"), ("en", "Older word")]
    assert "Unfinished draft" not in html
    assert '<time datetime="2026-11-20">' in listed


def test_a_statement_has_its_own_page_in_the_readers_language_and_a_draft_has_none(client, organisation):
    published = _statement(organisation, "Letters are a right", date(2026, 11, 20), ru="Письма — это право")
    draft = _statement(organisation, "Not yet", date(2026, 11, 21), publish=False)
    russian = page_text(client.get(f"/ru/o/test-rights-group/statements/{published.id}"))
    assert '<article class="statement" lang="ru" dir="ltr">' in russian and "<h1>Письма — это право</h1>" in russian
    assert "Original language" not in russian and '<time datetime="2026-11-20">' in russian
    german = page_text(client.get(f"/de/o/test-rights-group/statements/{published.id}"))
    assert '<article class="statement" lang="en" dir="ltr">' in german and "<h1>Letters are a right</h1>" in german
    assert '<p class="notice" lang="de"' in german
    assert "<strong>Letters are a right</strong>" in german  # the body, through the same Markdown as petitions
    assert client.get(f"/en/o/test-rights-group/statements/{draft.id}").status_code == 404
    assert client.get("/en/o/test-rights-group/statements/99999").status_code == 404
    assert client.get("/en/o/test-rights-group/statements/99999999999999").status_code == 404


def test_another_organisations_statement_is_not_found_under_this_address(client, organisation, make_petition):
    make_petition(slug="theirs", organisation="Another Group")
    theirs = db.session.scalar(select(Organisation).where(Organisation.name == "Another Group"))
    statement = _statement(theirs, "Theirs", date(2026, 1, 1))
    assert client.get(f"/en/o/another-group/statements/{statement.id}").status_code == 200
    assert client.get(f"/en/o/test-rights-group/statements/{statement.id}").status_code == 404


@pytest.mark.parametrize("slug", ["no-such-group", "Test-Rights-Group", "a%00b", "-x", "x" * 101])
def test_an_unknown_address_is_a_404_in_the_readers_language(client, organisation, slug):
    response = client.get(f"/ru/o/{slug}")
    assert response.status_code == 404
    assert '<html lang="ru"' in page_text(response)


def test_the_short_address_goes_to_the_page_in_the_browsers_language(client, organisation):
    response = client.get("/o/test-rights-group", headers={"Accept-Language": "ru, en;q=0.5"})
    assert response.status_code == 302 and response.location.endswith("/ru/o/test-rights-group")
    assert response.headers["Vary"] == "Accept-Language"
    # The same answer for an address with no page: it tells nobody which organisations use the site.
    unknown = client.get("/o/no-such-group", headers={"Accept-Language": "ru, en;q=0.5"})
    assert unknown.status_code == 302 and unknown.location.endswith("/ru/o/no-such-group")
    assert client.get("/o/Bad_Slug").status_code == 404


def test_an_organisation_with_nothing_public_has_no_page_until_it_says_something(client, make_petition):
    make_petition(slug="in-the-works", status="draft")
    # Nor a subscription form, which would tell the same.
    assert [client.get(PAGE.format(lang="en") + path).status_code for path in ("", "/subscribe")] == [404, 404]
    _statement(_organisation(), "Our first word", date(2026, 12, 1))
    assert [client.get(PAGE.format(lang="en") + path).status_code for path in ("", "/subscribe")] == [200, 200]


@pytest.mark.parametrize("started_by", ["", "Friends of the Prisoners"])
def test_a_campaign_that_does_not_name_its_organisation_is_neither_listed_nor_linked(client, organisation,
                                                                                      make_petition, started_by):
    make_petition(slug="discreet", organisation="Test Rights Group")
    discreet = db.session.scalar(select(Petition).where(Petition.slug == "discreet"))
    discreet.organisation_name = started_by
    db.session.commit()
    assert "discreet" not in page_text(client.get(PAGE.format(lang="en")))
    html = page_text(client.get("/en/p/discreet"))
    assert "/o/test-rights-group" not in html
    assert (f'<p class="byline" lang="en">Started by {started_by}</p>' in html) == bool(started_by)


def test_the_petition_and_letter_pages_link_to_their_organisations_page(client, organisation, make_petition):
    petition_page = page_text(client.get("/ru/p/free-them"))
    assert re.search(r'<p class="byline" lang="ru">[^<]*<a href="/ru/o/test-rights-group">Test Rights Group</a>',
                     petition_page)
    make_petition(slug="open-letter", kind="letter")
    assert '<a href="/en/o/test-rights-group">Test Rights Group</a>' in page_text(client.get("/en/letter/open-letter"))


def test_a_petition_that_names_no_one_does_not_link_to_anyone(client, make_petition):
    make_petition(slug="anonymous", organisation="")
    html = page_text(client.get("/en/p/anonymous"))
    assert "/o/" not in html and 'class="byline"' not in html


def test_a_name_in_the_byline_is_text_not_markup(client, make_petition):
    make_petition(slug="odd-name", organisation="<b>Bold</b> & Co")
    html = page_text(client.get("/en/p/odd-name"))
    assert '>&lt;b&gt;Bold&lt;/b&gt; &amp; Co</a>' in html


@pytest.fixture
def cached_app(make_app, organisation):
    caching.clear()
    app = make_app(PUBLIC_CACHE_SECONDS=1, PUBLIC_MAX_AGE=3)
    app.full_way = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: app.full_way.append(1))
    yield app
    caching.clear()


def test_the_page_is_public_kept_a_moment_and_a_new_statement_shows_within_that_moment(cached_app, organisation):
    client = cached_app.test_client()
    first = client.get(PAGE.format(lang="en"))
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=3" and "Set-Cookie" not in first.headers
    again = client.get(PAGE.format(lang="en"))
    assert again.get_data() == first.get_data()
    assert len(cached_app.full_way) == 1  # the second reader was answered in front of Flask (caching.FastPath)
    with cached_app.app_context():
        _statement(db.session.merge(organisation), "Just published", date(2026, 12, 1))
    time.sleep(1.1)
    assert "Just published" in page_text(client.get(PAGE.format(lang="en")))
    assert len(cached_app.full_way) == 2

