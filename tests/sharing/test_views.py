"""Sharing over HTTP: link previews on the pages, the share image, share links and the Mastodon form."""
import io
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from petitions.extensions import db
from petitions.letters.services import import_lines

from ..helpers import page_text

TITLE_RU = "Освободите узников совести"
SAME_SITE = {"Sec-Fetch-Site": "same-origin"}


class _Page(HTMLParser):
    """The meta tags and links of a page."""

    def __init__(self, html):
        super().__init__()
        self.meta, self.links = [], []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta.append((attrs.get("property") or attrs["name"], attrs["content"]))
        if tag == "a":
            self.links.append(attrs)

    def one(self, key):
        (value,) = [content for name, content in self.meta if name == key]
        return value

    def all(self, key):
        return [content for name, content in self.meta if name == key]

    def link(self, text_href_start):
        (found,) = [a for a in self.links if a.get("href", "").startswith(text_href_start)]
        return found


@pytest.fixture
def letter(make_petition):
    letter = make_petition(slug="end-repression", kind="letter", languages=("en", "ru"))
    import_lines(letter, "Viasna – Belarus\nLibereco – DE\n")
    db.session.commit()
    return letter


def _png(response):
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.data))


# --- link previews ----------------------------------------------------------------------------------------


def test_russian_petition_page_previews_in_russian(client, petition, add_signatures):
    add_signatures(petition, 1147)
    page = _Page(page_text(client.get("/ru/p/free-them")))
    assert page.one("og:title") == TITLE_RU == page.one("twitter:title")
    assert page.one("og:description") == f"{TITLE_RU}: summary (ru)." == page.one("twitter:description")
    assert page.one("og:locale") == "ru_RU"
    assert sorted(page.all("og:locale:alternate")) == ["be_BY", "de_DE", "en_US"]
    assert page.one("og:url") == "http://petitions.test/ru/p/free-them"
    assert page.one("og:image") == "http://petitions.test/ru/p/free-them/share.png" == page.one("twitter:image")
    assert (page.one("og:image:width"), page.one("og:image:height")) == ("1200", "630")
    assert page.one("og:image:alt") == f"{TITLE_RU} – 1\xa0140 подписей"
    assert page.one("twitter:card") == "summary_large_image"


def test_a_page_offers_only_the_languages_the_petition_is_written_in(client, make_petition):
    make_petition(languages=("en", "de"))
    page = _Page(page_text(client.get("/de/p/free-them")))
    assert page.one("og:locale") == "de_DE"
    assert page.all("og:locale:alternate") == ["en_US"]


def test_letter_page_previews_in_its_language_with_the_signatory_count(client, letter):
    page = _Page(page_text(client.get("/ru/letter/end-repression")))
    assert page.one("og:title") == TITLE_RU
    assert page.one("og:url") == "http://petitions.test/ru/letter/end-repression"
    assert page.one("og:image") == "http://petitions.test/ru/letter/end-repression/share.png"
    assert page.one("og:image:alt") == f"{TITLE_RU} – 2 организации, 0 частных лиц"


# --- the share image --------------------------------------------------------------------------------------


def test_share_image_is_a_1200_by_630_png_kept_in_caches_for_five_minutes(client, petition):
    response = client.get("/ru/p/free-them/share.png")
    picture = _png(response)
    assert (picture.format, picture.size) == ("PNG", (1200, 630))
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"]


def test_share_image_differs_by_language_and_when_the_count_changes(client, petition, add_signatures):
    english = client.get("/en/p/free-them/share.png")
    russian = client.get("/ru/p/free-them/share.png")
    assert english.data != russian.data and english.headers["ETag"] != russian.headers["ETag"]
    add_signatures(petition, 1)
    after = client.get("/ru/p/free-them/share.png")
    assert _png(after).size == (1200, 630)
    assert after.data != russian.data and after.headers["ETag"] != russian.headers["ETag"]


