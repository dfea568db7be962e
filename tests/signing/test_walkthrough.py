"""Issue 17, supporters: what a signer meets from the form to the thanks, and back out again."""
import re
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Signature, SignatureStatus
from petitions.tokens import FormStamp

from ..helpers import confirm, last_confirm_path, page_text, queued_to, served_stamp, sign, signature_count

ROOT = Path(__file__).resolve().parents[2]
MASKED = "s\u2022\u2022\u2022@example.org"


def _ticket(html):
    return re.search(r'name="ticket" value="([^"]+)"', html).group(1)


def _withdraw_path(address):
    body = queued_to(address)[-1].text_body
    return re.search(r"https?://[^/\s]+(/[a-z]{2}/withdraw/\S+)", body).group(1)


# --- 1. after confirming, the share block ------------------------------------------------------------

def test_the_thanks_after_confirming_offers_the_share_links(client, petition):
    sign(client, lang="be")
    thanks = page_text(confirm(client, last_confirm_path("ada@example.org")))
    assert 'class="share"' in thanks and "https://t.me/share/url?" in thanks
    assert "/be/p/free-them/share/mastodon" in thanks or "mastodon" in thanks
    assert "Вызваліце вязняў сумлення" in thanks  # the title in the page's language


# --- 2. check your inbox -----------------------------------------------------------------------------

def test_check_inbox_shows_the_address_masked_and_never_in_the_url_or_a_cookie(client, petition):
    response = sign(client, email="sasha@example.org")
    html = page_text(response)
    assert response.status_code == 200 and MASKED in html
    assert "sasha@example.org" not in html and "sasha" not in _ticket(html)
    assert "Location" not in response.headers and "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert 'href="/en/p/free-them#sign"' in html  # wrong address? sign again


def test_send_again_from_check_inbox_sends_a_new_confirmation(client, petition):
    ticket = _ticket(page_text(sign(client, email="sasha@example.org")))
    again = client.post("/en/p/free-them/check-inbox", data={"ticket": ticket})
    assert again.status_code == 200 and MASKED in page_text(again)
    assert again.headers["Cache-Control"] == "no-store"
    assert [m.kind for m in queued_to("sasha@example.org")] == ["confirm", "confirm"]


def test_send_again_for_a_confirmed_signature_sends_nothing_and_looks_the_same(client, petition):
    ticket = _ticket(page_text(sign(client, email="sasha@example.org")))
    confirm(client, last_confirm_path("sasha@example.org"))
    again = client.post("/en/p/free-them/check-inbox", data={"ticket": ticket})
    assert again.status_code == 200 and MASKED in page_text(again)
    assert len(queued_to("sasha@example.org")) == 1


def test_send_again_is_rate_limited_as_resending_is(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_RESEND="1 per hour")
    client = app.test_client()
    with app.app_context():
        from petitions.organiser.services import import_petition

        from ..helpers import petition_data

        import_petition(petition_data(slug="other"), app.config["LANGUAGES"])
        db.session.commit()
        ticket = _ticket(page_text(sign(client, slug="other", email="sasha@example.org")))
    assert client.post("/en/p/other/check-inbox", data={"ticket": ticket}).status_code == 200
    assert client.post("/en/p/other/check-inbox", data={"ticket": ticket}).status_code == 429


@pytest.mark.parametrize("ticket", ["", "garbage", "a.b.c"])
def test_a_bad_send_again_ticket_gets_a_clear_page_and_sends_nothing(client, petition, ticket):
    sign(client, email="sasha@example.org")
    response = client.post("/en/p/free-them/check-inbox", data={"ticket": ticket})
    assert response.status_code == 400 and "Please sign again" in page_text(response)
    assert len(queued_to("sasha@example.org")) == 1


def test_a_ticket_for_another_petition_sends_nothing(client, make_petition):
    make_petition(slug="first")
    make_petition(slug="second")
    ticket = _ticket(page_text(sign(client, slug="first", email="sasha@example.org")))
    assert client.post("/en/p/second/check-inbox", data={"ticket": ticket}).status_code == 400
    assert len(queued_to("sasha@example.org")) == 1


