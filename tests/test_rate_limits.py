"""Over the limit, a person gets a translated 429 page with Retry-After."""
from .helpers import page_text, sign


def test_signing_over_the_limit_gets_a_translated_429(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="2 per minute", RATELIMIT_SIGN_EMAIL="100 per minute")
    client = app.test_client()
    statuses = [sign(client, lang="ru", email=f"r{i}@example.org").status_code for i in range(3)]
    assert statuses == [200, 200, 429]
    response = sign(client, lang="ru", email="r9@example.org")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = page_text(response)
    assert 'lang="ru"' in html and "Too many requests" not in html


def test_one_address_is_limited_separately_from_the_connection(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="100 per minute", RATELIMIT_SIGN_EMAIL="2 per hour")
    client = app.test_client()
    statuses = [sign(client, email="Same@example.org").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert sign(client, email="other@example.org").status_code == 200


def test_the_api_over_its_limit_answers_json_with_retry_after(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_API="2 per minute")
    client = app.test_client()
    assert [client.get("/api/v1/petitions/free-them/count").status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/petitions/free-them/count")
    assert response.status_code == 429
    assert response.get_json()["status"] == 429 and int(response.headers["Retry-After"]) > 0


def _failed_sign_in(client, address):
    return client.post("/organiser/sign-in", data={"email": "nobody@x.example", "password": "wrong wrong"},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_ipv6_clients_are_limited_per_64_network_and_ipv4_clients_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN="3 per hour", RATELIMIT_SIGN_IN_ACCOUNT="100 per hour")
    client = app.test_client()
    # A new address from the same /64 for every attempt does not escape the limit.
    same_network = [f"2001:db8:aa:bb:{i:x}::{i + 1:x}" for i in range(4)]
    assert [_failed_sign_in(client, address) for address in same_network] == [200, 200, 200, 429]
    assert _failed_sign_in(client, "2001:db8:aa:bc::1") == 200  # the next /64 is someone else
    assert [_failed_sign_in(client, f"192.0.2.{i}") for i in range(1, 5)] == [200, 200, 200, 200]


def test_client_network_groups_ipv6_by_64_and_keeps_ipv4_addresses_apart():
    from petitions.ratelimits import client_network

    assert client_network("2001:db8:1:2:aaaa::1") == client_network("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_network("2001:db8:1:3::1") != client_network("2001:db8:1:2::1")
    assert client_network("192.0.2.1") != client_network("192.0.2.2")
    assert client_network("::ffff:192.0.2.1") == "192.0.2.1"  # an IPv4 client seen through an IPv6 socket
    assert client_network("not an address") == "not an address"
