"""Forged cross-site submissions are refused without session tokens, so pages can be cached and framed."""
import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Signature, SignatureStatus

from ..helpers import confirm, last_confirm_path, page_text, queued_to, sign, signature_count


@pytest.fixture
def strict_app(make_app, petition):
    # Session tokens switched on, as in production, to show supporters' forms do not need them.
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site too
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
])
def test_a_submission_another_site_made_the_browser_send_is_refused_and_stores_nothing(strict_app, headers):
    response = sign(strict_app.test_client(), lang="de", headers=headers)
    assert response.status_code == 403
    html = page_text(response)
    assert 'lang="de"' in html and "another website" not in html  # the message is in German too
    with strict_app.app_context():
        assert signature_count() == 0


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "same-origin", "Origin": "http://petitions.test"},
    {"Origin": "http://petitions.test"},  # a browser too old for Sec-Fetch-Site
    {"Origin": "http://localhost"},  # the host this request reached, e.g. behind a proxy
    {},  # no browser at all: forging a request needs a victim's browser
])
def test_a_submission_from_our_own_page_is_accepted_without_any_session_token(strict_app, headers):
    assert sign(strict_app.test_client(), headers=headers).status_code == 200
    with strict_app.app_context():
        assert signature_count() == 1


def test_supporters_pages_set_no_cookie_so_one_cached_copy_serves_everyone(strict_app):
    first = strict_app.test_client()
    response = first.get("/en/p/free-them")
    assert "Set-Cookie" not in response.headers
    assert 'name="csrf_token"' not in page_text(response)
    # Two different people post the very same cached page.
    for n, client in enumerate((first, strict_app.test_client())):
        assert sign(client, email=f"p{n}@example.org", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    with strict_app.app_context():
        assert signature_count() == 2


def test_a_forged_withdrawal_leaves_the_signature_in_place(strict_app):
    client = strict_app.test_client()
    sign(client)
    with strict_app.app_context():
        confirm(client, last_confirm_path("ada@example.org"))
        withdraw = next(line for line in queued_to("ada@example.org")[-1].text_body.split()
                        if "/withdraw/" in line)
    path = withdraw.split("petitions.test", 1)[1]
    assert client.post(path, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    with strict_app.app_context():
        assert db.session.scalar(select(Signature.status)) == SignatureStatus.CONFIRMED
    assert client.post(path, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    with strict_app.app_context():
        assert db.session.scalar(select(Signature.status)) != SignatureStatus.CONFIRMED


def test_organiser_forms_still_need_their_session_token(strict_app):
    # Same-origin headers are not enough where a session is involved: the token is checked too.
    response = strict_app.test_client().post("/organiser/sign-in", data={"email": "a@b.example", "password": "x"},
                                             headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 400


def test_cross_site_organiser_requests_are_refused_before_anything_else(strict_app):
    response = strict_app.test_client().post("/organiser/sign-in", data={}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
