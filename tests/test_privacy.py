"""Signers at risk: bot defence, no raw addresses, withdrawal, erasure and retention."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from petitions import counting, privacy
from petitions.extensions import db
from petitions.mail.worker import deliver_all
from petitions.models import DailyKey, OutboxMessage, Petition, Signature, SignatureStatus, utcnow
from petitions.tokens import FormStamp

from .helpers import last_confirm_path, page_text, queued_to, read, sign, signature_count
from .smtp import text_part


# --- bot defence -------------------------------------------------------------------------

def test_a_filled_honeypot_is_dropped_silently(client, petition):
    response = sign(client, website="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"].endswith("/check-inbox")
    assert signature_count() == 0


@pytest.mark.parametrize("stamp", ["", "forged.stamp", None])
def test_a_missing_or_forged_form_stamp_is_dropped_silently(client, petition, stamp):
    response = sign(client, served=stamp) if stamp is not None else client.post(
        "/en/p/free-them", data={"full_name": "Bot", "email": "bot@example.org", "country": "GB"})
    assert response.status_code == 303
    assert signature_count() == 0


def test_a_form_filled_faster_than_the_minimum_is_dropped_silently(app, client, petition):
    app.config["FORM_MIN_SECONDS"] = 2
    fast = sign(client, served=FormStamp(app).make())
    assert fast.status_code == 303 and signature_count() == 0
    human = sign(client, served=FormStamp(app).make(at=utcnow().timestamp() - 3))
    assert human.status_code == 303 and signature_count() == 1


def test_disposable_addresses_are_refused_only_when_switched_on(app, client, petition):
    assert sign(client, email="someone@mailinator.com").status_code == 303
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
    assert response.status_code == 303
    assert db.session.scalar(select(Signature)) is not None
    stored = _every_stored_value()
    assert "203.0.113.77" not in stored
    # No hash of the client either: it would link signers who shared an address that day.
    assert privacy.client_hash("203.0.113.77") not in stored


def test_the_client_hash_key_rotates_daily_and_old_keys_are_purged(app):
    today = utcnow()
    tomorrow = today + timedelta(days=1)
    assert privacy.client_hash("198.51.100.1", today) == privacy.client_hash("198.51.100.1", today)
    assert privacy.client_hash("198.51.100.1", today) != privacy.client_hash("198.51.100.1", tomorrow)
    privacy.purge(now=tomorrow)
    db.session.commit()
    assert [k.day for k in db.session.scalars(select(DailyKey))] == [tomorrow.date()]


# --- the public list of signers ----------------------------------------------------------------

def _confirmed(client, **fields):
    sign(client, **fields)
    client.get(last_confirm_path(fields["email"]))


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
    confirm = re.search(r"http://petitions\.test(/en/confirm/\S+)", body).group(1)
    withdraw = re.search(r"http://petitions\.test(/en/withdraw/\S+)", body).group(1)
    client.get(confirm)
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
    client.get(last_confirm_path("ada@example.org"))
    assert counting.confirmed_count(petition.id) == 1


# --- erasure, end to end through the email ----------------------------------------------------

def test_erasing_everything_about_an_address(smtp_app, smtp_server, client, make_petition):
    first = make_petition(slug="first")
    second = make_petition(slug="second")
    sign(client, slug="first", email="erase.me@example.org")
    client.get(last_confirm_path("erase.me@example.org"))
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

def test_purge_deletes_old_unconfirmed_and_anonymises_long_ended_petitions(app, client, make_petition, runner):
    from petitions.organiser.services import set_status

    fresh = make_petition(slug="fresh")
    old = make_petition(slug="old")
    for i in range(3):
        sign(client, slug="old", email=f"o{i}@example.org", country="BY")
        client.get(last_confirm_path(f"o{i}@example.org"))
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
    assert rotated.test_client().get(path).status_code == 200
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

    assert post("198.51.100.1", "a@example.org").status_code == 303
    assert post("198.51.100.1", "b@example.org").status_code == 429
    assert post("198.51.100.2", "c@example.org").status_code == 303


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
    newest = client.get(last_confirm_path("ada@example.org"))
    assert newest.status_code == 200 and counting.confirmed_count(petition.id) == 1


def test_the_confirmation_email_says_whether_the_name_will_be_public(client, petition):
    sign(client, show_name="y")
    assert "Your name will be shown publicly" in read(db.session.scalar(select(OutboxMessage))).text_body


def test_erasing_twice_never_takes_the_count_below_the_truth(client, petition, app):
    sign(client, email="twice@example.org")
    client.get(last_confirm_path("twice@example.org"))
    sign(client, email="other@example.org")
    client.get(last_confirm_path("other@example.org"))
    key = privacy.email_hash(app.config["HASH_KEY"], "twice@example.org")
    assert privacy.erase_everything(key) == 1
    assert privacy.erase_everything(key) == 0
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
    assert privacy.purge()["unconfirmed_deleted"] == 0
    signature.confirmation_sent_at = utcnow() - timedelta(days=8)
    db.session.commit()
    assert privacy.purge()["unconfirmed_deleted"] == 1


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