def test_unchanged_share_image_answers_not_modified_without_drawing_it_again(app, client, petition):
    first = client.get("/en/p/free-them/share.png")
    cache = app.extensions["petitions.share_images"]
    cache.draw = lambda *args: pytest.fail("drew an image the client already has")
    again = client.get("/en/p/free-them/share.png", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "public, max-age=300"


def test_share_image_is_drawn_once_for_many_requests(app, client, petition):
    cache = app.extensions["petitions.share_images"]
    draw, calls = cache.draw, []
    cache.draw = lambda *args: calls.append(args) or draw(*args)
    bodies = {client.get("/en/p/free-them/share.png").data for _ in range(5)}
    assert len(bodies) == 1 and len(calls) == 1


def test_letter_share_image_counts_approved_signatories(client, letter):
    before = client.get("/en/letter/end-repression/share.png")
    assert _png(before).size == (1200, 630)
    import_lines(letter, "Amnesty – GB\n")
    db.session.commit()
    after = client.get("/en/letter/end-repression/share.png")
    assert after.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize("path", [
    "/en/p/draft-one/share.png",                # a draft
    "/en/p/no-such-petition/share.png",         # unknown
    "/en/p/Bad%20Slug%00/share.png",            # cannot be a slug
    "/xx/p/free-them/share.png",                # not an interface language
    "/en/p/end-repression/share.png",           # a letter at a petition's address
    "/en/letter/free-them/share.png",           # a petition at a letter's address
    "/en/letter/draft-one/share.png",
    "/en/p/draft-one/share/mastodon",
    "/en/letter/free-them/share/mastodon",
])
def test_share_image_and_form_of_what_is_not_public_are_not_found(client, make_petition, path):
    make_petition(slug="free-them")
    make_petition(slug="draft-one", status="draft")
    make_petition(slug="end-repression", kind="letter")
    assert client.get(path).status_code == 404


# --- share links ------------------------------------------------------------------------------------------


def test_petition_page_has_plain_share_links_with_the_cyrillic_title_encoded(client, petition):
    html = page_text(client.get("/ru/p/free-them"))
    assert "Share this petition" in html or "Поделиться петицией" in html
    page = _Page(html)
    telegram = page.link("https://t.me/share/url?")
    assert parse_qs(urlsplit(telegram["href"]).query) == {
        "url": ["http://petitions.test/ru/p/free-them"], "text": [TITLE_RU]}
    for start in ("mailto:", "https://t.me/", "https://wa.me/", "https://x.com/intent/post?"):
        assert page.link(start)["rel"] == "noopener noreferrer"
    assert page.link("/ru/p/free-them/share/mastodon")
    share = html[html.index('<section class="share"'):]
    share = share[:share.index("</section>")]
    assert "style" not in share and "<script" not in share  # the CSP forbids inline styles and scripts


def test_share_section_is_headed_and_its_links_are_named_in_the_page_language(client, letter):
    html = page_text(client.get("/ru/letter/end-repression"))
    assert "<h2 id=\"share-heading\">Поделиться письмом</h2>" in html
    assert ">Поделиться в Telegram</a>" in html and ">Поделиться в Mastodon</a>" in html
    assert _Page(html).link("/ru/letter/end-repression/share/mastodon")


# --- Mastodon ---------------------------------------------------------------------------------------------


def test_mastodon_form_asks_for_a_server_in_the_page_language(client, petition):
    response = client.get("/ru/p/free-them/share/mastodon")
    html = page_text(response)
    assert response.status_code == 200
    assert "Ваш сервер Mastodon, например mastodon.social" in html
    assert 'method="get"' in html and 'action="/ru/p/free-them/share/mastodon"' in html


def test_mastodon_form_refuses_a_bad_host_with_a_translated_message(client, petition):
    response = client.get("/ru/p/free-them/share/mastodon", query_string={"server": "not a host!"}, headers=SAME_SITE)
    assert response.status_code == 400
    assert "Введите имя вашего сервера Mastodon, например mastodon.social." in page_text(response)
    assert "Location" not in response.headers


def test_mastodon_form_sends_our_own_submission_to_the_servers_share_page(client, petition):
    response = client.get("/ru/p/free-them/share/mastodon", query_string={"server": "https://Mastodon.Social/"},
                          headers=SAME_SITE)
    assert response.status_code == 303
    target = urlsplit(response.location)
    assert (target.scheme, target.netloc, target.path) == ("https", "mastodon.social", "/share")
    assert parse_qs(target.query) == {"text": [f"{TITLE_RU}\n\nhttp://petitions.test/ru/p/free-them"]}


def test_a_link_from_elsewhere_names_the_destination_instead_of_redirecting(client, petition):
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {}):
        response = client.get("/en/p/free-them/share/mastodon", query_string={"server": "evil.example"},
                              headers=headers)
        assert response.status_code == 200 and "Location" not in response.headers
        page = _Page(page_text(response))
        assert page.link("https://evil.example/share?")["rel"] == "noopener noreferrer"
        assert "Continue to evil.example" in page_text(response)


def test_only_the_mastodon_page_lets_its_form_lead_to_another_site(client, petition):
    policy = client.get("/en/p/free-them/share/mastodon").headers["Content-Security-Policy"]
    assert "form-action 'self' https:" in policy
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    page_policy = client.get("/en/p/free-them").headers["Content-Security-Policy"]
    assert "form-action 'self';" in page_policy
