"""Importing the signatory lists organisations really have: preview, decisions, countries in any language (issue 18)."""
import html
import io
import json
import re
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from petitions import countries
from petitions.country_aliases import ALIASES
from petitions.extensions import db
from petitions.letters import importing, services
from petitions.models import LetterSignatory

from ..helpers import queued_to, served_stamp, sign_in

DATA = Path(__file__).parent / "data"
BASE = "/organiser/p/end-repression/signatories"


@pytest.fixture
def letter(make_petition):
    return make_petition(slug="end-repression", kind="letter", languages=("en", "ru", "be", "de"))


@pytest.fixture
def organiser(app, letter, make_member):
    client = app.test_client()
    sign_in(client, make_member())
    return client


def _listed():
    return db.session.scalar(select(func.count()).select_from(LetterSignatory))


def _text(response):
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def _rows(response):
    """The preview table as {line number: (listed as, how recognised)}, read from the page."""
    page = html.unescape(response.get_data(as_text=True))
    rows = {}
    for row in re.findall(r'<tr class="\w+">(.*?)</tr>', page, re.S):
        cells = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip()
                 for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        rows[int(cells[0])] = (cells[2], cells[3])
    return rows


# --- the real list --------------------------------------------------------------------------

def test_a_real_joint_letter_imports_with_the_right_countries_and_asks_only_about_the_rest(app, letter):
    expected = json.loads((DATA / "joint_letter.expected.json").read_text(encoding="utf-8"))
    lines = importing.preview(letter, (DATA / "joint_letter.txt").read_text(encoding="utf-8"))
    assert len(lines) == len(expected) >= 150   # blank lines are not entries; every other line is
    right = 0
    for line, wanted in zip(lines, expected, strict=True):
        assert line.text == wanted["line"].strip()
        if wanted["status"] == "ready":
            assert (line.status, line.name, list(line.codes), line.region) == (
                "ready", wanted["name"], wanted["countries"], wanted["region"]), line.text
            right += 1
        else:
            first = line.choices[0]
            assert (line.status, first.name, list(first.codes)) == ("decision", wanted["name"], wanted["countries"])
    assert right / len(expected) >= 0.97
    assert _listed() == 0   # a preview stores nothing


def test_the_list_uses_every_quirk_the_issue_names(app):
    text = (DATA / "joint_letter.txt").read_text(encoding="utf-8")
    numbers = [int(n) for n in re.findall(r"^(\d+)\.", text, re.M)]
    assert 45 not in numbers and 44 in numbers and 46 in numbers   # numbering with a gap
    for quirk in ("Tchad", "Tunisie", "Turquie", "Haïti", "– USA", "– UK", "United States of America",
                  "The Netherlands", "Czech Republic", "– Turkey", "Republic of Moldova", "Palestine",
                  "Democratic Republic of Congo", "Congo Brazzaville", "Northern Ireland (UK)", "Türkiye", "Czechia",
                  "Congo - Kinshasa", "Germany/ Switzerland", "UK, Lebanon, Bahrain", "Malaysia/Asia-Pacific",
                  "People's Vigilance India", "“", "‘", "—", "‒", "Deutschland", "Россия", "Беларусь"):
        assert quirk in text, quirk


# --- recognising countries ----------------------------------------------------------------------

@pytest.mark.parametrize("written,code,how,language", [
    ("Tchad", "TD", "name", "fr"),
    ("Alemania", "DE", "name", "es"),
    ("ドイツ", "DE", "name", "ja"),
    ("Беларусь", "BY", "name", "ru"),
    ("Haiti", "HT", "name", "en"),
    ("HAÏTI", "HT", "name", "en"),
    ("the  Gambia", "GM", "name", "en"),
    ("Cote d'Ivoire", "CI", "name", "en"),
    ("Congo – Kinshasa", "CD", "name", "en"),
    ("U.S.A.", "US", "alias", ""),
    ("de", "DE", "code", ""),
])
def test_a_country_is_recognised_in_any_cldr_language_whatever_its_case_accents_and_dashes(written, code, how,
                                                                                           language):
    assert countries.look_up(written) == countries.Lookup("country", (countries.Recognised(code, how, language),))


