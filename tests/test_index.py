"""Issue 17, item 11: the index shows what is succeeding, findable and flat in cost."""
import re

import pytest
from sqlalchemy import event, update

from petitions.extensions import db
from petitions.models import Petition
from petitions.models.letter import LetterSignatory

from .helpers import page_text


def _titles(html):
    return re.findall(r'<h2><a href="/en/(?:p|letter)/([a-z0-9-]+)"', html)


def _set(slug, **values):
    db.session.execute(update(Petition).where(Petition.slug == slug).values(**values))
    db.session.commit()


def _approve_organisations(letter, count):
    db.session.execute(LetterSignatory.__table__.insert(), [
        {"petition_id": letter.id, "kind": "organisation", "name": f"Org {n}", "name_key": f"org {n}",
         "country": "BY", "language": "en", "status": "approved"} for n in range(count)
    ] + [{"petition_id": letter.id, "kind": "organisation", "name": "Waiting", "name_key": "waiting",
          "country": "BY", "language": "en", "status": "awaiting"}])
    db.session.commit()


def test_each_item_shows_its_total_online_plus_paper_as_its_own_page_does(client, make_petition, add_signatures):
    petition = make_petition(slug="with-paper", goal=100)
    add_signatures(petition, 3)
    _set("with-paper", paper_count=80)
    html = page_text(client.get("/en/"))
    assert "83 signatures" in html and "Next goal: 100" in html
    assert '<progress max="100" value="83"' in html
    assert "Free the prisoners of conscience: summary (en)." in html  # the summary
    assert "83 signatures" in page_text(client.get("/en/p/with-paper"))


def test_a_letter_shows_its_approved_organisations_not_signatures(client, make_petition):
    letter = make_petition(slug="joint", kind="letter")
    _approve_organisations(letter, 11)
    html = page_text(client.get("/en/"))
    item = html[html.index('href="/en/letter/joint"'):]
    item = item[:item.index("</li>")]
    assert "11 organisations" in item and "signature" not in item and "<progress" not in item


def test_tabs_find_closed_and_delivered_petitions(client, make_petition):
    make_petition(slug="still-open")
    make_petition(slug="now-closed", status="closed")
    make_petition(slug="a-win", status="delivered")
    assert _titles(page_text(client.get("/en/"))) == ["still-open"]
    assert _titles(page_text(client.get("/en/?status=closed"))) == ["now-closed"]
    delivered = page_text(client.get("/en/?status=delivered"))
    assert _titles(delivered) == ["a-win"]
    assert '<a href="/en/?status=delivered" aria-current="page">Delivered</a>' in delivered


def test_sorting_by_most_signatures_or_newest(client, make_petition, add_signatures):
    from datetime import datetime, timezone

    for n, slug in enumerate(("old-big", "new-small", "middle")):
        make_petition(slug=slug)
        _set(slug, published_at=datetime(2026, 1, 1 + n, tzinfo=timezone.utc))
    add_signatures(db.session.scalar(db.select(Petition).where(Petition.slug == "old-big")), 5)
    _set("middle", paper_count=2)
    assert _titles(page_text(client.get("/en/"))) == ["old-big", "middle", "new-small"]
    assert _titles(page_text(client.get("/en/?sort=newest"))) == ["middle", "new-small", "old-big"]


def test_searching_works_without_javascript_in_titles_and_summaries_of_any_language(client, make_petition):
    make_petition(slug="german", languages=("de",), primary="de")
    make_petition(slug="english")
    html = page_text(client.get("/en/"))
    assert re.search(r'<form class="index-search" method="get" action="/en/"', html)
    assert _titles(page_text(client.get("/en/?q=GEFANGENEN"))) == ["german"]
    assert _titles(page_text(client.get("/en/?q=summary+(en)"))) == ["english"]
    nothing = page_text(client.get("/en/?q=%25"))  # LIKE wildcards are searched for, not obeyed
    assert _titles(nothing) == [] and "Nothing matches your search." in nothing


def test_the_index_is_paginated(client, make_petition):
    for n in range(23):
        make_petition(slug=f"petition-{n:02d}")
    first = page_text(client.get("/en/?sort=newest"))
    second = page_text(client.get("/en/?sort=newest&page=2"))
    assert len(_titles(first)) == 20 and len(_titles(second)) == 3
    assert not set(_titles(first)) & set(_titles(second))
    assert 'href="/en/?sort=newest&amp;page=2" rel="next"' in first and "Page 1 of 2" in first
    assert 'href="/en/?sort=newest" rel="prev"' in second
    assert client.get("/en/?page=3").status_code == 404


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=99999999999999", "page=%C2%B2", "page=%D9%A3", "status=draft", "sort=%00",
                                   "q=" + "x" * 5000, "status[]=open"])
def test_odd_query_strings_get_a_page_not_an_error(client, make_petition, query):
    make_petition(slug="draft-one", status="draft")
    make_petition(slug="open-one")
    response = client.get(f"/en/?{query}")
    assert response.status_code == 200 and "draft-one" not in page_text(response)


def _statements_for(client, path):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return statements


# Counts statements, which in a rolled-back test would include the SAVEPOINTs that stand for its commits.
@pytest.mark.commits
def test_the_index_costs_the_same_number_of_queries_for_5_or_50_petitions(client, make_petition, add_signatures):
    for n in range(5):
        add_signatures(make_petition(slug=f"few-{n}"), 2)
    few = _statements_for(client, "/en/")
    for n in range(45):
        add_signatures(make_petition(slug=f"many-{n}"), 2)
    many = _statements_for(client, "/en/")
    assert len(few) == len(many) <= 4
    assert not any(re.search(r"FROM signatures\b", s) for s in many)  # counts come from the shards
