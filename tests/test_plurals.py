"""Plural forms follow CLDR in every catalogue, Ukrainian, Polish and Lithuanian included (rules unlike Russian's).

Two checks: that each catalogue's Plural-Forms header picks, for every count below, the form CLDR's category
calls for (true from the day the catalogue is created); and that a rendered count comes out in that form with
the number written as the reader writes it. The second needs a filled catalogue, so it runs for the languages
the site turns on (Config.LANGUAGES); a language joins it when the lead turns it on.
"""
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from flask_babel import force_locale

from petitions.config import Config
from petitions.i18n import number

ROOT = Path(__file__).resolve().parent.parent
COUNTS = (0, 1, 2, 5, 11, 21, 22, 25, 101, 1_000_000)

# What CLDR says, written out rather than read from Babel, so a change in either shows here.
CATEGORIES = {
    "uk": {0: "many", 1: "one", 2: "few", 5: "many", 11: "many", 21: "one", 22: "few", 25: "many", 101: "one",
           1.5: "other", 1_000_000: "many"},
    "pl": {0: "many", 1: "one", 2: "few", 5: "many", 11: "many", 21: "many", 22: "few", 25: "many", 101: "many",
           1.5: "other", 1_000_000: "many"},
    "lt": {0: "other", 1: "one", 2: "few", 5: "few", 11: "other", 21: "one", 22: "few", 25: "few", 101: "one",
           1.5: "many", 1_000_000: "other"},
    "ru": {0: "many", 1: "one", 2: "few", 5: "many", 11: "many", 21: "one", 22: "few", 25: "many", 101: "one",
           1.5: "other", 1_000_000: "many"},
    "be": {0: "many", 1: "one", 2: "few", 5: "many", 11: "many", 21: "one", 22: "few", 25: "many", 101: "one",
           1.5: "other", 1_000_000: "many"},
    "de": {0: "other", 1: "one", 2: "other", 21: "other", 1.5: "other", 1_000_000: "other"},
    # French and Spanish have a "many" form for exact millions ("1 000 000 de signatures").
    "fr": {0: "one", 1: "one", 2: "other", 21: "other", 1.5: "one", 1_000_000: "many", 2_000_000: "many",
           1_500_000: "other"},
    "es": {0: "other", 1: "one", 2: "other", 21: "other", 1.5: "other", 1_000_000: "many", 1_500_000: "other"},
    "fa": {0: "one", 1: "one", 2: "other", 21: "other", 1.5: "other", 1_000_000: "other"},
}
# The catalogue form for each category of whole numbers (gettext's forms cover whole numbers only).
FORM = {"uk": {"one": 0, "few": 1, "many": 2}, "pl": {"one": 0, "few": 1, "many": 2},
        "lt": {"one": 0, "few": 1, "other": 2}, "ru": {"one": 0, "few": 1, "many": 2},
        "be": {"one": 0, "few": 1, "many": 2}, "de": {"one": 0, "other": 1},
        "fr": {"one": 0, "many": 1, "other": 2}, "es": {"one": 0, "many": 1, "other": 2},
        "fa": {"one": 0, "other": 1}}


def catalogue(lang):
    with open(ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("lang", sorted(CATEGORIES))
def test_babel_gives_the_cldr_category(lang):
    rule = Locale.parse(lang).plural_form
    assert {count: rule(count) for count in CATEGORIES[lang]} == CATEGORIES[lang]


@pytest.mark.parametrize("lang", sorted(CATEGORIES))
def test_the_catalogue_header_picks_the_form_of_each_category(lang):
    found = catalogue(lang)
    assert found.num_plurals == len(FORM[lang])
    choose = compile_plural(found.plural_expr)
    for count, category in CATEGORIES[lang].items():
        if isinstance(count, int):
            assert choose(count) == FORM[lang][category], (lang, count, category)


def compile_plural(expression):
    from gettext import c2py  # the interpreter gettext itself uses for a Plural-Forms header
    return c2py(expression)


ON = [lang for lang in Config.LANGUAGES if lang in FORM]


@pytest.mark.parametrize("lang", ON)
def test_a_rendered_count_uses_its_form_and_the_readers_digits(app, lang):
    message = next(m for m in catalogue(lang) if m.id and m.id[0] == "%(num)s signature")
    assert all(message.string), (lang, "untranslated")
    template = app.jinja_env.from_string(
        "{{ ngettext('%(num)s signature', '%(num)s signatures', n, num=number(n)) }}")
    with app.test_request_context(f"/{lang}/"), force_locale(lang):
        for count in COUNTS:
            if count not in CATEGORIES[lang]:
                continue
            form = message.string[FORM[lang][CATEGORIES[lang][count]]]
            assert template.render(n=count, number=number) == form % {"num": number(count)}, (lang, count)
            # Large numbers are grouped as CLDR groups them, never with a plain space.
            assert " " not in number(count)