def test_a_name_that_means_two_countries_is_a_choice_never_a_pick():
    found = countries.look_up("Kongo")   # Congo in German, Polish, Swahili ...: both Congos
    assert found.kind == "ambiguous" and {r.code for r in found.found} == {"CD", "CG"}
    assert countries.look_up("Congo").found[0].code == "CD"  # the alias table's order comes first
    line = importing.read_line(1, "Freedom Now – Kongo")
    assert line.status == "decision" and [c.value for c in line.choices][:2] in (["c:CD", "c:CG"], ["c:CG", "c:CD"])


def test_regions_are_recognised_in_any_language_and_are_not_countries():
    assert countries.look_up("Asia-Pacific").kind == "region"
    assert countries.look_up("Lateinamerika").kind == "region"   # CLDR's 419, in German
    assert countries.look_up("Европа").kind == "region"
    assert countries.look_up("Europäische Union").kind == "region"   # CLDR's EU
    assert countries.look_up("EU") is None   # a grouping's code is not a country code
    assert not countries.is_country("EU") and not countries.is_country("419")


def test_the_index_is_built_once_per_process():
    assert countries.index() is countries.index()
    assert len(countries.index().names) > 10_000   # hundreds of languages, not four


@pytest.mark.parametrize("line,name,codes", [
    ("Peter Jordan", "Peter Jordan", ()),           # a person's surname: the whole name is suggested first
])
def test_a_country_ending_a_persons_name_is_asked_about(line, name, codes):
    read = importing.read_line(1, line, kind="individual")
    assert read.status == "decision"
    assert (read.choices[0].name, read.choices[0].codes) == (name, codes)
    assert (read.choices[1].name, read.choices[1].codes) == ("Peter", ("JO",))


# --- the web preview ----------------------------------------------------------------------------------

def test_every_alias_through_the_web_preview_and_the_command_line(app, runner, organiser, letter, tmp_path):
    single = [(alias, codes[0]) for alias, codes in ALIASES.items() if len(codes) == 1]
    text = "\n".join(f"Org {number} – {alias}" for number, (alias, _code) in enumerate(single, 1))
    rows = _rows(organiser.post(f"{BASE}/import", data={"lines": text, "kind": "organisation"}))
    for number, (alias, code) in enumerate(single, 1):
        name = countries_en(code)
        assert rows[number] == (f"Org {number} – {name}", f"{name}: common alias"), alias
    source = tmp_path / "aliases.txt"
    source.write_text(text, encoding="utf-8")
    output = runner.invoke(args=["letter", "import", "end-repression", str(source), "--dry-run"]).output
    for number, (_alias, code) in enumerate(single, 1):
        assert f"line {number}: Org {number} – {countries_en(code)} [{countries_en(code)}: common alias]" in output
    assert f"would import {len(single)} signatories" in output
    assert _listed() == 0


def countries_en(code):
    from babel import Locale

    return Locale.parse("en").territories[code]


CASES = ("1. ARTICLE 20 Watch\n"
         "2. Alpine Rights Initiative – Germany/ Switzerland\n"
         "3. Suara Rakyat – Malaysia/Asia-Pacific\n"
         "4. Forum for Asian Rights – Asia-Pacific\n"
         "5. People's Vigilance India\n"
         "6. Freedom Now Project – Congo\n")


