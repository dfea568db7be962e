"""What the attacker's review of the hardening found, each fixed: one test (or more) per finding."""
import re
import secrets
import socket
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update

from petitions.accounts import services as accounts
from petitions.config import weak_key_problem
from petitions.exports.delivery import csv_chunks
from petitions.extensions import db
from petitions.models import Account, LetterSignatory, OutboxMessage, Signature, utcnow
from petitions.plaintext import single_line
from petitions.signing import forms as signing_forms
from petitions.signing.forms import contains_address

from .helpers import PASSWORD, page_text, queued_to, run_in_threads, served_stamp, sign, sign_in, totp_code

OWNER = "owner@rights.example"
# The owner's address with an invisible character inside, which the forms' filter used to drop after
# the rate limiter had counted it as another address.
DISGUISED = ["owner@rights.exam\x01ple", "owner@rights.exam\u200bple"]


def _wrong_code(account):
    return next(code for code in ("000000", "111111", "222222")
                if code not in (totp_code(account), totp_code(account, -1), totp_code(account, 1)))


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


# --- 2. rate-limit keys are built from the address as the forms see it ----------------------------

@pytest.mark.parametrize("disguised", DISGUISED)
def test_an_address_with_an_invisible_character_uses_up_the_real_accounts_sign_in_allowance(make_app, make_member,
                                                                                            disguised):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN="100 per hour", RATELIMIT_SIGN_IN_ACCOUNT="2 per hour")
    with app.app_context():
        make_member()
        for _ in range(2):
            assert app.test_client().post("/organiser/sign-in", data={
                "email": OWNER, "password": "wrong wrong wrong"}).status_code == 200
        response = app.test_client().post("/organiser/sign-in", data={"email": disguised, "password": PASSWORD})
        assert response.status_code == 429


@pytest.mark.parametrize("disguised", DISGUISED)
def test_an_address_with_an_invisible_character_does_not_sign_in(app, make_member, disguised):
    make_member()
    client = app.test_client()
    response = client.post("/organiser/sign-in", data={"email": disguised, "password": PASSWORD})
    assert response.status_code != 302
    assert "Please enter a valid email address" in page_text(response)
    assert client.get("/organiser/").status_code == 302


@pytest.mark.parametrize("disguised", DISGUISED)
def test_reset_requests_for_a_disguised_address_count_against_the_real_one_and_send_nothing(make_app, make_member,
                                                                                          disguised):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PASSWORD_RESET="100 per hour",
                   RATELIMIT_PASSWORD_RESET_EMAIL="1 per hour")
    with app.app_context():
        make_member()
        client = app.test_client()
        assert client.post("/organiser/sign-in/forgot", data={"email": OWNER}).status_code == 200
        assert client.post("/organiser/sign-in/forgot", data={"email": disguised}).status_code == 429
        assert len(queued_to(OWNER)) == 1


def test_a_disguised_address_asking_for_a_reset_is_refused(app, make_member):
    make_member()
    response = app.test_client().post("/organiser/sign-in/forgot", data={"email": DISGUISED[0]})
    assert response.status_code == 400 and "Please enter a valid email address" in page_text(response)
    assert queued_to(OWNER) == []


@pytest.mark.parametrize("disguised", ["ada@exam\x01ple.org", "ada@exam\u200bple.org"])
def test_erasure_requests_for_a_disguised_address_share_the_real_addresses_limit(make_app, disguised):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_ERASE="100 per hour", RATELIMIT_ERASE_EMAIL="1 per hour")
    with app.app_context():
        client = app.test_client()
        assert client.post("/en/my-data", data={"email": "ada@example.org"}).status_code == 200
        assert client.post("/en/my-data", data={"email": disguised}).status_code == 429


@pytest.mark.parametrize("disguised", ["ada@exam\x01ple.org", "ada@exam\u200bple.org"])
def test_signing_with_a_disguised_address_shares_the_real_addresses_limit(make_app, disguised, make_petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="100 per hour", RATELIMIT_SIGN_EMAIL="1 per hour")
    with app.app_context():
        make_petition()
        client = app.test_client()
        assert sign(client, email="ada@example.org").status_code == 200
        assert sign(client, email=disguised).status_code == 429


