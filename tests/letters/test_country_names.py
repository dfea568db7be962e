"""A country typed in any of the project's ten languages is recognised, by the letter import and the paper CSV alike."""
import pytest

from petitions.countries import FIRST_LANGUAGES, look_up
from petitions.i18n import CATALOGUE_LANGUAGES, recognise_country


@pytest.mark.parametrize(("text", "code", "lang"), [
    ("Німеччина", "DE", "uk"), ("Білорусь", "BY", "uk"),
    ("Niemcy", "DE", "pl"), ("Białoruś", "BY", "pl"),
    ("Vokietija", "DE", "lt"), ("Baltarusija", "BY", "lt"),
    ("آلمان", "DE", "fa"), ("بلاروس", "BY", "fa"),
    ("Allemagne", "DE", "fr"), ("Biélorussie", "BY", "fr"),
    ("Alemania", "DE", "es"), ("Bielorrusia", "BY", "es"),
])
def test_a_name_in_each_new_language_resolves(text, code, lang):
    found = look_up(text)
    assert found.kind == "country" and [(r.code, r.how) for r in found.found] == [(code, "name")]
    assert recognise_country(text) == code


def test_farsi_typed_on_an_arabic_keyboard_is_the_same_name():
    # ي and ك for ی and ک: "Iran" as an Arabic layout types it.
    assert recognise_country("ايران") == "IR"


def test_the_paper_import_shares_the_letter_imports_index():
    assert recognise_country("USA") == "US"          # an alias, which the paper import once lacked
    assert recognise_country("Congo") is None         # two countries: reported, never guessed
    assert recognise_country("de") == "DE"
    assert recognise_country("Europe") is None


def test_every_catalogue_language_is_a_first_language():
    assert set(CATALOGUE_LANGUAGES) <= set(FIRST_LANGUAGES)


def test_a_farsi_line_splits_at_the_arabic_comma():
    from petitions.letters.forms import COUNTRY_LIST_SEPARATORS
    from petitions.letters.importing import read_line

    line = read_line(1, "کانون نمونه، ایران")
    assert line.name == "کانون نمونه" and [r.code for r in line.found] == ["IR"]
    assert COUNTRY_LIST_SEPARATORS.split("آلمان، سوئیس") == ["آلمان", "سوئیس"]
    assert COUNTRY_LIST_SEPARATORS.split("Niemcy i Szwajcaria") == ["Niemcy", "Szwajcaria"]
