"""Getting back in: "Forgot your password?" by email, and recovery codes for a lost phone."""
import re

from sqlalchemy import select

from petitions.accounts import services as accounts
from petitions.extensions import db
from petitions.models import Account, AuditEvent, OutboxMessage, RecoveryCode
from petitions.tokens import invitation_tokens, password_reset_tokens

from ..helpers import PASSWORD, page_text, queued_to, sign_in, totp_code
from .test_sessions import enrol, shown_codes

NEW_PASSWORD = "a brand new long passphrase"


def _ask_for_reset(client, address):
    return client.post("/organiser/sign-in/forgot", data={"email": address})


def _reset_link(address):
    message = queued_to(address)[-1]
    assert message.kind == "password_reset"
    return re.search(r"https?://[^/\s]+(/organiser/reset/[A-Za-z0-9_.\-]+)", message.text_body).group(1)


def _password_works(app, account, password):
    response = app.test_client().post("/organiser/sign-in", data={"email": account.email, "password": password})
    return response.status_code == 302


# --- forgot your password ------------------------------------------------------------------------

def test_sign_in_page_offers_the_forgotten_password_page(client):
    page = page_text(client.get("/organiser/sign-in"))
    assert 'href="/organiser/sign-in/forgot"' in page
    assert client.get("/organiser/sign-in/forgot").status_code == 200


def test_forgotten_password_end_to_end_through_the_outbox(app, make_member):
    account = make_member(language="de")
    other = app.test_client()
    sign_in(other, account)  # a session elsewhere, which the reset ends
    client = app.test_client()
    response = _ask_for_reset(client, "Owner@Rights.example")
    assert response.status_code == 200 and "If an account uses this address" in page_text(response)
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
    assert row.context["language"] == "de"
    link = _reset_link(account.email)
    assert "60" in queued_to(account.email)[-1].text_body  # minutes the link works
    # Fetching the link (as a mail scanner does) shows the form and changes nothing.
    assert client.get(link).status_code == 200
    assert _password_works(app, account, PASSWORD)
    response = client.post(link, data={"new": NEW_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/organiser/sign-in")
    assert client.get("/organiser/").status_code == 302  # not signed in by the link itself
    assert other.get("/organiser/").status_code == 302  # every other session ended
    assert not _password_works(app, account, PASSWORD)
    assert _password_works(app, account, NEW_PASSWORD)
    assert "password.reset" in db.session.scalars(select(AuditEvent.action)).all()


def test_an_unknown_address_gets_the_same_answer_and_no_email(app, make_member):
    make_member()
    known = _ask_for_reset(app.test_client(), "owner@rights.example")
    unknown = _ask_for_reset(app.test_client(), "nobody@rights.example")
    assert known.status_code == unknown.status_code == 200
    strip = lambda response: re.sub(r'name="csrf_token"[^>]*', "", page_text(response))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert queued_to("nobody@rights.example") == []
    assert len(queued_to("owner@rights.example")) == 1


def test_the_reset_link_works_once(app, client, make_member):
    account = make_member()
    _ask_for_reset(client, account.email)
    link = _reset_link(account.email)
    assert client.post(link, data={"new": NEW_PASSWORD}).status_code == 302
    again = app.test_client()
    assert again.get(link).status_code == 404
    assert again.post(link, data={"new": "the attacker's own password"}).status_code == 404
    assert _password_works(app, account, NEW_PASSWORD)


def test_a_reset_link_dies_when_the_password_is_changed_another_way(app, client, make_member):
    account = make_member()
    _ask_for_reset(client, account.email)
    link = _reset_link(account.email)
    sign_in(client, account)
    client.post("/organiser/account", data={"password-current": PASSWORD, "password-new": NEW_PASSWORD})
    assert app.test_client().get(link).status_code == 404


def test_reset_links_expire_and_other_tokens_do_not_work(app, client, make_member):
    account = make_member()
    _ask_for_reset(client, account.email)
    link = _reset_link(account.email)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(link).status_code == 404
    app.config["PASSWORD_RESET_MAX_AGE"] = 3600
    payload = password_reset_tokens(app).read(link.rsplit("/", 1)[1])
    forged = invitation_tokens(app).make(payload)
    assert client.get(f"/organiser/reset/{forged}").status_code == 404
    assert client.get("/organiser/reset/not-a-token").status_code == 404


def test_a_short_new_password_is_refused_and_the_link_still_works(app, client, make_member):
    account = make_member()
    _ask_for_reset(client, account.email)
    link = _reset_link(account.email)
    response = client.post(link, data={"new": "short"})
    assert response.status_code == 400 and "Use at least 12 characters." in page_text(response)
    assert _password_works(app, account, PASSWORD)
    assert client.get(link).status_code == 200


def test_a_reset_does_not_bypass_two_factor(app, client, make_member):
    account = make_member(totp=True)
    _ask_for_reset(client, account.email)
    client.post(_reset_link(account.email), data={"new": NEW_PASSWORD})
    response = client.post("/organiser/sign-in", data={"email": account.email, "password": NEW_PASSWORD})
    assert "/organiser/sign-in/code" in response.location
    assert client.get("/organiser/").status_code == 302
    assert client.post(response.location, data={"code": totp_code(account)}).status_code == 302
    assert client.get("/organiser/").status_code == 200


def test_asking_for_resets_is_limited_per_address(make_app, make_member):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PASSWORD_RESET="100 per hour", RATELIMIT_PASSWORD_RESET_EMAIL="2 per hour")
    with app.app_context():
        make_member()
        statuses = [_ask_for_reset(app.test_client(), "owner@rights.example").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert _ask_for_reset(app.test_client(), "other@rights.example").status_code == 200
        assert len(queued_to("owner@rights.example")) == 2


def test_asking_for_resets_is_limited_per_client(make_app, make_member):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PASSWORD_RESET="2 per hour", RATELIMIT_PASSWORD_RESET_EMAIL="100 per hour")
    with app.app_context():
        client = app.test_client()
        statuses = [_ask_for_reset(client, f"u{i}@rights.example").status_code for i in range(3)]
        assert statuses == [200, 200, 429]


# --- recovery codes --------------------------------------------------------------------------------

def _enrolled(client, make_member):
    account = make_member()
    sign_in(client, account)
    _secret, response = enrol(client)
    codes = shown_codes(response)
    assert len(codes) == 10 and len(set(codes)) == 10
    return account, codes


def _code_step(app, account):
    client = app.test_client()
    response = client.post("/organiser/sign-in", data={"email": account.email, "password": PASSWORD})
    assert "/organiser/sign-in/code" in response.location
    return client


def test_recovery_codes_are_stored_only_as_salted_keyed_hashes(client, make_member):
    account, codes = _enrolled(client, make_member)
    stored = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.account_id == account.id)).all()
    assert len(stored) == 10
    for code in codes:
        assert not any(code.replace("-", "") in row or code in row for row in stored)
    assert all(row.startswith("hmac-sha256$") for row in stored)
    assert len({row.split("$")[1] for row in stored}) == 10  # a salt of its own per code


