"""Every supporter reads, signs and is written to in their own language."""
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from flask_babel import force_locale

from petitions.config import Config
from petitions.i18n import countries, format_date, number

from .helpers import confirm, page_text, queued_to, sign

ROOT = Path(__file__).resolve().parent.parent
# The catalogues of the languages the site turns on by default: a catalogue under translations/ that is
# not on yet (being translated) is checked once its code joins Config.LANGUAGES.
SHIPPED = [code for code in Config.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def catalogue(lang):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def is_translated(message):
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and not message.fuzzy


@pytest.mark.parametrize("lang", SHIPPED)
def test_catalogue_has_no_missing_or_fuzzy_entry(lang):
    messages = [m for m in catalogue(lang) if m.id]
    assert messages
    assert [m.id for m in messages if not is_translated(m)] == []
    assert not catalogue(lang).fuzzy


@pytest.mark.parametrize("lang", SHIPPED)
def test_translations_keep_every_placeholder(lang):
    for message in catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"%(num)s", "%(num)d"}
        for string in strings:
            assert wanted <= set(PLACEHOLDER.findall(string)), (lang, message.id, string)


def test_every_string_in_the_code_is_in_every_catalogue(tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "-o", str(pot), str(ROOT),
    ])
    with open(pot, "rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert len(extracted) > 50
    for lang in SHIPPED:
        present = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue(lang) if m.id}
        assert sorted(extracted - present) == [], f"{lang} lacks strings; run `make translations`"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("ru", {0: "0 подписей", 1: "1 подпись", 2: "2 подписи", 5: "5 подписей", 11: "11 подписей",
                21: "21 подпись", 1_000_000: "1\xa0000\xa0000 подписей"}),
        ("be", {0: "0 подпісаў", 1: "1 подпіс", 2: "2 подпісы", 5: "5 подпісаў", 11: "11 подпісаў",
                21: "21 подпіс", 1_000_000: "1\xa0000\xa0000 подпісаў"}),
        ("de", {0: "0 Unterschriften", 1: "1 Unterschrift", 2: "2 Unterschriften", 1_000_000: "1.000.000 Unterschriften"}),
        ("en", {0: "0 signatures", 1: "1 signature", 21: "21 signatures", 1_000_000: "1,000,000 signatures"}),
    ],
)
def test_plural_forms_follow_the_language(app, lang, expected):
    # Rendered the way the templates render every count.
    template = app.jinja_env.from_string(
        "{{ ngettext('%(num)s signature', '%(num)s signatures', n, num=number(n)) }}"
    )
    with app.test_request_context(), force_locale(lang):
        for count, text in expected.items():
            assert template.render(n=count, number=number) == text


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "712 of 1,000"), ("ru", "712 из 1\xa0000"), ("de", "712 von 1.000"), ("be", "712 з 1\xa0000")],
)
def test_the_counter_formats_numbers_for_each_language(app, client, petition, add_signatures, lang, expected):
    add_signatures(petition, 712)
    html = page_text(client.get(f"/{lang}/p/free-them"))
    assert f'<p class="count">{expected}</p>' in html


class VisibleText(HTMLParser):
    """Text a person sees or hears: page text plus labels read by screen readers."""

    def __init__(self):
        super().__init__()
        self.parts = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def english_fragments(lang):
    """Pieces of English interface text that must not appear on a page in ``lang``."""
    fragments = set()
    for message in catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for source in ids:
            for piece in PLACEHOLDER.split(source):
                piece = piece.strip(" .,:·()“”")
                if len(piece) >= 4 and " " in piece or piece in {"Sign", "Country", "Signatures", "Language"}:
                    fragments.add(piece)
    return fragments


def assert_no_english(html, lang):
    text = visible(html)
    leaked = sorted(f for f in english_fragments(lang) if f in text)
    assert leaked == [], f"English interface text on a {lang} page: {leaked}"


@pytest.mark.parametrize(("lang", "strings"), [
    ("ru", ["Подписать", "Страна"]),
    ("be", ["Падпісаць", "Краіна"]),
    ("de", ["Unterschreiben", "Land"]),
])
def test_each_language_is_used_end_to_end(client, petition, lang, strings):
    page = page_text(client.get(f"/{lang}/p/free-them"))
    assert f'<html lang="{lang}" dir="ltr">' in page
    for s in strings:
        assert s in visible(page), s
    assert_no_english(page, lang)

    errors = sign(client, lang=lang, email="broken", full_name="")
    assert errors.status_code == 400
    assert_no_english(page_text(errors), lang)

    done = sign(client, lang=lang, email=f"{lang}@example.org")
    inbox = page_text(done)  # the check-inbox page is the POST's own answer
    assert_no_english(inbox, lang)

    (email,) = queued_to(f"{lang}@example.org")
    assert_no_english(email.text_body, lang)
    assert_no_english(email.html_body, lang)
    assert_no_english(email.subject, lang)
    path = re.search(r"(/[a-z]{2}/confirm/\S+)", email.text_body).group(1)
    assert path.startswith(f"/{lang}/")
    assert_no_english(page_text(client.get(path)), lang)
    assert_no_english(page_text(confirm(client, path)), lang)


