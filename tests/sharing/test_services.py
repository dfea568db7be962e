"""Sharing rules without HTTP: counts on the card, locales, link encoding, Mastodon host names, the image cache."""
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from petitions.sharing import image, services

TITLE_RU = "Освободите узников совести"
URL = "http://petitions.test/ru/p/free-them"


def _query(href):
    return parse_qs(urlsplit(href).query, strict_parsing=True)


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, 1), (999, 999), (1000, 1000), (1147, 1140),
                                              (12_345, 12_300), (999_999, 999_000), (1_234_567, 1_230_000)])
def test_count_on_the_card_is_exact_below_a_thousand_then_rounded_down_to_three_figures(count, shown):
    assert services.shown_count(count) == shown


def test_count_line_is_in_the_requested_language_with_its_plural_and_digits(app):
    assert services.petition_count_line(1147, "en") == "1,140 signatures"
    assert services.petition_count_line(1147, "de") == "1.140 Unterschriften"
    assert services.petition_count_line(1147, "ru") == "1\xa0140 подписей"
    assert services.petition_count_line(1, "ru") == "1 подпись"
    assert services.petition_count_line(3, "ru") == "3 подписи"


@pytest.mark.parametrize(("lang", "locale"), [("en", "en_US"), ("ru", "ru_RU"), ("be", "be_BY"), ("de", "de_DE"),
                                              ("pt_BR", "pt_BR")])
def test_open_graph_locale_adds_the_likely_territory(lang, locale):
    assert services.og_locale(lang) == locale


def test_share_links_carry_the_cyrillic_title_and_the_address_percent_encoded():
    links = services.share_links(URL, TITLE_RU, "Краткое содержание")
    for href in links.values():
        assert " " not in href and "+" not in href and "Освободите" not in href
    assert _query(links["telegram"]) == {"url": [URL], "text": [TITLE_RU]}
    assert _query(links["x"]) == {"url": [URL], "text": [TITLE_RU]}
    assert _query(links["whatsapp"]) == {"text": [f"{TITLE_RU}\n{URL}"]}
    assert links["telegram"].startswith("https://t.me/share/url?")
    assert links["x"].startswith("https://x.com/intent/post?")
    assert links["whatsapp"].startswith("https://wa.me/?")


def test_email_link_has_the_title_as_subject_and_the_summary_and_address_on_crlf_lines():
    href = services.share_links(URL, TITLE_RU, "Краткое содержание")["email"]
    assert href.startswith("mailto:?")
    assert _query(href) == {"subject": [TITLE_RU], "body": [f"Краткое содержание\r\n\r\n{URL}"]}
    assert "%0D%0A%0D%0A" in href


@pytest.mark.parametrize(("typed", "server"), [
    ("mastodon.social", "mastodon.social"),
    ("  Mastodon.Social. ", "mastodon.social"),
    ("https://mastodon.social/@ada", "mastodon.social"),
    ("@ada@mastodon.social", "mastodon.social"),
    ("ada@social.example.org", "social.example.org"),
    ("мастодон.рф", "xn--80aiwgdbsi.xn--p1ai"),
])
def test_mastodon_server_accepts_names_addresses_and_handles(typed, server):
    assert services.mastodon_server(typed) == server


@pytest.mark.parametrize("typed", [
    "", "   ", "localhost", "192.0.2.1", "mastodon.social:8443", "bad host.example", "-bad.example",
    "bad-.example", "under_score.example", "a" * 64 + ".example", "javascript:alert(1)", "mastodon.social\x00",
    "ex\u202eample.org", "x." * 200 + "org", None,
])
def test_mastodon_server_refuses_what_is_not_a_host_name(typed):
    assert services.mastodon_server(typed) is None


def test_mastodon_share_url_goes_to_the_servers_share_page_with_title_and_address():
    href = services.mastodon_share_url("mastodon.social", TITLE_RU, URL)
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "mastodon.social", "/share")
    assert _query(href) == {"text": [f"{TITLE_RU}\n\n{URL}"]}


def _card(count_line="3 signatures", title="Free them"):
    return services.Card(kind="petition", slug="free-them", language="en", title=title, count_line=count_line,
                         site_name="Petitions")


def test_card_etag_changes_with_anything_drawn():
    assert _card().etag == _card().etag
    assert _card().etag != _card(count_line="4 signatures").etag
    assert _card().etag != _card(title="Free them all").etag


def test_image_cache_draws_a_card_once_and_forgets_the_least_recently_used():
    drawn = []

    def draw(title, count_line, site_name):
        drawn.append(count_line)
        return count_line.encode()

    cache = services.ImageCache(size=2, draw=draw)
    one, two, three = _card("1"), _card("2"), _card("3")
    assert cache.png(one) == b"1" and cache.png(one) == b"1"
    cache.png(two)
    cache.png(one)      # one is now the most recently used
    cache.png(three)    # so two is forgotten
    cache.png(one)
    cache.png(two)
    assert drawn == ["1", "2", "3", "2"]


def test_image_is_a_1200_by_630_png():
    picture = Image.open(io.BytesIO(image.render(TITLE_RU, "1 140 подписей", "Petitions")))
    assert (picture.format, picture.size) == ("PNG", (1200, 630))


def test_each_cyrillic_letter_draws_its_own_glyph():
    # A font without Cyrillic draws every letter as the same empty box, so the pictures would be identical.
    pictures = {image.render(letter, "", "") for letter in "ЖЩЫЎІЁ"}
    assert len(pictures) == 6


def test_long_words_are_broken_to_fit_and_an_overlong_title_ends_with_an_ellipsis():
    font = image._font("Bold", 60)
    lines = image.wrap(font, "Kurz " + "Rechtsstaatlichkeitsgrundsätze" * 3, 500)
    assert all(font.getlength(line) <= 500 for line in lines) and len(lines) > 3
    font, lines = image.fit_title("Долгое название " * 40)
    assert font.size == image.TITLE_SIZES[-1]
    assert lines[-1].endswith(image.ELLIPSIS)
    assert len(lines) * font.size * image.LINE_HEIGHT <= image.TITLE_BOTTOM - image.TITLE_TOP


def test_control_and_bidi_characters_are_not_drawn():
    assert image.render("Free\u202e them\n", "3", "P") == image.render("Free them", "3", "P")


def test_description_is_the_summary_cut_at_a_word_or_else_the_title():
    class Text:
        title = "Free them"
        summary = "word " * 100

    cut = services.description(Text)
    assert len(cut) <= services.DESCRIPTION_MAX and cut.endswith("word\u2026")
    Text.summary = ""
    assert services.description(Text) == "Free them"