@pytest.mark.parametrize("disguised", ["ada@exam\x01ple.org", "ada@exam\u200bple.org", "ada\u202e@example.org"])
def test_signing_with_an_invisible_character_in_the_address_is_refused(client, petition, disguised):
    response = sign(client, email=disguised)
    assert response.status_code == 400 and "Please enter a valid email address" in page_text(response)
    assert _count(Signature) == 0


# --- 3. "forgot your password" does the same work for every address --------------------------------

def _rows_by_table():
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _rows_added_by_reset_request(app, address):
    before = _rows_by_table()
    assert app.test_client().post("/organiser/sign-in/forgot", data={"email": address}).status_code == 200
    db.session.expire_all()
    after = _rows_by_table()
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def test_a_reset_request_writes_the_same_rows_for_known_and_unknown_addresses(app, make_member):
    make_member()
    known = _rows_added_by_reset_request(app, OWNER)
    unknown = _rows_added_by_reset_request(app, "nobody@rights.example")
    assert known == unknown == {"outbox_messages": 1}
    # The unknown address's row is already "sent", names no one and says nothing: no mail goes out.
    decoy = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert decoy.sent_at is not None and decoy.recipient == "" and decoy.context is None
    assert queued_to("nobody@rights.example") == []
    assert len(queued_to(OWNER)) == 1


# --- 4. names cannot hide an address -----------------------------------------------------------------

HIDDEN_ADDRESSES = [
    "Anna paypal\u200b.com", "evil\u00ad.com", "evil\u2060.com", "Ivan x@evil\u200b.com", "Secure-Login.Support",
    "Evil.Zone", "site.NETWORK", "Bob EVIL\u2024COM", "evil\ufe52com", "\uff25\uff36\uff29\uff2c\uff0e\uff23\uff2f\uff2d",
    "evil\uff61com", "Mr.Bond",
]
PLAIN_NAMES = [
    "A. B. Smith", "J.R.R. Tolkien", "St. John", "Mr.Smith", "Алесь Бяляцкі", "Анна.Мария", "А. С. Пушкин",
    "Ms. Kim", "محمد\u200cرضا", "Jürgen Groß",
]


@pytest.mark.parametrize("text", HIDDEN_ADDRESSES)
def test_addresses_hidden_by_invisible_characters_look_alike_dots_or_capitals_are_recognised(text):
    assert contains_address(text)


@pytest.mark.parametrize("text", PLAIN_NAMES)
def test_names_with_initials_titles_and_other_scripts_stay_allowed(text):
    assert not contains_address(text)


def test_a_name_loses_bidi_overrides_and_invisible_characters_but_keeps_joiners():
    assert single_line("Anna \u202emoc.live\u202c") == "Anna moc.live"
    assert single_line("pay\u200bpal\u2060") == "paypal"
    assert single_line("محمد\u200cرضا") == "محمد\u200cرضا"


