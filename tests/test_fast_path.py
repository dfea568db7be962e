"""A page kept whole in front of Flask (caching.FastPath): the same answer as the full way, and only when it is."""
import time

import pytest

from petitions import caching

PAGE = "/en/p/free-them"
COUNT = "/api/v1/petitions/free-them/count"


@pytest.fixture
def fast_app(make_app, petition):
    caching.clear()
    # Long enough that a first rendering on a busy machine does not outlast it.
    app = make_app(PUBLIC_CACHE_SECONDS=5, PUBLIC_MAX_AGE=3)
    # How many requests took the full way through Flask: FastPath answers before any hook runs.
    app.full_way = []
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: app.full_way.append(1))
    yield app
    caching.clear()


def _headers(response):
    return sorted((name, value) for name, value in response.headers.items() if name != "Date")


@pytest.mark.parametrize("path", [PAGE, COUNT])
def test_the_second_reader_gets_the_same_bytes_and_headers_without_flask(fast_app, path):
    client = fast_app.test_client()
    first = client.get(path)
    second = client.get(path, query_string={"utm_source": "x"})  # a query string no view reads changes nothing
    assert first.status_code == second.status_code == 200
    assert len(fast_app.full_way) == 1
    assert second.get_data() == first.get_data()
    assert _headers(second) == _headers(first)
    assert second.headers["Content-Security-Policy"] and second.headers["Cache-Control"] == "public, max-age=3"
    head = client.head(path)
    assert head.get_data() == b"" and _headers(head) == _headers(first)
    assert len(fast_app.full_way) == 1


def test_it_expires_with_the_cached_page(fast_app):
    fast_app.config["PUBLIC_CACHE_SECONDS"] = 1
    client = fast_app.test_client()
    client.get(COUNT)
    time.sleep(1.1)
    client.get(COUNT)
    assert len(fast_app.full_way) == 2


def test_the_date_is_now_not_when_the_answer_was_kept(fast_app):
    client = fast_app.test_client()
    first = client.get(PAGE)
    time.sleep(1.1)
    second = client.get(PAGE)
    assert len(fast_app.full_way) == 1
    assert second.headers["Date"] != first.headers["Date"]


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_RANGE"])
def test_personal_or_partial_requests_take_the_full_way(fast_app, header):
    client = fast_app.test_client()
    client.get(PAGE)
    client.get(PAGE, environ_overrides={header: "bytes=0-10" if header == "HTTP_RANGE" else "Bearer x"})
    assert len(fast_app.full_way) == 2


def test_a_reader_with_a_cookie_takes_the_full_way(fast_app):
    client = fast_app.test_client()
    client.get(PAGE)
    client.set_cookie("session", "abc")
    client.get(PAGE)
    assert len(fast_app.full_way) == 2


def test_a_revalidation_still_gets_its_304(fast_app):
    client = fast_app.test_client()
    first = client.get(PAGE)
    again = client.get(PAGE, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert len(fast_app.full_way) == 2


def test_https_and_http_are_kept_apart(fast_app):
    client = fast_app.test_client()
    secure = client.get(PAGE, base_url="https://petitions.test")
    plain = client.get(PAGE)
    again = client.get(PAGE, base_url="https://petitions.test")
    assert "Strict-Transport-Security" in secure.headers and "Strict-Transport-Security" in again.headers
    assert "Strict-Transport-Security" not in plain.headers
    assert len(fast_app.full_way) == 2


def test_pages_that_vary_or_fail_are_not_kept(fast_app):
    client = fast_app.test_client()
    for path in ("/", "/en/p/no-such-petition"):  # "/" varies on Accept-Language; the other is a 404
        client.get(path)
        client.get(path)
    assert len(fast_app.full_way) == 4
    assert len(caching._served) == 0


def test_a_post_is_never_answered_from_it(fast_app):
    client = fast_app.test_client()
    client.get(PAGE)
    client.post(PAGE, data={})
    assert len(fast_app.full_way) == 2


def test_a_rate_limited_read_is_counted_every_time(make_app, petition):
    caching.clear()
    app = make_app(PUBLIC_CACHE_SECONDS=5, RATELIMIT_ENABLED=True, RATELIMIT_API="2 per minute")
    client = app.test_client()
    statuses = [client.get(COUNT).status_code for _ in range(3)]
    caching.clear()
    assert statuses == [200, 200, 429]


def test_without_the_page_cache_nothing_is_kept(make_app, petition):
    caching.clear()
    app = make_app(PUBLIC_CACHE_SECONDS=0)
    client = app.test_client()
    client.get(PAGE)
    client.get(COUNT)
    assert len(caching._served) == 0