def test_a_too_quick_person_gets_the_form_back_with_their_values_and_no_email_claim(app, client, petition):
    app.config["FORM_MIN_SECONDS"] = 2
    response = sign(client, full_name="Sasha Quick", email="sasha@example.org", city="Minsk",
                    served=FormStamp(app).make())
    html = page_text(response)
    assert response.status_code == 400
    assert "Please check your details and press “Sign” again." in html
    assert "Check your inbox" not in html and "We have sent" not in html
    assert 'value="Sasha Quick"' in html and 'value="sasha@example.org"' in html and 'value="Minsk"' in html
    assert signature_count() == 0 and queued_to("sasha@example.org") == []
    # Pressing again a moment later (the stamp it was served with has aged) signs.
    stamp = re.search(r'name="served" type="hidden" value="([^"]+)"|name="served" value="([^"]+)"', html)
    assert stamp is not None
    again = sign(client, full_name="Sasha Quick", email="sasha@example.org", served=served_stamp(app, 3))
    assert again.status_code == 200 and signature_count() == 1


def test_a_honeypot_submission_is_still_dropped_without_a_word(client, petition):
    response = sign(client, email="bot@example.org", website="http://spam.example")
    assert response.status_code == 200 and "Check your inbox" in page_text(response)
    assert signature_count() == 0 and queued_to("bot@example.org") == []


# --- 3. withdrawal ends somewhere useful -------------------------------------------------------------

def test_withdrawing_leads_back_to_the_petition_and_to_signing_again(client, petition):
    sign(client)
    confirm(client, last_confirm_path("ada@example.org"))
    path = _withdraw_path("ada@example.org")
    html = page_text(client.post(path))
    assert "Your signature no longer counts" in html
    assert 'href="/en/p/free-them"' in html and 'href="/en/p/free-them#sign"' in html
    again = page_text(client.get(path))  # the same link later
    assert "already withdrawn" in html or "already withdrawn" in again
    assert 'href="/en/p/free-them#sign"' in again


def test_an_old_confirmation_link_after_withdrawing_explains_and_offers_to_sign_again(client, petition):
    sign(client)
    confirm_path = last_confirm_path("ada@example.org")
    client.post(_withdraw_path("ada@example.org"))
    for response in (client.get(confirm_path), client.post(confirm_path)):
        html = page_text(response)
        assert response.status_code == 410
        assert "withdrawn" in html and "This link does not work" not in html
        assert 'href="/en/p/free-them#sign"' in html
    assert db.session.scalar(select(Signature.status)) == SignatureStatus.WITHDRAWN


def test_signing_again_after_withdrawing_counts_anew(client, petition):
    sign(client)
    confirm(client, last_confirm_path("ada@example.org"))
    client.post(_withdraw_path("ada@example.org"))
    sign(client)
    assert "Your signature is confirmed" in page_text(confirm(client, last_confirm_path("ada@example.org")))


# --- 4. the demands before the form ------------------------------------------------------------------

def test_the_demands_come_before_the_sign_form_in_the_page(client, petition):
    html = page_text(client.get("/en/p/free-them"))
    assert html.index('class="demands"') < html.index('id="sign"') < html.index('class="petition-body"')
    assert html.count('class="demands"') == 1


# --- 5. the country from the page's language ---------------------------------------------------------

@pytest.mark.parametrize(("lang", "selected"), [("be", "BY"), ("de", "DE"), ("ru", None), ("en", None)])
def test_the_country_is_preselected_from_the_pages_language_only(client, petition, lang, selected):
    html = page_text(client.get(f"/{lang}/p/free-them", headers={"X-Forwarded-For": "81.2.69.142"}))
    found = re.findall(r'<option value="([A-Z]{2})" selected>', html)
    assert found == ([selected] if selected else [])


def test_a_submission_without_a_country_is_not_given_the_languages_one(client, petition):
    response = sign(client, lang="be", country="")
    assert response.status_code == 400 and signature_count() == 0


# --- the confirm button needs its page to have been served a moment before --------------------------

def _press(client, path, **data):
    return client.post(path, data=data)


@pytest.mark.parametrize("stamp", [None, "", "forged.stamp", "fresh"])
def test_a_press_with_no_genuine_or_too_young_stamp_confirms_nothing(app, client, petition, stamp):
    app.config["CONFIRM_MIN_SECONDS"] = 1
    sign(client)
    path = last_confirm_path("ada@example.org")
    data = {} if stamp is None else {"served": FormStamp(app).make() if stamp == "fresh" else stamp}
    response = _press(client, path, **data)
    html = page_text(response)
    assert response.status_code == 200 and "Please press the button again." in html
    assert 'name="served"' in html and "Thank you" not in html
    assert db.session.scalar(select(Signature.status)) == SignatureStatus.PENDING