def test_the_list_of_top_level_domains_is_read_without_any_network_call(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network call")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    signing_forms.top_level_domains.cache_clear()
    tlds = signing_forms.top_level_domains()
    assert {"com", "zone", "support", "network", "рф"} <= tlds and "smith" not in tlds


def test_a_signer_name_hiding_an_address_is_refused_and_nothing_is_stored(client, petition):
    response = sign(client, full_name="Anna paypal\u200b.com")
    assert response.status_code == 400 and "Please enter a name without web or email addresses." in page_text(response)
    assert _count(Signature) == 0


# --- 5. wrong codes are limited in a rolling window that a right password does not reset -----------

@pytest.mark.commits
def test_parallel_guesses_after_the_right_password_check_no_more_codes_than_the_limit(make_app, make_member, monkeypatch):
    workers = 12
    app = make_app(SECOND_STEP_MAX_FAILURES=3,
                   SQLALCHEMY_ENGINE_OPTIONS={"pool_size": workers, "max_overflow": 4, "pool_pre_ping": True})
    with app.app_context():
        account_id = make_member(totp=True).id
        wrong = _wrong_code(db.session.get(Account, account_id))
    checked = []
    real_verify = accounts.verify_totp

    def counting_verify(account, code, now=None):
        checked.append(code)
        return real_verify(account, code, now)

    monkeypatch.setattr(accounts, "verify_totp", counting_verify)

    def guess(_i):
        # Each guess comes with the right password first, as a fresh sign-in would.
        with app.app_context():
            try:
                accounts.second_step(accounts.authenticate(OWNER, PASSWORD), wrong)
            except (accounts.InvalidCode, accounts.SecondStepLocked):
                pass
            db.session.commit()

    assert run_in_threads(guess, workers) == []
    assert len(checked) == 3
    with app.app_context():
        assert db.session.get(Account, account_id).second_step_failures == 3


def test_a_right_password_does_not_give_new_guesses_but_the_window_passing_does(app, make_member):
    app.config["SECOND_STEP_MAX_FAILURES"] = 2
    account = make_member(totp=True)
    wrong = _wrong_code(account)
    for _ in range(2):
        accounts.authenticate(OWNER, PASSWORD)  # the password again before every guess
        with pytest.raises((accounts.InvalidCode, accounts.SecondStepLocked)):
            accounts.second_step(account, wrong)
    accounts.authenticate(OWNER, PASSWORD)
    with pytest.raises(accounts.SecondStepLocked):
        accounts.second_step(account, totp_code(account))  # not even checked
    db.session.execute(update(Account).where(Account.id == account.id).values(
        second_step_failed_at=utcnow() - timedelta(seconds=app.config["SECOND_STEP_WINDOW_SECONDS"] + 1)))
    db.session.expire_all()
    account = db.session.get(Account, account.id)
    assert accounts.second_step(account, totp_code(account)) == accounts.SignInMethod.TOTP
    assert (account.second_step_failures, account.second_step_failed_at) == (0, None)


# --- 6. an impostor cannot hold a co-signer's address for good ---------------------------------------

def _sign_on(client, **fields):
    data = {"name": "Viasna Human Rights Centre", "country": "BY", "website": "https://spring96.org",
            "contact_name": "Ales", "contact_role": "Chair", "email": "ales@spring96.org", "title": "",
            "served": served_stamp(client.application), "website_hp": ""}
    data.update(fields)
    return client.post("/en/letter/end-repression/sign/organisation", data=data)


def test_after_a_day_the_real_co_signer_can_sign_on_with_their_own_details(app, client, make_petition):
    make_petition(slug="end-repression", kind="letter", languages=("en",))
    app.config["MAX_CONFIRMATION_SENDS"] = 3
    for _ in range(3):
        _sign_on(client, name="Impostor Front")
    _sign_on(client)  # the same day: nothing changes, nothing is sent
    row = db.session.scalar(select(LetterSignatory))
    assert (row.name, row.confirmation_sends, len(queued_to("ales@spring96.org"))) == ("Impostor Front", 3, 3)
    db.session.execute(update(LetterSignatory).values(confirmation_sent_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    assert _sign_on(client).status_code == 303
    db.session.expire_all()
    row = db.session.scalar(select(LetterSignatory))
    assert (row.name, row.confirmation_sends) == ("Viasna Human Rights Centre", 1)
    assert "Viasna Human Rights Centre" in queued_to("ales@spring96.org")[-1].text_body


# --- 8. new recovery codes need a current code too ----------------------------------------------------

def _enrolled(client, make_member):
    account = make_member()
    sign_in(client, account)
    page = page_text(client.get("/organiser/account/two-factor"))
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    client.post("/organiser/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "password": PASSWORD})
    db.session.expire_all()
    return db.session.get(Account, account.id)


def _codes_shown(response):
    return re.findall(r"<code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code>", page_text(response))


def test_new_recovery_codes_are_refused_with_the_password_alone_or_a_wrong_code(app, client, make_member):
    account = _enrolled(client, make_member)
    before = db.session.scalars(select(accounts.RecoveryCode.code_hash)).all()
    for data in ({"codes-password": PASSWORD}, {"codes-password": PASSWORD, "codes-code": _wrong_code(account)}):
        response = client.post("/organiser/account/two-factor/recovery-codes", data=data)
        assert response.status_code == 400 and _codes_shown(response) == []
    assert db.session.scalars(select(accounts.RecoveryCode.code_hash)).all() == before
    response = client.post("/organiser/account/two-factor/recovery-codes",
                           data={"codes-password": PASSWORD, "codes-code": totp_code(account, 1)})
    assert response.status_code == 200 and len(_codes_shown(response)) == 10


# --- 9. no part of a CSV cell starts a formula behind quotes or white space ---------------------------

@pytest.mark.parametrize("name", ['Ber;"=1+1', 'Ber;""=1+1', "Ber;\u00a0=1+1", "Ber;\u3000@SUM(A1)", 'Ber; " -2+3',
                                  '"=1+1'])
def test_a_formula_behind_quotes_or_any_white_space_is_neutralised(name):
    body = b"".join(csv_chunks([(name, "Berlin", "DE", "de", utcnow())])).decode("utf-8-sig")
    cell = body.splitlines()[1].split('","')[0][1:].replace('""', '"')
    for part in cell.split(";"):
        body_of_part = part.lstrip(' "\u00a0\u3000')
        assert not body_of_part.startswith(("=", "+", "-", "@")), cell
    assert cell.replace("'", "") == name


# --- 10. digits from other scripts are a wrong code, not an error --------------------------------------

@pytest.mark.parametrize("code", ["\u0661\u0662\u0663\u0664\u0665\u0666", "\u00b2" * 6])
def test_non_ascii_digits_as_a_code_are_a_wrong_code(app, make_member, code):
    account = make_member(totp=True)
    client = app.test_client()
    client.post("/organiser/sign-in", data={"email": account.email, "password": PASSWORD})
    response = client.post("/organiser/sign-in/code", data={"code": code})
    assert response.status_code == 200 and "That code is not right" in page_text(response)
    assert not accounts.looks_like_totp(code)


def test_non_ascii_digits_in_the_letter_order_form_change_nothing(app, client, make_member, make_petition):
    make_petition(slug="end-repression", kind="letter", languages=("en",))
    sign_in(client, make_member())
    for data in ({"mode": "custom", "position-\u00b2": "1"}, {"mode": "custom", "position-1": "\u00b2"},
                 {"mode": "custom", "position-1": "\u0661"}):
        response = client.post("/organiser/p/end-repression/signatories/order", data=data)
        assert response.status_code in (302, 303)


# --- 12. predictable keys are refused, random ones never ---------------------------------------------

@pytest.mark.parametrize("key", ["0123456789" * 4, "abcdefghijklmnopqrstuvwxyz0123456789",
                                 "The quick brown fox jumps over the lazy dog", "Zyxwvutsrqponmlkjihgfedcba9876543210",
                                 "my-secret-key-my-secret-key-my-secret-key"])
def test_predictable_keys_are_refused(key):
    assert weak_key_problem("SECRET_KEY", key)


def test_random_keys_always_pass():
    for _ in range(2000):
        assert weak_key_problem("SECRET_KEY", secrets.token_urlsafe(32)) is None
        assert weak_key_problem("HASH_KEY", secrets.token_hex(32)) is None


# --- 13, 14. the embedded sign form ------------------------------------------------------------------

def test_head_on_the_embedded_sign_form_signs_nothing(client, petition):
    data = {"full_name": "Ada Lovelace", "email": "ada@example.org", "country": "GB", "city": "",
            "served": served_stamp(client.application), "website": ""}
    response = client.open("/embed/en/p/free-them/sign", method="HEAD", data=data)
    assert response.status_code == 200
    assert _count(Signature) == 0 and queued_to("ada@example.org") == []


def test_the_embedded_check_inbox_page_is_never_stored(client, petition):
    response = client.get("/embed/en/p/free-them/check-inbox")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
