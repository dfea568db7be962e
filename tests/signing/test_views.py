"""The public pages, through the HTTP interface a supporter uses."""
import re

import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Signature
from petitions.mail.updates import unsubscribe_url

from ..helpers import confirm, last_confirm_path, page_text, queued_to, served_stamp, sign, signature_count


def test_petition_page_shows_the_whole_petition_and_the_counter(client, petition):
    html = page_text(client.get("/en/p/free-them"))
    assert "<h1>Free the prisoners of conscience</h1>" in html
    assert "Addressee: the Minister of Justice" in html
    assert 'Started by <a href="/en/o/test-rights-group">Test Rights Group</a>' in html
    assert "Free the prisoners of conscience: summary (en)." in html
    assert "Body in <strong>en</strong>" in html
    assert "<li>Release them</li>" in html and "<li>Drop the charges</li>" in html
    assert '<p class="count">0 of 1,000</p>' in html
    assert '<progress max="1000" value="0"' in html


def test_markdown_body_is_sanitised(client, make_petition):
    make_petition()
    from petitions.models import PetitionTranslation

    text = db.session.scalar(select(PetitionTranslation))
    text.body = 'Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>'
    db.session.commit()
    html = page_text(client.get("/en/p/free-them"))
    # The only script is the site's own file (petition.js), never one from the text.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/petition.js" defer>']
    assert 'href="javascript' not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text, never run