@pytest.mark.parametrize("lang", SHIPPED)
def test_error_pages_are_translated(client, petition, lang):
    assert_no_english(page_text(client.get(f"/{lang}/p/nope")), lang)
    assert_no_english(page_text(client.get(f"/{lang}/confirm/garbage")), lang)


def test_the_switcher_offers_the_petitions_languages_with_hreflang(client, make_petition):
    make_petition(languages=("en", "de"))
    html = page_text(client.get("/de/p/free-them"))
    assert '<link rel="alternate" hreflang="en" href="http://petitions.test/en/p/free-them">' in html
    assert '<link rel="alternate" hreflang="de" href="http://petitions.test/de/p/free-them">' in html
    assert 'hreflang="ru"' not in html
    assert '<a href="/en/p/free-them" hreflang="en" lang="en">English</a>' in html


def test_missing_text_falls_back_to_the_primary_language_with_a_notice(client, make_petition):
    make_petition(languages=("en",))
    html = page_text(client.get("/ru/p/free-them"))
    assert '<html lang="ru"' in html
    assert '<article class="petition-text" lang="en"' in html
    assert "<h1>Free the prisoners of conscience</h1>" in html
    notice = re.search(r'<p class="notice" lang="ru">([^<]*)</p>', html).group(1)
    # The original's name as a Russian reader writes it, after a colon: no case to agree with.
    assert notice.endswith("Язык оригинала: английский"), notice
    assert_no_english(html.replace("Free the prisoners of conscience", ""), "ru")


def test_right_to_left_languages_lay_out_right_to_left(make_app, petition):
    app = make_app(LANGUAGES=["en", "ar"])
    html = page_text(app.test_client().get("/ar/p/free-them"))
    assert '<html lang="ar" dir="rtl">' in html


def test_farsi_pages_are_right_to_left_with_persian_digits(make_app, make_petition):
    app = make_app(LANGUAGES=["en", "fa"])
    make_petition(languages=("en",))
    with app.test_request_context("/fa/"), force_locale("fa"):
        # CLDR: Farsi's default numbering system is arabext, grouped with U+066C.
        assert number(1_234_567) == "۱٬۲۳۴٬۵۶۷"
        assert format_date(date(2026, 12, 1), "long") == "۱ دسامبر ۲۰۲۶"
    with app.test_request_context("/de/"), force_locale("de"):
        assert number(1_234_567) == "1.234.567"
    html = page_text(app.test_client().get("/fa/p/free-them"))
    assert '<html lang="fa" dir="rtl">' in html
    goal = re.search(r'<progress max="[^"]*" value="[^"]*"[^>]*>([^<]*)</progress>', html).group(1)
    assert goal and not re.search(r"[0-9]", goal) and re.search("[۰-۹]", goal), goal


def test_no_rule_moves_things_off_screen_sideways():
    # A large negative offset makes a right-to-left page scroll sideways: hide by clipping instead.
    css = (ROOT / "petitions" / "static" / "style.css").read_text()
    assert not re.search(r"(?<![-\w])(left|right)\s*:", css)
    assert not re.search(r"(margin|padding)-(left|right)\s*:", css)
    assert not re.search(r"text-align:\s*(left|right)", css)


def test_length_limits_use_plural_forms_and_the_readers_digits(app):
    from petitions.i18n import at_least_characters, at_most_characters
    with app.test_request_context("/ru/"), force_locale("ru"):
        assert str(at_most_characters(21)) == "Не более 21 символа."
        assert str(at_most_characters(20_000)) == "Не более 20\xa0000 символов."
        assert str(at_least_characters(12)) == "Используйте не менее 12 символов."
    with app.test_request_context("/de/"), force_locale("de"):
        assert str(at_most_characters(20_000)) == "Höchstens 20.000 Zeichen."


@pytest.mark.parametrize(("lang", "before", "after"), [
    ("de", "Oman", "Österreich"), ("de", "Österreich", "Pakistan"),
    ("ru", "Австралия", "Австрия"), ("ru", "Эфиопия", "Япония"),
])
def test_country_names_sort_as_a_reader_expects(lang, before, after):
    names = [name for _, name in countries(lang)]
    assert names.index(before) < names.index(after)


def test_belarusian_i_sorts_inside_the_alphabet_not_after_ya():
    names = [name for _, name in countries("be")]
    first_i = next(i for i, n in enumerate(names) if n.startswith("І"))
    first_k = next(i for i, n in enumerate(names) if n.startswith("К"))
    assert first_i < first_k


def test_the_english_leak_check_notices_english(client, petition):
    english_page = page_text(client.get("/en/p/free-them"))
    with pytest.raises(AssertionError, match="Sign this petition"):
        assert_no_english(english_page, "ru")


@pytest.mark.parametrize("path", ["/ru/p/free-them/check-inbox", "/de/"])
def test_other_pages_link_their_other_languages(client, petition, path):
    html = page_text(client.get(path))
    for code in Config.LANGUAGES:
        assert f'hreflang="{code}"' in html