def test_a_recovery_code_signs_in_instead_of_the_app_once(app, client, make_member):
    account, codes = _enrolled(client, make_member)
    first = _code_step(app, account)
    response = first.post("/organiser/sign-in/code", data={"code": codes[3].upper().replace("-", " ")},
                          follow_redirects=True)
    assert response.status_code == 200 and "You used a recovery code. 9 are left." in page_text(response)
    assert first.get("/organiser/").status_code == 200
    second = _code_step(app, account)
    response = second.post("/organiser/sign-in/code", data={"code": codes[3]})
    assert "That code is not right" in page_text(response)
    assert second.get("/organiser/").status_code == 302
    assert "9 recovery codes left." in page_text(first.get("/organiser/account"))
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == "sign_in.recovery_code"


def test_new_recovery_codes_need_the_password_and_void_the_old_ones(app, client, make_member):
    account, old = _enrolled(client, make_member)
    refused = client.post("/organiser/account/two-factor/recovery-codes",
                          data={"codes-password": "not my password", "codes-code": old[9]})
    assert refused.status_code == 400 and shown_codes(refused) == []
    response = client.post("/organiser/account/two-factor/recovery-codes",
                           data={"codes-password": PASSWORD, "codes-code": old[9]})
    new = shown_codes(response)
    assert len(new) == 10 and not set(new) & set(old)
    voided = _code_step(app, account).post("/organiser/sign-in/code", data={"code": old[0]})
    assert voided.status_code == 200 and "That code is not right" in page_text(voided)
    assert _code_step(app, account).post("/organiser/sign-in/code", data={"code": new[0]}).status_code == 302


def test_with_the_phone_lost_a_recovery_code_turns_two_factor_off(app, client, make_member):
    account, codes = _enrolled(client, make_member)
    response = client.post("/organiser/account/two-factor/off", data={"off-password": PASSWORD, "off-code": codes[0]})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Account, account.id).has_totp
    assert accounts.recovery_codes_left(account) == 0