def test_bare_address_redirects_to_the_browsers_language(client, petition):
    response = client.get("/p/free-them", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/de/p/free-them")
    assert "Accept-Language" in response.headers["Vary"]


def test_bare_address_falls_back_to_the_primary_language(client, make_petition):
    make_petition(languages=("ru", "en"), primary="ru")
    response = client.get("/p/free-them", headers={"Accept-Language": "fr"})
    assert response.headers["Location"].endswith("/ru/p/free-them")


def test_signing_shows_check_your_inbox_and_stores_a_pending_signature(client, petition):
    response = sign(client, lang="be", email="sasha@example.org")
    assert response.status_code == 200 and "Location" not in response.headers
    html = page_text(response)
    assert "s\u2022\u2022\u2022@example.org" in html and "sasha@" not in html
    assert response.headers["Cache-Control"] == "no-store"
    signature = db.session.scalar(select(Signature))
    assert (signature.status, signature.language, signature.show_name, signature.wants_updates) == ("pending", "be", False, False)


def test_consents_are_off_by_default(client, petition):
    html = page_text(client.get("/en/p/free-them"))
    for name in ("show_name", "wants_updates"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert "checked" not in tag


def test_consents_are_stored_when_ticked(client, petition):
    sign(client, show_name="y", wants_updates="y")
    signature = db.session.scalar(select(Signature))
    assert signature.show_name and signature.wants_updates


def test_opening_the_confirmation_link_only_shows_what_the_button_would_confirm(client, petition):
    sign(client, full_name="Ada King Lovelace", show_name="y", public_name="initials")
    path = last_confirm_path("ada@example.org")
    for method in ("GET", "HEAD"):  # what a mail scanner does, however often
        page = client.open(path, method=method)
        assert page.status_code == 200
    html = page_text(client.get(path))
    assert "Free the prisoners of conscience" in html and "A. K. L." in html
    assert "Your name will be shown publicly as a signer." in html and "Ada" not in html
    assert f'<form method="post" action="{path}">' in html
    assert "<script" not in html  # nothing presses the button for a scanner that runs scripts
    assert db.session.scalar(select(Signature)).status == "pending"
    assert '<p class="count">0 of 1,000</p>' in page_text(client.get("/en/p/free-them"))


def test_the_confirmation_page_says_when_the_name_stays_private(client, petition):
    sign(client, full_name="Hidden Person")
    html = page_text(client.get(last_confirm_path("ada@example.org")))
    assert "Your name will not be shown publicly." in html and "Hidden Person" not in html


def test_pressing_the_button_counts_the_signature_once_and_a_second_press_gets_the_same_thanks(client, petition):
    sign(client)
    path = last_confirm_path("ada@example.org")
    first = client.post(path)
    assert first.status_code == 200 and "Your signature is confirmed" in page_text(first)
    assert '<p class="count">1 of 1,000</p>' in page_text(first)
    second = client.post(path)
    assert second.status_code == 200 and page_text(second) == page_text(first)
    assert db.session.scalar(select(Signature)).status == "confirmed"
    assert '<p class="count">1 of 1,000</p>' in page_text(client.get("/en/p/free-them"))
    # Opened again later, the link says it is done and offers nothing to press.
    again = page_text(client.get(path))
    assert "already confirmed" in again and "<form" not in again


def test_a_cross_site_press_of_the_button_is_refused(client, petition):
    sign(client)
    path = last_confirm_path("ada@example.org")
    assert client.post(path, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(path, headers={"Origin": "https://evil.example"}).status_code == 403
    assert db.session.scalar(select(Signature)).status == "pending"
    assert client.post(path, headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert db.session.scalar(select(Signature)).status == "confirmed"


def test_pressing_a_bad_link_gets_the_same_answers_as_opening_it(client, app, make_petition):
    petition = make_petition()
    sign(client)
    path = last_confirm_path("ada@example.org")
    tampered = path[:-4] + "abcd"
    assert client.get(tampered).status_code == client.post(tampered).status_code == 400
    assert client.post("/en/confirm/garbage").status_code == 400
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    assert client.get(path).status_code == client.post(path).status_code == 410
    assert "Send me a new link" in page_text(client.post(path))
    app.config["CONFIRM_TOKEN_MAX_AGE"] = 3600
    sign(client, full_name="Changed Name")
    assert client.get(path).status_code == client.post(path).status_code == 409  # out of date
    newest = last_confirm_path("ada@example.org")
    petition.status = "closed"
    db.session.commit()
    closed = client.post(newest)
    assert client.get(newest).status_code == closed.status_code == 409
    assert "This petition is closed" in page_text(closed)
    assert db.session.scalar(select(Signature)).status == "pending"


def test_pages_reached_by_a_personal_link_are_never_stored(client, petition):
    sign(client, email="ada@example.org")
    confirm_link = last_confirm_path("ada@example.org")
    withdraw_link = re.search(r"(/en/withdraw/\S+)", queued_to("ada@example.org")[-1].text_body).group(1)
    unsubscribe_link = unsubscribe_url(db.session.scalar(select(Signature))).split("petitions.test", 1)[1]
    client.post("/en/my-data", data={"email": "ada@example.org"})
    erase_link = re.search(r"(/en/erase/\S+)", queued_to("ada@example.org")[-1].text_body).group(1)
    answers = {
        "check inbox": client.get("/en/p/free-them/check-inbox"),
        "confirm page": client.get(confirm_link),
        "confirm press": client.post(confirm_link),
        "bad confirm link": client.get("/en/confirm/garbage"),
        "resend": client.post("/en/confirm/resend", data={"token": "garbage"}),
        "my data": client.get("/en/my-data"),
        "my data sent": client.post("/en/my-data", data={"email": "someone@example.org"}),
        "unsubscribe page": client.get(unsubscribe_link),
        "unsubscribe press": client.post(unsubscribe_link),
        "withdraw page": client.get(withdraw_link),
        "erase page": client.get(erase_link),
        "withdraw press": client.post(withdraw_link),
        "erase press": client.post(erase_link),
    }
    for name, response in answers.items():
        assert response.status_code < 500, name
        assert response.headers.get("Cache-Control") == "no-store", name
    # The petition itself stays public: it is the same for every reader.
    assert "no-store" not in client.get("/en/p/free-them").headers.get("Cache-Control", "")


def test_head_on_withdraw_erase_and_unsubscribe_links_changes_nothing(client, petition):
    sign(client, show_name="y", wants_updates="y")
    confirm(client, last_confirm_path("ada@example.org"))
    signature = db.session.scalar(select(Signature))
    unsubscribe_link = unsubscribe_url(signature).split("petitions.test", 1)[1]
    withdraw_link = re.search(r"(/en/withdraw/\S+)", queued_to("ada@example.org")[-1].text_body).group(1)
    client.post("/en/my-data", data={"email": "ada@example.org"})
    erase_link = re.search(r"(/en/erase/\S+)", queued_to("ada@example.org")[-1].text_body).group(1)
    for link in (withdraw_link, erase_link, unsubscribe_link):  # `curl -I`, or a scanner's HEAD
        assert client.head(link).status_code == 200, link
    db.session.rollback()
    signature = db.session.scalar(select(Signature))
    assert (signature.status, signature.wants_updates, signature.email) == ("confirmed", True, "ada@example.org")
    assert '<p class="count">1 of 1,000</p>' in page_text(client.get("/en/p/free-them"))


def test_head_on_the_petition_page_gets_the_page_and_never_signs(client, petition):
    data = {"full_name": "Ada", "email": "ada@example.org", "country": "GB",
            "served": served_stamp(client.application)}
    response = client.open("/en/p/free-them", method="HEAD", data=data)
    assert response.status_code == 200
    assert signature_count() == 0


def _without_ticket(html):
    return re.sub(r'name="ticket" value="[^"]*"', "", html)


def test_the_page_is_the_same_whether_or_not_the_address_signed_before(client, petition):
    first = sign(client)
    confirm(client, last_confirm_path("ada@example.org"))
    again = sign(client, full_name="Someone Else")
    assert again.status_code == first.status_code == 200
    # The same page but for the one-time stamp in the "send again" ticket.
    assert _without_ticket(page_text(again)) == _without_ticket(page_text(first))
    assert [m.kind for m in queued_to("ada@example.org")] == ["confirm", "already_signed"]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "Please enter a valid email address"),
        ({"email": ""}, "email", "Please enter your email address."),
        ({"full_name": "   "}, "full_name", "Please enter your name."),
        ({"full_name": "x" * 121}, "full_name", "Your name can be at most 120 characters long."),
        ({"country": "XX"}, "country", "Please choose a country from the list."),
        ({"country": ""}, "country", "Please choose your country."),
        ({"city": "c" * 81}, "city", "The city can be at most 80 characters long."),
    ],
)
def test_bad_input_gets_a_message_next_to_the_field_and_stores_nothing(client, petition, fields, field, message):
    response = sign(client, **fields)
    html = page_text(response)
    assert response.status_code == 400
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert re.search(rf'<[^>]*id="{field}"[^>]*aria-describedby="{field}-error"', html) or \
        re.search(rf'aria-describedby="{field}-error"[^>]*id="{field}"', html)
    assert signature_count() == 0


def test_unknown_petition_gets_a_404_page(client, petition):
    response = client.get("/ru/p/no-such-petition")
    assert response.status_code == 404
    assert 'lang="ru"' in page_text(response)
    assert client.get("/xx/p/free-them").status_code == 404


def test_draft_petition_is_not_public(client, make_petition):
    make_petition(status="draft")
    assert client.get("/en/p/free-them").status_code == 404
    assert client.get("/api/v1/petitions/free-them").status_code == 404


def test_closed_petition_shows_but_refuses_signatures(client, make_petition):
    make_petition(status="closed")
    assert client.get("/en/p/free-them").status_code == 200
    assert sign(client).status_code == 409
    assert signature_count() == 0


def test_tampered_confirmation_link_is_refused_kindly(client, petition):
    sign(client)
    path = last_confirm_path("ada@example.org")
    response = client.get(path[:-4] + "abcd")
    assert response.status_code == 400 and "This link does not work" in page_text(response)
    assert db.session.scalar(select(Signature)).status == "pending"


def test_expired_link_offers_a_new_one(client, app, petition):
    sign(client)
    path = last_confirm_path("ada@example.org")
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    response = client.get(path)
    assert response.status_code == 410
    html = page_text(response)
    assert "Send me a new link" in html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = 3600
    resent = client.post("/en/confirm/resend", data={"token": token})
    assert resent.status_code == 200 and "Check your inbox" in page_text(resent)
    assert len(queued_to("ada@example.org")) == 2
    assert client.get(last_confirm_path("ada@example.org")).status_code == 200
    assert confirm(client, last_confirm_path("ada@example.org")).status_code == 200
    assert db.session.scalar(select(Signature)).status == "confirmed"


def test_country_list_is_in_the_page_language(client, petition):
    html = page_text(client.get("/de/p/free-them"))
    assert '<option value="DE" selected>Deutschland</option>' in html  # preselected from the language
    assert '<option value="GB">Vereinigtes Königreich</option>' in html


def test_responses_forbid_framing_and_third_party_loads(client, petition):
    headers = client.get("/en/p/free-them").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "same-origin"  # other sites learn nothing; see forgery.py


def test_development_mailbox_is_absent_outside_development(client):
    assert client.get("/dev/mail").status_code == 404


def test_development_mailbox_lists_and_shows_mail(make_app, tmp_path):
    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    app = make_app(DEV_MAILBOX=True)
    # DEV_MAILBOX is read when the app is built; make_app passes it in as a setting.
    client = app.test_client()
    with app.app_context():
        import_petition(petition_data(), app.config["LANGUAGES"])
        db.session.commit()
        sign(client)
        from petitions.mail.worker import deliver_all

        assert deliver_all() == (1, 0)
    inbox = page_text(client.get("/dev/mail"))
    name = re.search(r'href="/dev/mail/([^"]+)"', inbox).group(1)
    message = page_text(client.get(f"/dev/mail/{name}"))
    assert re.search(r'<a href="http://petitions.test/en/confirm/[^"]+">', message)


def test_a_wrong_method_gets_a_translated_page_not_a_crash(client, petition):
    response = client.delete("/de/p/free-them")
    assert response.status_code == 405
    assert '<html lang="de"' in page_text(response)
    api = client.post("/api/v1/petitions/free-them")
    assert api.status_code == 405 and api.get_json()["status"] == 405


def test_check_inbox_for_an_unknown_petition_is_a_404(client, petition):
    assert client.get("/en/p/no-such-petition/check-inbox").status_code == 404
    assert client.get("/en/p/Bad%00Slug/check-inbox").status_code == 404


def test_development_mailbox_refuses_names_that_are_not_its_own(make_app):
    client = make_app(DEV_MAILBOX=True).test_client()
    for name in ("..%2F..%2Fetc%2Fpasswd", "nope.eml", "123-zzzzzzzz.eml", "1795-0123abcd.eml"):
        assert client.get(f"/dev/mail/{name}").status_code == 404
        assert client.get(f"/dev/mail/{name}/html").status_code == 404


def test_the_index_lists_open_petitions_with_their_own_counts(client, make_petition):
    make_petition(slug="first")
    make_petition(slug="second")
    make_petition(slug="draft-one", status="draft")
    sign(client, slug="second")
    confirm(client, last_confirm_path("ada@example.org"))
    html = page_text(client.get("/en/"))
    assert html.count(">Free the prisoners of conscience</a>") == 2
    assert "1 signature" in html and "0 signatures" in html
    assert "draft-one" not in html