def test_no_country_several_countries_and_a_region_through_the_web_preview(app, organiser, letter):
    response = organiser.post(f"{BASE}/import", data={"lines": CASES, "kind": "organisation"})
    assert response.status_code == 200 and _listed() == 0
    rows = _rows(response)
    assert rows[1] == ("ARTICLE 20 Watch", "no country")
    assert rows[2] == ("Alpine Rights Initiative – Germany, Switzerland", "Germany: exact; Switzerland: exact")
    assert rows[3] == ("Suara Rakyat – Malaysia, Asia-Pacific", "Malaysia: exact; Asia-Pacific: a region, kept as typed")
    assert rows[4] == ("Forum for Asian Rights – Asia-Pacific", "Asia-Pacific: a region, kept as typed")
    assert rows[5] == ("People's Vigilance – India", "India: exact; the country ends the name, without a separator")
    # Languages the site is not translated into (French and Spanish now are: their names are exact).
    rows = _rows(organiser.post(f"{BASE}/import", data={"lines": "Lega – Ciad\nToimisto – Saksa", "kind": "organisation"}))
    assert rows == {1: ("Lega – Chad", "Chad: name in another language: Italian"), 2: ("Toimisto – Germany", "Germany: name in another language: Finnish")}
    rows = _rows(organiser.post(f"{BASE}/import", data={"lines": "Ligue – Tchad\nBüro – Alemania", "kind": "organisation"}))
    assert rows == {1: ("Ligue – Chad", "Chad: exact"), 2: ("Büro – Germany", "Germany: exact")}
    page = html.unescape(response.get_data(as_text=True))
    select_6 = re.search(r'<select id="choice-6" name="choice-6">(.*?)</select>', page, re.S).group(1)
    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]*)</option>', select_6)
    assert options[0] == ("c:CD", " selected", "Freedom Now Project – Congo - Kinshasa")
    assert [value for value, _s, _l in options] == ["c:CD", "c:CG", "none", "skip"]
    # The pasted text travels in the confirm form, not in the session.
    assert re.search(r'<input type="hidden" name="lines" value="1\. ARTICLE 20 Watch\n2\.', page)


def test_confirming_the_preview_saves_with_the_choices_made(app, organiser, letter):
    response = organiser.post(f"{BASE}/import/confirm", data={"lines": CASES, "kind": "organisation",
                                                              "choice-6": "c:CG"})
    assert response.status_code == 302
    rows = {r.name: r for r in db.session.scalars(select(LetterSignatory))}
    assert {name: (r.country, r.country_codes, r.region) for name, r in rows.items()} == {
        "ARTICLE 20 Watch": (None, [], ""),
        "Alpine Rights Initiative": ("DE", ["DE", "CH"], ""),
        "Suara Rakyat": ("MY", ["MY"], "Asia-Pacific"),
        "Forum for Asian Rights": (None, [], "Asia-Pacific"),
        "People's Vigilance": ("IN", ["IN"], ""),
        "Freedom Now Project": ("CG", ["CG"], ""),
    }
    assert {r.status for r in rows.values()} == {"approved"}


def test_a_list_longer_than_other_forms_accept_previews_and_saves(app, organiser, letter):
    # The preview's "save" posts the whole list back: it gets the import's allowance, not the 64 KB of other forms.
    text = "\n".join(f"{n}. Human Rights Group Number {n} – Germany" for n in range(1, 2_001))
    assert len(text.encode()) > 80_000
    assert organiser.post(f"{BASE}/import", data={"lines": text, "kind": "organisation"}).status_code == 200
    response = organiser.post(f"{BASE}/import/confirm", data={"lines": text, "kind": "organisation"})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(LetterSignatory)) == 2_000


def test_a_line_left_undecided_or_skipped_is_reported_not_saved(app, organiser, letter):
    response = organiser.post(f"{BASE}/import/confirm", data={
        "lines": "Viasna – BY\nFreedom Now – Congo\nSomebody – Atlantis\n", "kind": "organisation",
        "choice-2": "c:FR", "choice-3": "skip"})
    page = _text(response)
    assert "line 2: needs your decision: Freedom Now – Congo" in page   # c:FR was never offered
    assert "line 3: not imported, as you chose: Somebody – Atlantis" in page
    assert [r.name for r in db.session.scalars(select(LetterSignatory))] == ["Viasna"]


