"""GET /api/v1/petitions: every public petition and letter, a page at a time, never a draft."""
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from petitions.extensions import db

BASE = "http://petitions.test/api/v1"


def test_the_list_shows_public_petitions_and_letters_but_never_drafts(client, demo_site):
    data = client.get("/api/v1/petitions").get_json()
    assert [item["slug"] for item in data["items"]] == ["free-all-political-prisoners", "letters-behind-bars"]
    assert data["total"] == 2 and (data["page"], data["per_page"]) == (1, 20)
    assert "secret-draft" not in str(data)


def test_each_item_has_its_count_goal_languages_and_links(client, demo_site):
    items = {item["slug"]: item for item in client.get("/api/v1/petitions").get_json()["items"]}
    petition = items["letters-behind-bars"]
    assert petition["kind"] == "petition" and petition["status"] == "open"
    assert petition["signature_count"] == 15  # 12 confirmed online + 3 on paper
    assert (petition["goal"], petition["next_goal"]) == (1000, 1000)
    assert petition["languages"][0] == "en" and set(petition["languages"]) == {"en", "ru", "be", "de"}
    assert petition["title"].startswith("Guarantee political detainees")
    assert petition["links"] == {
        "self": f"{BASE}/petitions/letters-behind-bars",
        "count": f"{BASE}/petitions/letters-behind-bars/count",
        "web": "http://petitions.test/p/letters-behind-bars",
    }
    letter = items["free-all-political-prisoners"]
    assert letter["kind"] == "letter"
    assert letter["links"]["signatories"] == f"{BASE}/petitions/free-all-political-prisoners/signatories"


def test_the_counts_match_what_each_petition_answers_alone(client, demo_site):
    for item in client.get("/api/v1/petitions").get_json()["items"]:
        alone = client.get(item["links"]["count"].removeprefix("http://petitions.test")).get_json()
        assert (item["signature_count"], item["next_goal"]) == (alone["signature_count"], alone["next_goal"])


def test_a_reached_goal_shows_the_next_one_in_the_list(client, make_petition, add_signatures):
    add_signatures(make_petition(goal=10), count=10)
    item = client.get("/api/v1/petitions").get_json()["items"][0]
    assert (item["signature_count"], item["goal"], item["next_goal"]) == (10, 10, 20)


def test_lang_picks_titles_and_links_and_falls_back_to_the_primary_text(client, make_petition):
    make_petition(slug="only-english", languages=("en",))
    make_petition(slug="with-russian", languages=("en", "ru"))
    items = {i["slug"]: i for i in client.get("/api/v1/petitions?lang=ru").get_json()["items"]}
    assert (items["with-russian"]["title"], items["with-russian"]["title_language"]) == (
        "Освободите узников совести", "ru")
    assert (items["only-english"]["title"], items["only-english"]["title_language"]) == (
        "Free the prisoners of conscience", "en")
    assert items["with-russian"]["links"]["web"] == "http://petitions.test/ru/p/with-russian"
    assert items["with-russian"]["links"]["self"] == f"{BASE}/petitions/with-russian?lang=ru"
    # A language the site does not have is ignored, not refused.
    unknown = client.get("/api/v1/petitions?lang=zz")
    assert unknown.status_code == 200 and "lang" not in unknown.get_json()["links"]["self"]


def test_closed_and_delivered_petitions_are_listed_with_their_status(client, make_petition):
    make_petition(slug="closed-one", status="closed")
    make_petition(slug="delivered-one", status="delivered")
    make_petition(slug="draft-one", status="draft")
    items = client.get("/api/v1/petitions").get_json()["items"]
    assert {(i["slug"], i["status"]) for i in items} == {("closed-one", "closed"), ("delivered-one", "delivered")}


@pytest.fixture
def five(make_petition):
    for n in range(5):
        make_petition(slug=f"petition-{n}")


def test_pages_follow_each_other_newest_first(client, five):
    first = client.get("/api/v1/petitions?per_page=2").get_json()
    assert [i["slug"] for i in first["items"]] == ["petition-4", "petition-3"]
    assert first["total"] == 5 and first["links"]["prev"] is None
    assert first["links"]["self"] == f"{BASE}/petitions?page=1&per_page=2"
    assert first["links"]["next"] == f"{BASE}/petitions?page=2&per_page=2"
    second = client.get("/api/v1/petitions?page=2&per_page=2").get_json()
    assert [i["slug"] for i in second["items"]] == ["petition-2", "petition-1"]
    assert second["links"]["prev"] == f"{BASE}/petitions?page=1&per_page=2"
    last = client.get("/api/v1/petitions?page=3&per_page=2").get_json()
    assert [i["slug"] for i in last["items"]] == ["petition-0"]
    assert last["links"]["next"] is None


def test_a_full_last_page_has_no_next(client, five):
    data = client.get("/api/v1/petitions?per_page=5").get_json()
    assert len(data["items"]) == 5 and data["links"]["next"] is None and data["links"]["prev"] is None


def test_a_page_past_the_end_is_empty_and_leads_back_to_the_last_page(client, five):
    data = client.get("/api/v1/petitions?page=9&per_page=2").get_json()
    assert data["items"] == [] and data["total"] == 5 and data["page"] == 9
    assert data["links"]["next"] is None
    assert data["links"]["prev"] == f"{BASE}/petitions?page=3&per_page=2"


def test_an_empty_site_has_one_empty_page(client):
    data = client.get("/api/v1/petitions").get_json()
    assert (data["items"], data["total"], data["links"]["next"], data["links"]["prev"]) == ([], 0, None, None)


def test_the_largest_page_size_and_page_number_are_accepted(client, five):
    assert len(client.get("/api/v1/petitions?per_page=100").get_json()["items"]) == 5
    assert client.get("/api/v1/petitions?page=1000000&per_page=100").get_json()["items"] == []


@pytest.mark.parametrize("query", [
    "page=0", "page=-1", "page=abc", "page=", "page=1.5", "page=+2", "page=%202", "page=1e3", "page=1_0",
    "page=%D9%A3",  # an Arabic-Indic digit three, which int() would take
    "page=1000001", "page=" + "9" * 5000,
    "per_page=0", "per_page=101", "per_page=", "per_page=ten", "per_page=99999999999999999999",
])
def test_bad_paging_parameters_are_a_json_400_naming_the_parameter(client, query):
    response = client.get(f"/api/v1/petitions?{query}")
    assert response.status_code == 400 and response.is_json
    data = response.get_json()
    assert data["error"] == "bad_parameter" and data["status"] == 400
    assert data["parameter"] == query.split("=")[0]
    assert data["message"].startswith(data["parameter"])


@contextmanager
def counted_queries():
    """The SQL statements run inside the block."""
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_costs_the_same_few_queries_however_many_petitions_it_holds(client, make_petition, add_signatures):
    def queries_for_page():
        with counted_queries() as statements:
            assert client.get("/api/v1/petitions?per_page=100").status_code == 200
        return len(statements)

    add_signatures(make_petition(slug="first"), count=2)
    few = queries_for_page()
    for n in range(12):
        make_petition(slug=f"more-{n}", languages=("en", "ru"))
    many = queries_for_page()
    assert many == few <= 6, (few, many)
