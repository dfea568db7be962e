"""Signers at risk: bot defence, no raw addresses, withdrawal, erasure and retention."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from petitions import counting, daily_keys, erasure, ratelimits, retention
from petitions.address_hashes import email_hash
from petitions.extensions import db
from petitions.mail.worker import deliver_all
from petitions.models import DailyKey, LetterSignatory, OutboxMessage, Petition, Signature, SignatureStatus, utcnow
from petitions.tokens import FormStamp

from .helpers import confirm, last_confirm_path, page_text, queued_to, read, sign, signature_count
from .smtp import text_part


# --- bot defence -------------------------------------------------------------------------

def test_a_filled_honeypot_is_dropped_silently(client, petition):
    response = sign(client, website="http://spam.example")
    assert response.status_code == 200 and "Check your inbox" in page_text(response)
    assert signature_count() == 0


@pytest.mark.parametrize("stamp", ["", "forged.stamp", None])
def test_a_missing_or_forged_form_stamp_stores_nothing_and_claims_no_email(client, petition, stamp):
    response = sign(client, served=stamp) if stamp is not None else client.post(
        "/en/p/free-them", data={"full_name": "Bot", "email": "bot@example.org", "country": "GB"})
    assert response.status_code == 400 and "Check your inbox" not in page_text(response)
    assert signature_count() == 0


def test_a_form_filled_faster_than_the_minimum_is_shown_again_and_stores_nothing(app, client, petition):
    app.config["FORM_MIN_SECONDS"] = 2
    fast = sign(client, served=FormStamp(app).make())
    assert fast.status_code == 400 and signature_count() == 0
    human = sign(client, served=FormStamp(app).make(at=utcnow().timestamp() - 3))
    assert human.status_code == 200 and signature_count() == 1


def test_disposable_addresses_are_refused_only_when_switched_on(app, client, petition):
    assert sign(client, email="someone@mailinator.com").status_code == 200
    app.config["BLOCK_DISPOSABLE_EMAILS"] = True
    refused = sign(client, email="other@mailinator.com")
    assert refused.status_code == 400 and "disposable email services" in page_text(refused)
    assert signature_count() == 1


# --- no raw client addresses ----------------------------------------------------------------

def _every_stored_value():
    values = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            values.extend(str(v) for v in row)
    return " ".join(values)


def test_raw_client_addresses_are_never_stored(client, petition):
    response = client.post("/en/p/free-them", environ_base={"REMOTE_ADDR": "203.0.113.77"}, data={
        "full_name": "Ada", "email": "ip@example.org", "country": "GB",
        "served": FormStamp(client.application).make(at=utcnow().timestamp() - 10)})
    assert response.status_code == 200
    assert db.session.scalar(select(Signature)) is not None
    stored = _every_stored_value()
    assert "203.0.113.77" not in stored
    # The day's hash of the client is kept with the signature alone, so a flood from one network can be
    # found, and only for FINGERPRINT_RETENTION_DAYS (tests/organiser/test_integrity.py checks the purge).
    # It is short, and made from the petition with the network: not the limiter's whole hash, which the same
    # day's key would let anyone holding a copy of the database turn back into the address.
    whole = daily_keys.client_hash(ratelimits.client_network("203.0.113.77"))
    fingerprint = db.session.scalar(select(Signature.client_hash))
    assert len(fingerprint) == 5 and whole not in stored
    assert fingerprint == daily_keys.client_hash(f"{petition.id}:203.0.113.77")[:5]


def test_the_client_hash_key_rotates_daily_and_old_keys_are_purged(app):
    today = utcnow()
    tomorrow = today + timedelta(days=1)
    assert daily_keys.client_hash("198.51.100.1", today) == daily_keys.client_hash("198.51.100.1", today)
    assert daily_keys.client_hash("198.51.100.1", today) != daily_keys.client_hash("198.51.100.1", tomorrow)
    retention.purge(now=tomorrow)
    db.session.commit()
    assert [k.day for k in db.session.scalars(select(DailyKey))] == [tomorrow.date()]


# --- the public list of signers ----------------------------------------------------------------

def _confirmed(client, **fields):
    sign(client, **fields)
    confirm(client, last_confirm_path(fields["email"]))


def test_recent_signers_show_only_those_who_opted_in_as_they_chose(client, petition):
    _confirmed(client, email="full@example.org", full_name="Maria Full", show_name="y", public_name="full",
               country="BY", city="Hrodna")
    _confirmed(client, email="init@example.org", full_name="Ivan Petrovich Init", show_name="y",
               public_name="initials", country="DE")
    _confirmed(client, email="hidden@example.org", full_name="Hidden Person", country="RU")
    html = page_text(client.get("/ru/p/free-them"))
    recent = re.search(r'<section class="recent".*?</section>', html, re.S).group(0)
    assert "Maria Full – Беларусь" in recent
    assert "I. P. I. – Германия" in recent
    assert "Hidden" not in html and "Ivan" not in html
    assert "Hrodna" not in html and not re.search(r"(full|init|hidden)@example\.org", html)


# --- withdrawal, end to end through the email -------------------------------------------------

def test_withdrawing_through_the_emailed_link(smtp_app, smtp_server, client, petition):
    sign(client, email="w@example.org", full_name="Will Withdraw", show_name="y")
    deliver_all()
    (confirmation,) = smtp_server.wait_for(1)
    body = text_part(confirmation)
    confirm_link = re.search(r"http://petitions\.test(/en/confirm/\S+)", body).group(1)
    withdraw = re.search(r"http://petitions\.test(/en/withdraw/\S+)", body).group(1)
    confirm(client, confirm_link)
    assert counting.confirmed_count(petition.id) == 1

    asking = client.get(withdraw)  # a link scanner's GET changes nothing
    assert asking.status_code == 200 and counting.confirmed_count(petition.id) == 1
    done = client.post(withdraw)
    assert done.status_code == 200 and "no longer counts" in page_text(done)
    assert counting.confirmed_count(petition.id) == 0
    signature = db.session.scalar(select(Signature))
    assert signature.status == SignatureStatus.WITHDRAWN
    assert (signature.email, signature.full_name, signature.email_hash) == ("", "", None)
    assert "Will Withdraw" not in page_text(client.get("/en/p/free-them"))
    again = client.post(withdraw)
    assert "already withdrawn" in page_text(again) and counting.confirmed_count(petition.id) == 0


def test_withdrawing_a_pending_signature_does_not_touch_the_count(client, petition):
    sign(client)
    message = read(db.session.scalar(select(OutboxMessage)))
    path = re.search(r"(/en/withdraw/\S+)", message.text_body).group(1)
    client.post(path)
    assert db.session.scalar(select(Signature)).status == SignatureStatus.WITHDRAWN
    assert counting.confirmed_count(petition.id) == 0
    # The address may sign again afterwards, and then counts.
    sign(client)
    confirm(client, last_confirm_path("ada@example.org"))
    assert counting.confirmed_count(petition.id) == 1


# --- erasure, end to end through the email ----------------------------------------------------

def test_erasing_everything_about_an_address(smtp_app, smtp_server, client, make_petition):
    first = make_petition(slug="first")
    second = make_petition(slug="second")
    sign(client, slug="first", email="erase.me@example.org")
    confirm(client, last_confirm_path("erase.me@example.org"))
    sign(client, slug="second", email="Erase.Me@example.org")
    sign(client, slug="second", email="keep@example.org")
    deliver_all()
    smtp_server.messages.clear()

    response = client.post("/de/my-data", data={"email": "ERASE.me@example.org"})
    assert response.status_code == 200
    deliver_all()
    (message,) = smtp_server.wait_for(1)
    assert message["To"].lower() == "erase.me@example.org"
    path = re.search(r"http://petitions\.test(/de/erase/\S+)", text_part(message)).group(1)
    assert client.get(path).status_code == 200
    assert signature_count() == 3
    done = client.post(path)
    assert done.status_code == 200
    assert [s.email for s in db.session.scalars(select(Signature))] == ["keep@example.org"]
    assert counting.confirmed_count(first.id) == 0 and counting.confirmed_count(second.id) == 0


def test_an_erasure_request_for_an_unknown_address_sends_nothing_and_looks_the_same(client, petition):
    known = client.post("/en/my-data", data={"email": "nobody@example.org"})
    assert known.status_code == 200 and "Check your inbox" in page_text(known)
    assert db.session.scalar(select(OutboxMessage)) is None


# --- retention ---------------------------------------------------------------------------------

@pytest.mark.commits
def test_purge_deletes_old_unconfirmed_and_anonymises_long_ended_petitions(app, client, make_petition, runner):
    from petitions.models import set_status

    fresh = make_petition(slug="fresh")
    old = make_petition(slug="old")
    for i in range(3):
        sign(client, slug="old", email=f"o{i}@example.org", country="BY")
        confirm(client, last_confirm_path(f"o{i}@example.org"))
    sign(client, slug="fresh", email="stale@example.org")
    sign(client, slug="fresh", email="recent@example.org")
    stale = db.session.scalar(select(Signature).where(Signature.email == "stale@example.org"))
    stale.created_at = stale.confirmation_sent_at = utcnow() - timedelta(days=8)
    set_status(db.session.get(Petition, old.id), "closed", now=utcnow() - timedelta(days=181))
    db.session.commit()

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "unconfirmed deleted: 1" in result.output and "signatures anonymised: 3" in result.output
    emails = sorted(s.email for s in db.session.scalars(select(Signature)))
    assert emails == ["", "", "", "recent@example.org"]
    kept = db.session.scalars(select(Signature).where(Signature.petition_id == old.id)).all()
    assert {s.country for s in kept} == {"BY"} and all(s.confirmed_at for s in kept)
    assert counting.confirmed_count(old.id) == 3 and counting.confirmed_count(fresh.id) == 0


# --- tokens and keys ---------------------------------------------------------------------------

def test_a_token_for_one_purpose_cannot_be_used_for_another(client, petition):
    sign(client)
    message = read(db.session.scalar(select(OutboxMessage)))
    confirm_token = re.search(r"/en/confirm/(\S+)", message.text_body).group(1)
    withdraw_token = re.search(r"/en/withdraw/(\S+)", message.text_body).group(1)
    assert client.post(f"/en/withdraw/{confirm_token}").status_code == 400
    assert client.get(f"/en/confirm/{withdraw_token}").status_code == 400
    assert client.get(f"/en/erase/{withdraw_token}").status_code == 400
    assert db.session.scalar(select(Signature)).status == SignatureStatus.PENDING


def test_links_survive_a_secret_key_rotation(make_app, client, petition):
    sign(client)
    path = last_confirm_path("ada@example.org")
    old_key = client.application.config["SECRET_KEY"]
    rotated = make_app(SECRET_KEY="a-brand-new-secret-key-0123456789abcdef", SECRET_KEY_FALLBACKS=[old_key],
                       HASH_KEY=old_key)
    assert confirm(rotated.test_client(), path).status_code == 200
    with rotated.app_context():
        assert counting.confirmed_count(petition.id) == 1


# --- transport security --------------------------------------------------------------------------

def test_https_gets_hsts_and_secure_cookies(make_app, petition):
    app = make_app(BASE_URL="https://sign.example.org", WTF_CSRF_ENABLED=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/en/p/free-them", base_url="https://sign.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Set-Cookie" not in response.headers  # supporters get no cookie at all
    # Organisers do (a session), and only over HTTPS.
    cookie = app.test_client().get("/organiser/sign-in", base_url="https://sign.example.org").headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    plain = app.test_client().get("/en/p/free-them")
    assert "Strict-Transport-Security" not in plain.headers


def test_behind_a_proxy_limits_apply_to_the_forwarded_client(make_app, petition):
    app = make_app(TRUSTED_PROXIES=1, RATELIMIT_ENABLED=True, RATELIMIT_SIGN="1 per minute")
    client = app.test_client()

    def post(forwarded_for, email):
        return client.post(
            "/en/p/free-them", headers={"X-Forwarded-For": forwarded_for},
            data={"full_name": "P", "email": email, "country": "GB",
                  "served": FormStamp(app).make(at=utcnow().timestamp() - 10)})

    assert post("198.51.100.1", "a@example.org").status_code == 200
    assert post("198.51.100.1", "b@example.org").status_code == 429
    assert post("198.51.100.2", "c@example.org").status_code == 200


def test_pages_load_nothing_from_other_hosts(client, petition):
    sign(client)
    message = read(db.session.scalar(select(OutboxMessage)))
    withdraw = re.search(r"(/en/withdraw/\S+)", message.text_body).group(1)
    pages = ["/en/", "/ru/p/free-them", "/de/p/free-them/check-inbox", "/be/my-data", withdraw,
             last_confirm_path("ada@example.org"), "/en/p/missing", "/en/confirm/bad"]
    resource = re.compile(r'<(script|img|iframe|source|audio|video|embed|object)\b[^>]*\b(src|data)="([^"]+)"'
                          r'|<link\b[^>]*\bhref="([^"]+)"', re.I)
    for path in pages:
        response = client.get(path)
        html = page_text(response)
        for match in resource.finditer(html):
            url = match.group(3) or match.group(4)
            if 'rel="alternate"' in match.group(0):
                continue  # hreflang links name this site's own pages; browsers fetch nothing
            assert url.startswith("/") and not url.startswith("//"), (path, url)
        assert "url(http" not in html and "@import" not in html
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


# --- review findings --------------------------------------------------------------------------

def test_resubmitting_an_address_cannot_change_what_an_earlier_link_confirms(client, petition):
    sign(client, full_name="Real Owner")
    first_link = last_confirm_path("ada@example.org")
    sign(client, full_name="Someone Else", show_name="y", country="RU")
    assert client.get(first_link).status_code == 409
    assert db.session.scalar(select(Signature)).status == SignatureStatus.PENDING
    assert client.post(first_link).status_code == 409
    assert db.session.scalar(select(Signature)).status == SignatureStatus.PENDING
    newest = confirm(client, last_confirm_path("ada@example.org"))
    assert newest.status_code == 200 and counting.confirmed_count(petition.id) == 1


def test_the_confirmation_email_says_whether_the_name_will_be_public(client, petition):
    sign(client, show_name="y")
    assert "Your name will be shown publicly" in read(db.session.scalar(select(OutboxMessage))).text_body


def test_erasing_twice_never_takes_the_count_below_the_truth(client, petition, app):
    sign(client, email="twice@example.org")
    confirm(client, last_confirm_path("twice@example.org"))
    sign(client, email="other@example.org")
    confirm(client, last_confirm_path("other@example.org"))
    key = email_hash(app.config["HASH_KEY"], "twice@example.org")
    assert erasure.erase_everything(key) == 1
    assert erasure.erase_everything(key) == 0
    db.session.commit()
    assert counting.confirmed_count(petition.id) == 1


def test_withdrawing_forgets_mail_still_queued_to_the_signer(client, petition):
    sign(client)
    path = re.search(r"(/en/withdraw/\S+)", read(db.session.scalar(select(OutboxMessage))).text_body).group(1)
    client.post(path)
    assert db.session.scalar(select(OutboxMessage)) is None


def test_a_resent_link_outlives_the_original_retention_window(app, client, petition):
    sign(client)
    signature = db.session.scalar(select(Signature))
    signature.created_at = utcnow() - timedelta(days=8)
    signature.confirmation_sent_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert retention.purge()["unconfirmed_deleted"] == 0
    signature.confirmation_sent_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert retention.purge()["unconfirmed_deleted"] == 1


def test_production_refuses_a_key_rotation_without_a_pinned_hash_key(monkeypatch):
    from petitions import create_app
    from petitions.config import ConfigError

    monkeypatch.setenv("SECRET_KEY", "n" * 48)
    monkeypatch.setenv("SECRET_KEY_FALLBACKS", "o" * 48)
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.delenv("HASH_KEY", raising=False)
    with pytest.raises(ConfigError, match="HASH_KEY"):
        create_app("production")


def test_withdrawing_keeps_other_signers_queued_mail(client, petition):
    sign(client, email="leaving@example.org")
    sign(client, email="staying@example.org")
    path = re.search(r"(/en/withdraw/\S+)", queued_to("leaving@example.org")[0].text_body).group(1)
    client.post(path)
    assert [m.recipient for m in db.session.scalars(select(OutboxMessage))] == ["staying@example.org"]


# --- open letters: erasure, retention, and nothing left in the files ---------------------------

def _co_sign(client, slug="joint", kind="organisation", **fields):
    data = {"name": "Viasna", "country": "BY", "website": "", "contact_name": "Ales", "contact_role": "Chair",
            "email": "ales@spring96.org", "title": "", "website_hp": "",
            "served": FormStamp(client.application).make(at=utcnow().timestamp() - 10)}
    data.update(fields)
    response = client.post(f"/en/letter/{slug}/sign/{kind}", data=data)
    assert response.status_code == 303
    return response


def _letter_link(address, route):
    body = queued_to(address)[-1].text_body
    return re.search(rf"http://petitions\.test(/[a-z]{{2}}/letter/{route}/\S+)", body).group(1)


def _sign_ons():
    db.session.expire_all()
    return db.session.scalars(select(LetterSignatory).order_by(LetterSignatory.id)).all()


def test_a_co_signers_erasure_request_is_mailed_and_erasing_deletes_their_sign_ons(client, make_petition):
    make_petition(slug="joint", kind="letter")
    make_petition(slug="second", kind="letter")
    _co_sign(client, email="ales@spring96.org")
    client.post(_letter_link("ales@spring96.org", "confirm"))
    _co_sign(client, slug="second", kind="individual", name="Ales B.", email="Ales@Spring96.org")
    _co_sign(client, name="Libereco", email="keep@libereco.example")

    assert client.post("/en/my-data", data={"email": "ALES@spring96.org"}).status_code == 200
    request = queued_to("ALES@spring96.org")[-1]
    assert request.kind == "erase" and "used for 2 signatures" in request.text_body
    path = re.search(r"http://petitions\.test(/en/erase/\S+)", request.text_body).group(1)
    asking = client.get(path)
    assert "2 signatures were made with this address" in page_text(asking) and len(_sign_ons()) == 3
    done = client.post(path)
    assert "2 signatures were erased" in page_text(done)
    assert [row.email for row in _sign_ons()] == ["keep@libereco.example"]
    # Mail still queued to the erased sign-ons goes with them; other co-signers' stays.
    assert {m.recipient for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind.like("cosign%")))} == {"keep@libereco.example"}


def test_erasure_counts_petition_signatures_and_sign_ons_together(app, client, petition, make_petition):
    make_petition(slug="joint", kind="letter")
    sign(client, email="both@example.org")
    _co_sign(client, email="both@example.org")
    key = email_hash(app.config["HASH_KEY"], "both@example.org")
    assert erasure.signature_count_of(key) == 2
    assert erasure.erase_everything(key) == 2
    db.session.commit()
    assert signature_count() == 0 and _sign_ons() == []


def _sign_on_row(letter, name, status, days_ago=0, **fields):
    at = utcnow() - timedelta(days=days_ago)
    row = LetterSignatory(petition_id=letter.id, kind="organisation", name=name, name_key=name.casefold(),
                          country="BY", countries="BY", website=f"{name.lower()}.example", contact_name=f"{name} Contact",
                          contact_role="Chair", email=f"{name.lower()}@example.org", email_hash=f"{name:0>64}"[:64],
                          language="en", status=status, created_at=at, confirmation_sends=1, confirmation_sent_at=at,
                          moderation_note=f"note about {name}")
    for key, value in fields.items():
        setattr(row, key, value)
    db.session.add(row)
    return row


@pytest.mark.commits
def test_purge_deletes_stale_unconfirmed_sign_ons_counting_from_the_last_email(make_petition, runner):
    letter = make_petition(slug="joint", kind="letter")
    _sign_on_row(letter, "Stale", "unconfirmed", days_ago=8)
    _sign_on_row(letter, "Resent", "unconfirmed", days_ago=8, confirmation_sent_at=utcnow() - timedelta(days=1))
    _sign_on_row(letter, "Confirmed", "awaiting", days_ago=30)
    _sign_on_row(letter, "Fresh", "unconfirmed", days_ago=1)
    db.session.commit()
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "unconfirmed letter signatories deleted: 1" in result.output
    assert [row.name for row in _sign_ons()] == ["Resent", "Confirmed", "Fresh"]


@pytest.mark.commits
def test_purge_scrubs_contact_details_of_long_ended_letters_and_keeps_the_public_list(client, make_petition, runner):
    from petitions.models import set_status

    ended = make_petition(slug="joint", kind="letter")
    still_open = make_petition(slug="open-letter", kind="letter")
    _sign_on_row(ended, "Listed", "approved", days_ago=300)
    _sign_on_row(ended, "Jürgen Groß", "approved", days_ago=300, kind="individual", title="former UN Special Rapporteur",
                 contact_name="", contact_role="", website="")
    _sign_on_row(ended, "Rejected", "rejected", days_ago=300)
    _sign_on_row(ended, "Undecided", "awaiting", days_ago=300)
    _sign_on_row(still_open, "Current", "approved", days_ago=300)
    set_status(db.session.get(Petition, ended.id), "closed", now=utcnow() - timedelta(days=181))
    db.session.commit()

    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert "letter signatories anonymised: 2" in result.output
    assert "unlisted letter signatories deleted: 2" in result.output
    rows = {row.name: row for row in _sign_ons()}
    assert set(rows) == {"Listed", "Jürgen Groß", "Current"}
    listed, person = rows["Listed"], rows["Jürgen Groß"]
    assert (listed.website, listed.country, person.title) == ("listed.example", "BY", "former UN Special Rapporteur")
    for row in (listed, person):
        assert (row.email, row.email_hash, row.contact_name, row.contact_role, row.moderation_note) == ("", None, "", "", "")
    assert rows["Current"].email == "current@example.org" and rows["Current"].contact_name == "Current Contact"
    page = page_text(client.get("/en/letter/joint"))
    assert "1. Listed – Belarus" in page and "1. Jürgen Groß, former UN Special Rapporteur – Belarus" in page


@pytest.mark.commits
def test_purge_makes_what_it_deleted_unreadable_in_the_database(runner):
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    if db.engine.dialect.name == "postgresql":
        assert "database: vacuumed signatures, letter_signatories, outbox_messages, daily_keys" in result.output
    else:
        assert "database: checkpointed" in result.output


NAME = "Zyzzogeton Quarrelwick"
CONTACT = "Oswy Thrumblethorpe"


@pytest.fixture
def on_disk(make_app, tmp_path):
    """An app on a SQLite file of its own, and a function returning every byte stored in it and its log."""
    from petitions.organiser.services import import_petition

    from .helpers import petition_data

    path = tmp_path / "raw.sqlite"
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    with app.app_context():
        db.create_all()
        for slug, kind in (("joint", "letter"), ("free-them", "petition")):
            import_petition(petition_data(slug=slug, kind=kind), app.config["LANGUAGES"])
        db.session.commit()

        def stored():
            return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())

        yield app, stored


def _traces(data):
    names = (NAME, NAME.casefold(), CONTACT)
    return [name for name in names if name.encode() in data]


@pytest.mark.parametrize("how", ["withdraw", "erase", "purge"])
def test_a_removed_co_signer_leaves_no_trace_in_the_sqlite_files(on_disk, how):
    app, stored = on_disk
    client = app.test_client()
    _co_sign(client, name=NAME, contact_name=CONTACT, email="trace@example.org")
    client.post(_letter_link("trace@example.org", "confirm"))
    assert _traces(stored()) == [NAME, NAME.casefold(), CONTACT]  # so the check below means something
    if how == "withdraw":
        assert client.post(_letter_link("trace@example.org", "withdraw")).status_code == 200
    elif how == "erase":
        client.post("/en/my-data", data={"email": "trace@example.org"})
        path = re.search(r"http://petitions\.test(/en/erase/\S+)", queued_to("trace@example.org")[-1].text_body)
        assert client.post(path.group(1)).status_code == 200
    else:
        from petitions.models import set_status

        for row in _sign_ons():
            row.status = "awaiting"
        set_status(db.session.scalar(select(Petition).where(Petition.slug == "joint")), "closed",
                   now=utcnow() - timedelta(days=181))
        db.session.commit()
        assert app.test_cli_runner().invoke(args=["purge"]).exit_code == 0
    assert _sign_ons() == []
    assert _traces(stored()) == []


def test_a_withdrawn_petition_signature_leaves_no_trace_in_the_sqlite_files(on_disk):
    app, stored = on_disk
    client = app.test_client()
    sign(client, full_name=NAME, email="trace@example.org")
    assert _traces(stored()) == [NAME]
    path = re.search(r"(/en/withdraw/\S+)", queued_to("trace@example.org")[-1].text_body).group(1)
    assert client.post(path).status_code == 200
    assert _traces(stored()) == []


def test_every_sqlite_connection_overwrites_deleted_content_whatever_the_library_default():
    import sqlite3

    from petitions import database

    # Debian builds SQLite with secure_delete on by default; python.org's and others do not.
    connection = sqlite3.connect(":memory:")
    connection.execute("PRAGMA secure_delete=OFF")
    database._configure_sqlite(connection, None)
    assert connection.execute("PRAGMA secure_delete").fetchone() == (1,)
    connection.close()


def test_a_reader_holding_the_log_delays_its_emptying_but_never_fails_a_withdrawal(on_disk, monkeypatch):
    import sqlite3

    from petitions import database

    app, stored = on_disk
    monkeypatch.setattr(database, "REQUEST_CHECKPOINT_WAIT_MS", 50)
    client = app.test_client()
    sign(client, full_name=NAME, email="trace@example.org")
    reader = sqlite3.connect(db.engine.url.database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM signatures").fetchone()  # another worker, mid-read
    try:
        path = re.search(r"(/en/withdraw/\S+)", queued_to("trace@example.org")[-1].text_body).group(1)
        assert client.post(path).status_code == 200
        assert db.session.scalar(select(Signature)).status == SignatureStatus.WITHDRAWN
        assert _traces(stored()) == [NAME]  # the reader kept the log from being emptied
    finally:
        reader.close()
    # The next one finds the log free and empties it.
    assert database.checkpoint(db.engine) and _traces(stored()) == []
