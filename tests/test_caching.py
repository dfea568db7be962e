"""Public pages are reused for a moment and carry validators; the count stays a few seconds fresh at most."""
import time

import pytest

from petitions import caching

from .helpers import confirm, last_confirm_path, page_text, sign


@pytest.fixture
def cached_app(make_app, petition):
    caching.clear()
    yield make_app(PUBLIC_CACHE_SECONDS=0.5, PUBLIC_MAX_AGE=3)
    caching.clear()


def test_a_public_page_says_proxies_may_keep_it_and_how_to_revalidate(cached_app):
    response = cached_app.test_client().get("/en/p/free-them")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=3"
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers


def test_asking_again_with_the_validators_gets_a_bodiless_304(cached_app):
    client = cached_app.test_client()
    first = client.get("/en/p/free-them")
    again = client.get("/en/p/free-them", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    since = client.get("/en/p/free-them", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304


def test_the_etag_ignores_the_forms_served_at_stamp_but_not_the_count(cached_app):
    client = cached_app.test_client()
    first = client.get("/en/p/free-them")
    time.sleep(1.1)  # a new rendering, with a new stamp a second later
    second = client.get("/en/p/free-them")
    assert page_text(first) != page_text(second)
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
    sign(client, email="c@example.org")
    with cached_app.app_context():
        confirm(client, last_confirm_path("c@example.org"))
    time.sleep(0.6)
    third = client.get("/en/p/free-them", headers={"If-None-Match": first.headers["ETag"]})
    assert third.status_code == 200 and '<p class="count">1 of 1,000</p>' in page_text(third)


def test_the_count_shown_is_at_most_the_cache_time_old(cached_app):
    client = cached_app.test_client()
    assert '<p class="count">0 of 1,000</p>' in page_text(client.get("/en/p/free-them"))
    sign(client, email="d@example.org")
    with cached_app.app_context():
        confirm(client, last_confirm_path("d@example.org"))
    # Within the half second it was kept, the page may still say 0; after it, it must say 1.
    time.sleep(0.6)
    assert '<p class="count">1 of 1,000</p>' in page_text(client.get("/en/p/free-them"))


def test_a_page_with_form_errors_is_never_kept(cached_app):
    client = cached_app.test_client()
    bad = sign(client, email="not an address")
    assert bad.status_code == 400 and "Cache-Control" not in bad.headers or "public" not in bad.headers.get(
        "Cache-Control", "")
    assert "not an address" not in page_text(client.get("/en/p/free-them"))


def test_pages_for_organisers_and_links_in_emails_are_not_public(cached_app):
    client = cached_app.test_client()
    sign(client, email="e@example.org")
    with cached_app.app_context():
        confirmed = confirm(client, last_confirm_path("e@example.org"))
    assert "public" not in confirmed.headers.get("Cache-Control", "")
    assert "public" not in client.get("/organiser/sign-in").headers.get("Cache-Control", "")


def test_a_polling_counter_gets_304_until_the_count_moves(cached_app):
    client = cached_app.test_client()
    first = client.get("/api/v1/petitions/free-them/count")
    assert first.get_json()["signature_count"] == 0
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    same = client.get("/api/v1/petitions/free-them/count", headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    sign(client, email="f@example.org")
    with cached_app.app_context():
        confirm(client, last_confirm_path("f@example.org"))
    time.sleep(0.6)
    moved = client.get("/api/v1/petitions/free-them/count", headers={"If-None-Match": first.headers["ETag"]})
    assert moved.status_code == 200 and moved.get_json()["signature_count"] == 1


def test_a_remembered_fact_is_reused_for_a_moment_then_computed_again(cached_app):
    computed = []

    def title():
        computed.append(1)
        return f"title {len(computed)}"

    with cached_app.app_context():
        assert caching.remembered(("title", 1, "en"), title) == "title 1"
        assert caching.remembered(("title", 1, "en"), title) == "title 1"
        assert caching.remembered(("title", 1, "ru"), title) == "title 2"  # another key, its own value
        time.sleep(0.6)  # PUBLIC_CACHE_SECONDS is 0.5 here
        assert caching.remembered(("title", 1, "en"), title) == "title 3"


def test_without_public_caching_nothing_is_remembered(app):
    computed = []
    with app.app_context():
        assert app.config["PUBLIC_CACHE_SECONDS"] == 0
        for _ in range(3):
            caching.remembered(("title", 1, "en"), lambda: computed.append(1))
    assert len(computed) == 3


def test_random_query_strings_share_one_entry_and_cannot_fill_the_cache(cached_app):
    client = cached_app.test_client()
    before = len(caching._cache)
    for i in range(50):
        assert client.get(f"/en/p/free-them?x={i}&utm_source={i}").status_code == 200
        assert client.get(f"/api/v1/petitions/free-them/count?nonce={i}").status_code == 200
    assert len(caching._cache) == before + 2


def test_a_query_parameter_the_view_reads_is_keyed_on_its_meaningful_values(cached_app):
    client = cached_app.test_client()
    russian = client.get("/api/v1/petitions/free-them?lang=ru").get_json()
    assert russian["title_language"] == "ru"
    assert client.get("/api/v1/petitions/free-them?lang=de").get_json()["title_language"] == "de"
    for junk in ("xx", "zz", "en%00", ""):
        assert client.get(f"/api/v1/petitions/free-them?lang={junk}").get_json()["title_language"] == "en"
    assert client.get("/api/v1/petitions/free-them").get_json()["title_language"] == "en"
    assert len(caching._cache) == 3  # ru, de and "not a site language" (the same page as none)


def test_a_full_cache_forgets_the_least_recently_used_entry_not_everything():
    store = caching.ResponseCache(max_entries=3)
    for key in "abc":
        store.put(key, caching._Fact(key, expires=float("inf")))
    assert store.get("a", now=0) is not None  # "a" is now the most recently used
    store.put("d", caching._Fact("d", expires=float("inf")))
    assert "b" not in store and all(key in store for key in "acd")
    for i in range(1000):  # a flood of new keys
        store.put(i, caching._Fact(i, expires=float("inf")))
    assert len(store) == 3
