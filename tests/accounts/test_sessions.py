"""The second step of signing in, signing out, two-factor on and off, and what the audit log records."""
import re
import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from petitions.accounts import services as accounts
from petitions.extensions import db
from petitions.models import Account, AuditEvent, utcnow

from ..helpers import PASSWORD, page_text, sign_in, totp_code

WRONG = "000000"


def _wrong_code(account):
    return WRONG if totp_code(account) != WRONG and totp_code(account, 1) != WRONG else "111111"


def _password_step(client, account):
    response = client.post("/organiser/sign-in", data={"email": account.email, "password": PASSWORD})
    assert "/organiser/sign-in/code" in response.location
    return response


def enrol(client, password=PASSWORD):
    """Turn on two-factor through the pages; returns (secret, response)."""
    page = page_text(client.get("/organiser/account/two-factor"))
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    response = client.post("/organiser/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "password": password})
    return secret, response


def shown_codes(response):
    return re.findall(r"<code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code>", page_text(response))


def actions(organisation_id=None):
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    return db.session.scalars(query).all()


# --- the code step cannot be brute-forced ---------------------------------------------------------

def test_wrong_codes_with_a_made_up_email_field_are_still_limited_per_account(make_app, make_member):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN_ACCOUNT="3 per hour", RATELIMIT_SIGN_IN="100 per hour",
                   SECOND_STEP_MAX_FAILURES=100)
    with app.app_context():
        account = make_member(totp=True)
        client = app.test_client()
        _password_step(client, account)
        statuses = [client.post("/organiser/sign-in/code", data={
            "code": _wrong_code(account), "email": f"{secrets.token_hex(6)}@random.example"}).status_code
            for _ in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_wrong_codes_and_wrong_passwords_share_one_allowance_per_account(make_app, make_member):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN_ACCOUNT="3 per hour", RATELIMIT_SIGN_IN="100 per hour",
                   SECOND_STEP_MAX_FAILURES=100)
    with app.app_context():
        account = make_member(totp=True)
        for _ in range(2):
            app.test_client().post("/organiser/sign-in", data={"email": account.email, "password": "wrong wrong wrong"})
        client = app.test_client()
        _password_step(client, account)
        assert client.post("/organiser/sign-in/code", data={"code": _wrong_code(account)}).status_code == 200
        assert client.post("/organiser/sign-in/code", data={"code": totp_code(account)}).status_code == 429


def test_too_many_wrong_codes_end_the_pending_sign_in_even_for_a_copied_cookie(app, make_member):
    app.config["SECOND_STEP_MAX_FAILURES"] = 3
    account = make_member(totp=True)
    client = app.test_client()
    _password_step(client, account)
    pending_cookie = client.get_cookie("session").value
    for _ in range(2):
        response = client.post("/organiser/sign-in/code", data={"code": _wrong_code(account)})
        assert response.status_code == 200 and "That code is not right" in page_text(response)
    response = client.post("/organiser/sign-in/code", data={"code": _wrong_code(account)}, follow_redirects=True)
    assert "Too many wrong codes. Wait 15 minutes, then sign in with your password again." in page_text(response)
    # The right code no longer helps, not even from a copy of the cookie made while the step was open.
    copy = app.test_client()
    copy.set_cookie("session", pending_cookie)
    response = copy.post("/organiser/sign-in/code", data={"code": totp_code(account)})
    assert response.status_code == 302 and response.location.endswith("/organiser/sign-in")
    assert copy.get("/organiser/").status_code == 302
    db.session.expire_all()
    assert db.session.get(Account, account.id).second_step_failures == 3
    assert actions().count("sign_in.locked") == 1
    # The password again does not open a new allowance: within the window no code step opens.
    again = app.test_client()
    response = again.post("/organiser/sign-in", data={"email": account.email, "password": PASSWORD},
                          follow_redirects=True)
    assert "Too many wrong codes. Wait 15 minutes" in page_text(response)
    response = again.post("/organiser/sign-in/code", data={"code": totp_code(account)})
    assert response.location.endswith("/organiser/sign-in") and again.get("/organiser/").status_code == 302
    # Once the window has passed since the last try, the password and the right code sign in.
    db.session.execute(update(Account).where(Account.id == account.id).values(
        second_step_failed_at=utcnow() - timedelta(seconds=app.config["SECOND_STEP_WINDOW_SECONDS"] + 1)))
    db.session.commit()
    assert sign_in(app.test_client(), account).location.endswith("/organiser/")
    db.session.expire_all()
    assert db.session.get(Account, account.id).second_step_failures == 0