def test_duplicates_name_the_line_they_repeat_and_nothing_listed_changes(app, organiser, letter):
    services.import_lines(letter, "Viasna – Belarus\n")
    db.session.commit()
    before = db.session.scalar(select(LetterSignatory))
    text = "Libereco – DE\nVIASNA – Litauen\n  libereco, Germany\n"
    rows = _rows(organiser.post(f"{BASE}/import", data={"lines": text, "kind": "organisation"}))
    assert rows[2][0].startswith("already listed") and rows[3][0].startswith("repeats line 1")
    organiser.post(f"{BASE}/import/confirm", data={"lines": text, "kind": "organisation"})
    db.session.expire_all()
    assert sorted(r.name for r in db.session.scalars(select(LetterSignatory))) == ["Libereco", "Viasna"]
    assert (before.country, before.countries) == ("BY", "BY")


def test_bad_import_input_is_refused_without_storing(app, organiser, letter):
    assert organiser.post(f"{BASE}/import", data={"lines": "A – DE", "kind": "robot"}).status_code == 400
    assert organiser.post(f"{BASE}/import/confirm", data={"lines": "A – DE", "kind": "robot"}).status_code == 400
    assert organiser.get(f"{BASE}/import/confirm").status_code == 405
    response = organiser.post(f"{BASE}/import", data={"kind": "organisation"},
                              content_type="multipart/form-data")
    assert response.status_code == 200
    response = organiser.post(f"{BASE}/import", data={"kind": "organisation", "file": (io.BytesIO(b"\xff\xfe\x00"), "l.txt")},
                              content_type="multipart/form-data")
    assert response.status_code == 303
    assert _listed() == 0


# --- the command line ----------------------------------------------------------------------------------

def test_the_command_line_prints_the_preview_and_imports_only_without_dry_run(app, runner, letter, tmp_path):
    source = tmp_path / "list.txt"
    source.write_text(CASES, encoding="utf-8")
    result = runner.invoke(args=["letter", "import", "end-repression", str(source), "--dry-run"])
    assert result.exit_code == 0 and _listed() == 0
    assert "line 1: ARTICLE 20 Watch [no country]" in result.output
    assert "line 2: Alpine Rights Initiative – Germany, Switzerland [Germany: exact; Switzerland: exact]" in result.output
    assert ("line 3: Suara Rakyat – Malaysia, Asia-Pacific [Malaysia: exact; Asia-Pacific: a region, kept as typed]"
            in result.output)
    assert "line 5: People's Vigilance – India [India: exact; the country ends the name" in result.output
    assert "line 6: needs your decision: 6. Freedom Now Project – Congo" in result.output
    assert "    suggested: Freedom Now Project – Congo - Kinshasa" in result.output
    assert "would import 5 signatories" in result.output
    result = runner.invoke(args=["letter", "import", "end-repression", str(source)])
    assert "imported 5 signatories" in result.output and "1 lines not imported" in result.output
    assert _listed() == 5
    result = runner.invoke(args=["letter", "import", "end-repression", str(source), "--accept-suggestions"])
    assert "line 6: Freedom Now Project – Congo - Kinshasa [Congo - Kinshasa: common alias]" in result.output
    assert "line 1: already listed" in result.output
    assert _listed() == 6


# --- what readers see ---------------------------------------------------------------------------------------

PLACES = {
    "en": ("1. ARTICLE 20 Watch", "2. Two Lands – Germany, Switzerland", "3. Viasna – Belarus"),
    "ru": ("1. ARTICLE 20 Watch", "2. Two Lands – Германия, Швейцария", "3. Viasna – Беларусь"),
    "be": ("1. ARTICLE 20 Watch", "2. Two Lands – Германія, Швейцарыя", "3. Viasna – Беларусь"),
    "de": ("1. ARTICLE 20 Watch", "2. Two Lands – Deutschland, Schweiz", "3. Viasna – Belarus"),
}


