"""Widgets for other sites: the counter and sign form in a frame, their headers, and the organiser's snippets."""
import html as htmllib
import json
import re

import pytest
from babel import Locale
from flask_babel import force_locale
from sqlalchemy import select

from petitions.embed import script
from petitions.extensions import db
from petitions.i18n import number
from petitions.models import Signature
from petitions.headers import add_security_headers

from ..helpers import confirm, confirm_path, page_text, queued_to, served_stamp, sign, sign_in, signature_count


def embed_sign(client, slug="free-them", lang="en", headers=None, **fields):
    """Post the embedded form as a person would, with a stamp from a page served a while ago."""
    data = {"full_name": "Ada Lovelace", "email": "ada@example.org", "country": "GB", "city": "",
            "served": served_stamp(client.application), "website": ""}
    data.update(fields)
    return client.post(f"/embed/{lang}/p/{slug}/sign", data=data, headers=headers or {})


def refuses_framing(response):
    policy = response.headers["Content-Security-Policy"]
    return response.headers.get("X-Frame-Options") == "DENY" and "frame-ancestors 'none'" in policy


def any_site_may_frame(response):
    policy = response.headers["Content-Security-Policy"]
    return "X-Frame-Options" not in response.headers and "frame-ancestors *" in policy \
        and "frame-ancestors 'none'" not in policy


# --- headers -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/embed/en/p/free-them/counter", "/embed/ru/p/free-them/sign",
                                  "/embed/de/p/free-them/check-inbox", "/embed/en/p/no-such-petition/sign"])
def test_embed_pages_may_be_framed_by_any_site(client, petition, path):
    response = client.get(path)
    assert any_site_may_frame(response), path
    # Framing is all that changes: the page still loads nothing from elsewhere.
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "form-action 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_other_page_refuses_to_be_framed(client, petition):
    for path in ["/en/p/free-them", "/en/", "/en/p/free-them/check-inbox", "/organiser/sign-in",
                 "/api/v1/petitions/free-them/count", "/static/petition.js", "/embed/xx/p/free-them/counter"]:
        with client.get(path) as response:
            assert refuses_framing(response), path


def test_a_post_to_the_petition_page_refuses_framing_too(client, petition):
    assert refuses_framing(sign(client))


def test_framing_can_be_decided_by_the_caller(app):
    from flask import Response

    assert any_site_may_frame(add_security_headers(Response(), frameable=True))
    assert refuses_framing(add_security_headers(Response(), frameable=False))
    assert refuses_framing(add_security_headers(Response()))  # outside a request: refuse


# --- the counter widget ----------------------------------------------------------------------

def test_counter_widget_shows_title_count_and_bar_and_opens_the_petition_in_a_new_tab(client, petition, add_signatures):
    add_signatures(petition, 1234)
    html = page_text(client.get("/embed/ru/p/free-them/counter"))
    assert "Освободите узников совести" in html
    assert '<p class="count">1\xa0234 из 2\xa0000</p>' in html
    assert '<progress max="2000" value="1234"' in html
    assert re.search(r'<a href="/ru/p/free-them" target="_blank" rel="noopener">', html)
    assert re.search(r'<a class="button" href="/ru/p/free-them#sign" target="_blank"', html)
    # The widget's own small layout: no site header or footer, the same stylesheet.
    assert 'class="site-header"' not in html and 'class="site-footer"' not in html
    assert '<link rel="stylesheet" href="/static/style.css">' in html


def test_counter_widget_of_a_closed_petition_says_it_is_closed(client, make_petition):
    make_petition(status="closed")
    html = page_text(client.get("/embed/en/p/free-them/counter"))
    assert "This petition is closed and no longer accepts signatures." in html
    assert 'class="button"' not in html


@pytest.mark.parametrize("path", ["/embed/en/p/free-them/counter", "/embed/en/p/free-them/sign"])
def test_drafts_and_letters_have_no_widgets(client, make_petition, path):
    make_petition(status="draft")
    make_petition(slug="joint-letter", kind="letter")
    assert client.get(path).status_code == 404
    assert client.get(path.replace("free-them", "joint-letter")).status_code == 404


