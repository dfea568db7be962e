"""Over the limit, a person gets a translated 429 page with Retry-After."""
from .helpers import page_text, sign


def test_signing_over_the_limit_gets_a_translated_429(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="2 per minute", RATELIMIT_SIGN_EMAIL="100 per minute")
    client = app.test_client()
    statuses = [sign(client, lang="ru", email=f"r{i}@example.org").status_code for i in range(3)]
    assert statuses == [303, 303, 429]
    response = sign(client, lang="ru", email="r9@example.org")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = page_text(response)
    assert 'lang="ru"' in html and "Too many requests" not in html


def test_one_address_is_limited_separately_from_the_connection(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="100 per minute", RATELIMIT_SIGN_EMAIL="2 per hour")
    client = app.test_client()
    statuses = [sign(client, email="Same@example.org").status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    assert sign(client, email="other@example.org").status_code == 303


def test_the_api_over_its_limit_answers_json_with_retry_after(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_API="2 per minute")
    client = app.test_client()
    assert [client.get("/api/v1/petitions/free-them/count").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/petitions/free-them/count")
    assert response.status_code == 429
    assert response.get_json()["status"] == 429 and int(response.headers["Retry-After"]) > 0