def test_a_right_code_resets_the_count_of_wrong_ones(client, make_member):
    account = make_member(totp=True)
    _password_step(client, account)
    client.post("/organiser/sign-in/code", data={"code": _wrong_code(account)})
    assert db.session.get(Account, account.id).second_step_failures == 1
    assert client.post("/organiser/sign-in/code", data={"code": totp_code(account)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Account, account.id).second_step_failures == 0


# --- signing out --------------------------------------------------------------------------------

def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(app, make_member):
    account = make_member()
    client = app.test_client()
    sign_in(client, account)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/organiser/").status_code == 200
    client.post("/organiser/sign-out")
    assert thief.get("/organiser/").status_code == 302


def test_sign_out_everywhere_ends_every_session(app, make_member):
    account = make_member()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, account)
    sign_in(phone, account)
    assert "Sign out everywhere" in page_text(laptop.get("/organiser/account"))
    response = laptop.post("/organiser/account/sign-out-everywhere", follow_redirects=True)
    assert "You are signed out on every device." in page_text(response)
    assert laptop.get("/organiser/").status_code == 302
    assert phone.get("/organiser/").status_code == 302
    assert sign_in(app.test_client(), account).location.endswith("/organiser/")


# --- turning two-factor on and off -----------------------------------------------------------------

def test_enrolling_an_authenticator_needs_the_password(client, make_member, make_petition):
    make_petition()
    account = make_member(role="editor")
    sign_in(client, account)
    for password in ("", "not my password at all"):
        secret, response = enrol(client, password=password)
        assert response.status_code == 400
        db.session.expire_all()
        assert not db.session.get(Account, account.id).has_totp
    # The refused enrolment did not count as a fresh second factor: exporting is still closed.
    page = page_text(client.get("/organiser/p/free-them/export"))
    assert "Turn on two-factor authentication" in page
    secret, response = enrol(client)
    assert response.status_code == 200 and len(shown_codes(response)) == 10
    db.session.expire_all()
    assert db.session.get(Account, account.id).totp_secret == secret


def test_turning_two_factor_off_needs_the_password_and_a_code(client, make_member):
    account = make_member(totp=True)
    sign_in(client, account)
    refused = [
        {"off-password": PASSWORD, "off-code": _wrong_code(account)},
        {"off-password": "not my password at all", "off-code": totp_code(account, 1)},
        {"off-code": totp_code(account, 1)},
    ]
    for data in refused:
        assert client.post("/organiser/account/two-factor/off", data=data).status_code == 400
        db.session.expire_all()
        assert db.session.get(Account, account.id).has_totp
    response = client.post("/organiser/account/two-factor/off",
                           data={"off-password": PASSWORD, "off-code": totp_code(account, 1)})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(Account, account.id).has_totp


# --- the audit log ---------------------------------------------------------------------------------

def test_sign_ins_and_changes_to_factors_are_written_to_every_organisation_of_the_account(app, make_member):
    account = make_member()
    make_member(organisation="Second Group")  # the same account, owner of a second organisation
    first, second = (m.organisation_id for m in sorted(account.memberships, key=lambda m: m.organisation_id))
    client = app.test_client()
    sign_in(client, account)
    _secret, response = enrol(client)
    codes = shown_codes(response)
    client.post("/organiser/account/two-factor/recovery-codes", data={"codes-password": PASSWORD, "codes-code": codes[1]})
    client.post("/organiser/account", data={"password-current": PASSWORD, "password-new": "a new and long passphrase"})
    other = app.test_client()
    other.post("/organiser/sign-in", data={"email": account.email, "password": "a new and long passphrase"})
    other.post("/organiser/sign-in/code", data={"code": _wrong_code(db.session.get(Account, account.id))})
    db.session.expire_all()
    other.post("/organiser/sign-in/code", data={"code": totp_code(db.session.get(Account, account.id), 1)})
    third = app.test_client()
    third.post("/organiser/sign-in", data={"email": account.email, "password": "a new and long passphrase"})
    third.post("/organiser/sign-in/code", data={"code": codes[0]})  # voided by the new codes
    expected = ["sign_in.password", "two_factor.on", "recovery_codes.new", "password.change", "sign_in.totp"]
    assert actions(first) == expected
    assert actions(second) == expected
    page = page_text(client.get(f"/organiser/org/{first}/audit"))
    assert "Signed in with a password and a code from the app" in page and "Made new recovery codes" in page


def test_audit_log_paging_with_an_absurd_number_is_a_404_not_a_crash(client, make_member):
    owner = make_member()
    org_id = owner.memberships[0].organisation_id
    sign_in(client, owner)
    for before in ("99999999999999999999999", str(2**31), "-5", "0"):
        assert client.get(f"/organiser/org/{org_id}/audit?before={before}").status_code == 404, before
    assert client.get(f"/organiser/org/{org_id}/audit?before={2**31 - 1}").status_code == 200
    assert client.get(f"/organiser/org/{org_id}/audit?before=soon").status_code == 200


def test_record_sign_in_refuses_an_unknown_method(app, make_member):
    import pytest

    with pytest.raises(ValueError):
        accounts.record_sign_in(make_member(), "magic")