def test_a_bad_slug_or_language_is_a_404_not_an_error(client, petition):
    for path in ["/embed/en/p/no-such-petition/counter", "/embed/en/p/%00bad/sign",
                 "/embed/en/p/" + "x" * 300 + "/counter", "/embed/xx/p/free-them/counter"]:
        assert client.get(path).status_code == 404, path
    assert embed_sign(client, slug="no-such-petition").status_code == 404
    html = page_text(client.get("/embed/de/p/no-such-petition/counter"))
    assert "Seite nicht gefunden" in html and 'class="site-header"' not in html


# --- the sign widget -------------------------------------------------------------------------

def test_sign_widget_has_the_counter_and_the_whole_form_posting_to_itself(client, petition):
    html = page_text(client.get("/embed/de/p/free-them/sign"))
    assert '<html lang="de"' in html and "Freiheit für die gewaltlosen politischen Gefangenen" in html
    assert '<p class="count">0 von 1.000</p>' in html
    assert '<form method="post" action="/embed/de/p/free-them/sign"' in html
    for name in ("full_name", "email", "country", "city", "show_name", "public_name", "wants_updates",
                 "website", "served"):
        assert f'name="{name}"' in html, name
    assert '<option value="DE" selected>Deutschland</option>' in html  # preselected from the language


def test_signing_in_the_widget_stores_a_pending_signature_and_mails_like_the_form(client, petition):
    response = embed_sign(client, lang="be", email="frame@example.org", show_name="y")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/embed/be/p/free-them/check-inbox")
    signature = db.session.scalar(select(Signature))
    assert (signature.status, signature.language, signature.show_name) == ("pending", "be", True)
    (message,) = queued_to("frame@example.org")
    assert message.kind == "confirm" and "/be/confirm/" in confirm_path(message.text_body)
    # The normal form sends the same kind of message.
    sign(client, lang="be", email="page@example.org")
    assert [m.kind for m in queued_to("page@example.org")] == ["confirm"]


def test_after_signing_the_frame_says_check_your_inbox(client, petition):
    response = embed_sign(client)
    page = client.get(response.headers["Location"])
    html = page_text(page)
    assert page.status_code == 200 and "Check your inbox" in html and 'class="site-header"' not in html
    assert any_site_may_frame(page)


def test_confirming_a_widget_signature_counts_it(client, petition):
    embed_sign(client, email="frame@example.org")
    confirm(client, confirm_path(queued_to("frame@example.org")[-1].text_body))
    assert '<p class="count">1 of 1,000</p>' in page_text(client.get("/embed/en/p/free-them/counter"))


def test_bad_input_in_the_widget_is_shown_in_the_widget_and_stores_nothing(client, petition):
    response = embed_sign(client, email="not-an-address", full_name="")
    html = page_text(response)
    assert response.status_code == 400 and any_site_may_frame(response)
    assert 'id="error-summary"' in html and 'class="site-header"' not in html
    assert re.search(r'id="email"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="email"', html)
    assert "Please enter your name." in html
    assert signature_count() == 0


def test_the_widget_drops_a_honeypot_submission_silently_like_the_petition_page(client, petition):
    response = embed_sign(client, website="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"].endswith("/check-inbox")
    assert signature_count() == 0


@pytest.mark.parametrize("fields", [{"served": ""}, {"served": "forged"}])
def test_the_widget_shows_an_unstamped_form_again_and_claims_no_email(client, petition, fields):
    response = embed_sign(client, **fields)
    assert response.status_code == 400 and "Please check your details" in page_text(response)
    assert signature_count() == 0


def test_a_too_fast_submission_is_shown_again_with_its_values(make_app, petition):
    app = make_app(FORM_MIN_SECONDS=5)
    response = app.test_client().post("/embed/en/p/free-them/sign", data={
        "full_name": "Fast Person", "email": "fast@example.org", "country": "GB", "served": served_stamp(app, 1)})
    assert response.status_code == 400 and 'value="Fast Person"' in page_text(response)
    with app.app_context():
        assert signature_count() == 0