@pytest.fixture
def three_kinds(letter):
    services.import_lines(letter, "ARTICLE 20 Watch\nTwo Lands – Germany/ Switzerland\nViasna – Belarus\n")
    services.set_order(letter, "custom", {r.id: i for i, r in enumerate(
        sorted(services.approved(letter), key=lambda r: ["ARTICLE 20 Watch", "Two Lands", "Viasna"].index(r.name)), 1)})
    db.session.commit()
    return letter


@pytest.mark.parametrize("lang", sorted(PLACES))
def test_zero_one_and_two_countries_on_the_page_the_documents_and_the_api(app, client, organiser, three_kinds, lang):
    page = _text(client.get(f"/{lang}/letter/end-repression"))
    document = _text(organiser.get(f"/organiser/p/end-repression/letter.html?lang={lang}"))
    for shown in PLACES[lang]:
        assert shown in page and shown in document
    assert "1. ARTICLE 20 Watch –" not in page and "1. ARTICLE 20 Watch –" not in document
    pdf = organiser.get(f"/organiser/p/end-repression/letter.pdf?lang={lang}")
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert PLACES[lang][1].split(" – ")[1] in text and PLACES[lang][2].split(" – ")[1] in text
    data = client.get(f"/api/v1/petitions/end-repression/signatories?lang={lang}").get_json()
    assert [(o["country"], o["countries"], o["region"]) for o in data["organisations"]] == [
        (None, [], ""), ("DE", ["DE", "CH"], ""), ("BY", ["BY"], "")]
    assert [o["country_names"] for o in data["organisations"]][1] == PLACES[lang][1].split(" – ")[1].split(", ")


def test_the_openapi_document_describes_countries_and_region(client):
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Organisation"]
    assert {"countries", "country_names", "region", "country"} <= set(schema["required"])
    assert schema["properties"]["country"]["type"] == ["string", "null"]


# --- co-signing ---------------------------------------------------------------------------------------------

def _sign_on(client, **fields):
    data = {"name": "Front Line Helpers", "country": "", "more_countries": "", "website": "",
            "contact_name": "Ana", "contact_role": "Director", "email": "ana@frontline.example",
            "served": served_stamp(client.application), "website_hp": ""}
    data.update(fields)
    return client.post("/en/letter/end-repression/sign/organisation", data=data)


def test_an_international_organisation_co_signs_with_no_country(app, client, letter):
    assert _sign_on(client).status_code == 303
    row = db.session.scalar(select(LetterSignatory))
    assert (row.country, row.country_codes) == (None, [])
    assert queued_to("ana@frontline.example")


@pytest.mark.parametrize("countries, listed", [("", "Front Line Helpers"),
                                                ("Schweiz", "Front Line Helpers – Germany, Switzerland")])
def test_the_confirm_page_shows_the_entry_with_every_country_or_none(app, client, letter, countries, listed):
    assert _sign_on(client, country="DE" if countries else "", more_countries=countries).status_code == 303
    body = queued_to("ana@frontline.example")[-1].text_body
    path = re.search(r"https?://[^/\s]+(/en/letter/confirm/\S+)", body).group(1)
    page = _text(client.get(path))
    assert listed in page and "None" not in page
    assert ("Front Line Helpers –" in page) == bool(countries)


def test_an_organisation_co_signs_for_several_countries_typed_in_any_language(app, client, letter):
    assert _sign_on(client, country="DE", more_countries="Schweiz, Liban and USA").status_code == 303
    row = db.session.scalar(select(LetterSignatory))
    assert (row.country, row.country_codes) == ("DE", ["DE", "CH", "LB", "US"])


def test_a_country_the_form_does_not_know_is_refused_with_a_reason(app, client, letter):
    response = _sign_on(client, more_countries="Switzerland, Narnia")
    assert response.status_code == 400
    assert "We do not know “Narnia” as a country." in _text(response)
    assert _listed() == 0
