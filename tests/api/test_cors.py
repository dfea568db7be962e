"""CORS: any site may read /api/v1 from a browser, without credentials; nothing else is shared."""
import pytest

API_PATHS = [
    "/api/v1/petitions",
    "/api/v1/petitions/free-them",
    "/api/v1/petitions/free-them/count",
    "/api/v1/petitions/end-repression/signatories",
    "/api/v1/openapi.json",
]
PREFLIGHT = {"Origin": "https://friends.example", "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "accept"}


@pytest.fixture
def petition_and_letter(petition, make_petition):
    make_petition(slug="end-repression", kind="letter")


@pytest.mark.parametrize("path", API_PATHS)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_every_api_read_allows_any_origin_without_credentials(client, petition_and_letter, path, method):
    response = client.open(path, method=method, headers={"Origin": "https://friends.example"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert "Retry-After" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("path", ["/api/v1/petitions/nope", "/api/v1/petitions/nope/count", "/api/v1/no-such-thing",
                                  "/api/v1/petitions?page=0"])
def test_api_errors_are_readable_cross_site_too(client, path):
    response = client.get(path, headers={"Origin": "https://friends.example"})
    assert response.status_code in (400, 404) and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", API_PATHS)
def test_a_preflight_is_answered_with_204_and_may_be_cached(client, petition_and_letter, path):
    response = client.options(path, headers=PREFLIGHT)
    assert response.status_code == 204 and response.data == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert int(response.headers["Access-Control-Max-Age"]) >= 600
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflights_are_not_counted_by_the_rate_limit(make_app, petition_and_letter):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_API="3 per minute")
    client = app.test_client()
    for _ in range(10):
        assert client.options("/api/v1/petitions", headers=PREFLIGHT).status_code == 204
    responses = [client.get("/api/v1/petitions") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    limited = responses[-1]
    assert limited.headers["Access-Control-Allow-Origin"] == "*"
    assert limited.get_json()["error"] == "rate_limited" and "Retry-After" in limited.headers


@pytest.mark.parametrize("path", ["/p/free-them", "/en/p/free-them", "/", "/organiser/sign-in", "/api-not/v1"])
def test_nothing_outside_the_api_is_shared_cross_site(client, petition, path):
    for response in (client.get(path, headers={"Origin": "https://friends.example"}),
                     client.options(path, headers=PREFLIGHT)):
        assert not any(name.startswith("Access-Control-") for name in response.headers.keys()), (path, response.headers)


def test_the_api_refuses_writes_with_a_json_405_that_says_what_it_allows(client, petition):
    response = client.post("/api/v1/petitions/free-them")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}