def test_closed_petition_widget_shows_a_notice_and_refuses_signatures(client, make_petition):
    make_petition(status="closed")
    html = page_text(client.get("/embed/en/p/free-them/sign"))
    assert "This petition is closed and no longer accepts signatures." in html and "<form" not in html
    response = embed_sign(client)
    assert response.status_code == 409 and "This petition is closed" in page_text(response)
    assert signature_count() == 0


def test_the_widget_shares_the_petition_pages_limit_per_connection(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="2 per minute", RATELIMIT_SIGN_EMAIL="100 per minute")
    client = app.test_client()
    assert sign(client, email="a@example.org").status_code == 200
    assert embed_sign(client, email="b@example.org").status_code == 303
    response = embed_sign(client, lang="ru", email="c@example.org")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert 'class="site-header"' not in page_text(response) and any_site_may_frame(response)
    assert sign(client, email="d@example.org").status_code == 429


def test_the_widget_shares_the_petition_pages_limit_per_address(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN="100 per minute", RATELIMIT_SIGN_EMAIL="2 per hour")
    client = app.test_client()
    assert sign(client, email="Same@example.org").status_code == 200
    assert embed_sign(client, email="same@example.org").status_code == 303
    assert embed_sign(client, email="same@example.org").status_code == 429
    assert embed_sign(client, email="other@example.org").status_code == 303


