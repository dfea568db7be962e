"""Small things from the organisers' walkthrough: a two-factor key that holds still, a password rule shown up front."""
import re

import pyotp

from petitions.extensions import db
from petitions.models import Account

from ..helpers import PASSWORD, page_text, sign_in


def _shown_key(client):
    page = page_text(client.get("/organiser/account/two-factor"))
    return re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)


def test_the_two_factor_setup_key_stays_the_same_across_reloads_until_used(client, make_member):
    account = make_member()
    sign_in(client, account)
    first = _shown_key(client)
    assert _shown_key(client) == first  # a reload after scanning keeps the scanned key valid
    client.post("/organiser/account/two-factor", data={"code": "000000", "password": PASSWORD})
    assert _shown_key(client) == first  # a wrong code does not change it either
    response = client.post("/organiser/account/two-factor", data={"code": pyotp.TOTP(first).now(), "password": PASSWORD})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Account, account.id).totp_secret == first


def test_a_new_setup_after_the_key_was_used_gets_a_new_key(client, make_member):
    account = make_member()
    sign_in(client, account)
    first = _shown_key(client)
    client.post("/organiser/account/two-factor", data={"code": pyotp.TOTP(first).now(), "password": PASSWORD})
    with client.session_transaction() as session:
        assert "totp_setup_secret" not in session


def test_the_password_rule_is_shown_before_the_first_try(app, client, make_member):
    sign_in(client, make_member())
    page = page_text(client.get("/organiser/account"))
    assert '<p class="hint" id="password-new-hint">Use at least 12 characters.</p>' in page
    assert 'aria-describedby="password-new-hint"' in page
    short = page_text(client.post("/organiser/account", data={"password-current": PASSWORD, "password-new": "short"}))
    assert 'aria-describedby="password-new-hint password-new-error"' in short