def test_a_person_pressing_after_reading_confirms_and_never_sees_the_notice(app, client, petition):
    app.config["CONFIRM_MIN_SECONDS"] = 1
    sign(client)
    path = last_confirm_path("ada@example.org")
    page = page_text(client.get(path))
    assert "Please press the button again." not in page
    served = re.search(r'name="served" value="([^"]+)"', page).group(1)
    assert FormStamp(app).age(served) is not None
    response = _press(client, path, served=FormStamp(app).make(time.time() - 2))
    assert "Thank you" in page_text(response) and "Please press the button again." not in page_text(response)
    assert db.session.scalar(select(Signature.status)) == SignatureStatus.CONFIRMED


def test_a_stamp_a_tenth_of_a_second_old_is_never_a_second_old_when_the_clock_ticks_over(app):
    # Served at x.95 s, pressed at (x+1).05 s: whole-second stamps read that as a second.
    stamp = FormStamp(app).make(at=1_700_000_000.95)
    assert abs(FormStamp(app).age(stamp, now=1_700_000_001.05) - 0.1) < 0.01
    # A stamp made before stamps carried milliseconds still reads in seconds.
    old = FormStamp(app)._serializer.dumps(1_700_000_000)
    assert FormStamp(app).age(old, now=1_700_000_003) == 3


# --- broken: favicon, development mailbox, BASE_URL --------------------------------------------------

def test_the_favicon_is_served_from_this_server(client, petition):
    with client.get("/favicon.ico") as icon:
        assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    html = page_text(client.get("/en/p/free-them"))
    assert 'rel="icon" href="/static/favicon.svg"' in html
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and b"<svg" in svg.data


def test_the_mailbox_shows_an_html_email_in_a_sandbox_with_its_own_policy(make_app):
    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    app = make_app(DEV_MAILBOX=True)
    client = app.test_client()
    with app.app_context():
        import_petition(petition_data(), app.config["LANGUAGES"])
        db.session.commit()
        sign(client)
        from petitions.mail.worker import deliver_all

        deliver_all()
    name = re.search(r'href="/dev/mail/([^"]+)"', page_text(client.get("/dev/mail"))).group(1)
    page = page_text(client.get(f"/dev/mail/{name}"))
    assert re.search(rf'<iframe class="mail-frame" src="/dev/mail/{name}/html"[^>]*sandbox="', page)
    html = client.get(f"/dev/mail/{name}/html")
    policy = html.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy and html.headers["X-Frame-Options"] == "SAMEORIGIN"
    body = page_text(html)
    assert 'style="display:inline-block;background:#0b5e3c' in body and "overflow-wrap:anywhere" in body


def test_make_run_on_another_port_makes_every_absolute_link_use_it():
    def make(*args):
        return subprocess.run(["make", "-s", "--no-print-directory", *args], cwd=ROOT, capture_output=True,
                              text=True, env={"PATH": "/usr/bin:/bin"}, check=True).stdout

    shown = make("--eval", "show-base-url: ; @echo $$BASE_URL", "show-base-url", "PORT=5123")
    assert shown.strip() == "http://127.0.0.1:5123"
    assert make("--eval", "show-base-url: ; @echo $$BASE_URL", "show-base-url", "HOST=0.0.0.0").strip() \
        == "http://0.0.0.0:5000"
    dry_run = make("-n", "run", "PORT=5123")
    assert "127.0.0.1:5123/p/letters-behind-bars" in dry_run and ":5000" not in dry_run


# --- 10. the language switcher keeps one order -------------------------------------------------------

def test_the_language_switcher_keeps_the_sites_order_on_every_page(client, make_petition):
    make_petition(slug="german-first", languages=("de", "en", "ru", "be"), primary="de")

    def order(html):
        nav = re.search(r'<nav class="languages".*?</nav>', html, re.S).group(0)
        return re.findall(r' lang="([a-z]{2})"', nav)

    expected = order(page_text(client.get("/en/")))
    assert expected == ["en", "ru", "be", "de", "fr", "es", "uk", "pl", "lt", "fa"]
    # A petition offers its own languages, in the site's order, whatever order it was written in.
    assert order(page_text(client.get("/en/p/german-first"))) == ["en", "ru", "be", "de"]
    assert order(page_text(client.get("/en/my-data"))) == expected