def test_the_widget_needs_no_session_cookie(make_app, petition):
    # Inside another site's frame browsers often refuse cookies; the form must not depend on one.
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/embed/en/p/free-them/sign")
    assert "Set-Cookie" not in page.headers and "csrf_token" not in page_text(page)
    client.delete_cookie("session")
    response = embed_sign(client, headers={"Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    with app.app_context():
        assert signature_count() == 1


def test_a_form_sent_to_the_widget_from_another_site_is_refused(client, petition):
    response = embed_sign(client, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert signature_count() == 0


# --- what petition.js reads -----------------------------------------------------------------

def counter_data(html):
    section = re.search(r'<section class="counter"[^>]*>', html).group(0)
    texts = json.loads(htmllib.unescape(re.search(r"data-counter-texts='([^']*)'", section).group(1)))
    return section, texts


def test_the_script_is_loaded_on_the_petition_page_and_the_widgets_only(client, petition):
    tag = '<script src="/static/petition.js" defer></script>'
    for path in ["/en/p/free-them", "/embed/en/p/free-them/counter", "/embed/en/p/free-them/sign"]:
        assert tag in page_text(client.get(path)), path
    for path in ["/en/", "/en/my-data", "/embed/en/p/free-them/check-inbox"]:
        assert "<script" not in page_text(client.get(path)), path
    with client.get("/static/petition.js") as response:
        assert response.status_code == 200 and "javascript" in response.content_type
        assert len(response.data) < 12_000  # a few KB, no framework


def test_the_counter_tells_the_script_where_to_ask_and_how_often(make_app, make_petition):
    app = make_app(COUNTER_POLL_SECONDS=2)
    with app.app_context():
        make_petition()
        section, _texts = counter_data(page_text(app.test_client().get("/en/p/free-them")))
    assert 'data-counter-url="/api/v1/petitions/free-them/count"' in section
    assert 'data-poll-seconds="2"' in section and 'data-count="0"' in section


@pytest.mark.parametrize("lang", ["en", "ru", "be", "de"])
def test_counter_texts_give_the_script_what_the_server_writes(client, petition, add_signatures, lang):
    with force_locale(lang):
        rule = Locale.parse(lang).plural_form
        previous = 0
        for n in [0, 1, 2, 5, 11, 21, 22, 1001]:
            if n > previous:
                add_signatures(petition, n - previous)
            previous = n
            html = page_text(client.get(f"/{lang}/p/free-them"))
            _section, texts = counter_data(html)
            written = re.search(r'<span data-counter-part="signatures">([^<]*)</span>', html).group(1)
            # What petition.js does: Intl.PluralRules' category picks the text, Intl formats the number.
            assert texts["signatures"][rule(n)].replace("{num}", number(n)) == written, (lang, n)
            count = re.search(r'<p class="count">([^<]*)</p>', html).group(1)
            goal = int(re.search(r'<progress max="(\d+)"', html).group(1))
            assert texts["of"].replace("{count}", number(n)).replace("{goal}", number(goal)) == count


def test_plural_examples_cover_every_category_for_whole_numbers():
    assert script.plural_examples("ru") == {"many": 0, "one": 1, "few": 2}
    assert script.plural_examples("en") == {"other": 0, "one": 1}


@pytest.mark.parametrize("lang", ["en", "de", "ru"])
def test_client_messages_are_the_servers_messages(client, petition, lang):
    html = page_text(client.get(f"/{lang}/p/free-them"))
    messages = json.loads(htmllib.unescape(re.search(r"data-messages='([^']*)'", html).group(1)))

    def server_errors(**fields):
        page = page_text(sign(client, lang=lang, **fields))
        return {m.group(1): htmllib.unescape(m.group(2))
                for m in re.finditer(r'<p class="field-error" id="(\w+)-error">([^<]*)</p>', page)}

    empty = server_errors(full_name="", email="", country="")
    assert empty == {"full_name": messages["fields"]["full_name"]["required"],
                     "email": messages["fields"]["email"]["required"],
                     "country": messages["fields"]["country"]["required"]}
    assert server_errors(email="nobody")["email"] == messages["fields"]["email"]["email"]
    summary = re.search(r'<div class="error-summary"[^>]*>\s*<h2>([^<]*)</h2>', page_text(sign(client, lang=lang, email="")))
    assert htmllib.unescape(summary.group(1)) == messages["summary"]


# --- the organiser's snippets ----------------------------------------------------------------

def snippets(html):
    found = {}
    for name in ("counter", "sign"):
        match = re.search(rf'<label for="embed-{name}">[^<]+</label>\s*<textarea id="embed-{name}" readonly[^>]*>([^<]*)</textarea>', html)
        assert match, name
        found[name] = htmllib.unescape(match.group(1))
    return found


def test_dashboard_offers_both_iframe_snippets_to_copy(app, make_petition, make_member):
    make_petition(languages=("ru", "en"), primary="ru")
    client = app.test_client()
    sign_in(client, make_member())
    found = snippets(page_text(client.get("/organiser/p/free-them/")))
    for name, path in [("counter", "/embed/ru/p/free-them/counter"), ("sign", "/embed/ru/p/free-them/sign")]:
        tag = found[name]
        assert tag.startswith(f'<iframe src="http://petitions.test{path}" ') and tag.endswith("></iframe>")
        assert 'loading="lazy"' in tag and re.search(r' width="\d+" height="\d+"', tag)
        assert re.search(r' title="[^"]*Освободите узников совести"', tag)
    # The address in the snippet really is a widget.
    assert client.get("/embed/ru/p/free-them/sign").status_code == 200


def test_snippet_titles_are_escaped(app, make_petition, make_member):
    from petitions.models import PetitionTranslation

    make_petition()
    db.session.scalar(select(PetitionTranslation)).title = 'Say "no" & <mean> it'
    db.session.commit()
    client = app.test_client()
    sign_in(client, make_member())
    tag = snippets(page_text(client.get("/organiser/p/free-them/")))["counter"]
    assert 'Say &#34;no&#34; &amp; &lt;mean&gt; it"' in tag or 'Say &quot;no&quot; &amp; &lt;mean&gt; it"' in tag


def test_letters_have_no_snippets(app, make_petition, make_member):
    make_petition(slug="joint-letter", kind="letter")
    client = app.test_client()
    sign_in(client, make_member())
    html = page_text(client.get("/organiser/p/joint-letter/"))
    assert "embed-counter" not in html
