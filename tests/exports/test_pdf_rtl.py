"""Farsi in the PDF writer: shaped Arabic-script glyphs, right-to-left layout, Persian digits, missing glyphs."""

import io
import logging
import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pypdf
import uharfbuzz as hb

from petitions.exports.delivery import PackFacts, pdf_pack
from petitions.exports.pdf import Paragraph, PdfDocument, Table, clean_text
from petitions.exports.pdf.fonts import fallback_font_paths, font_data, hb_font

CREATED = datetime(2026, 3, 8, 9, 30, tzinfo=timezone.utc)
TITLE = "آزادی برای زندانیان سیاسی"
NAMES = ["علی رضایی", "مریم محمدی", "Jürgen Groß"]
ZWNJ_WORD = "می\u200cخواهیم"


def render(blocks, language="fa"):
    return b"".join(PdfDocument(title=TITLE, language=language, created_at=CREATED).render(blocks))


def read(data):
    return pypdf.PdfReader(io.BytesIO(data), strict=True)


def content(reader, page=0):
    return reader.pages[page].get_contents().get_data().decode("ascii")


def to_unicode(reader, resource, page=0):
    """Glyph id -> text, as the font's /ToUnicode CMap maps it."""
    cmap = reader.pages[page]["/Resources"]["/Font"][resource]["/ToUnicode"].get_data().decode()
    return {int(gid, 16): bytes.fromhex(text).decode("utf-16-be")
            for gid, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap)}


def arabic_gids(text, bold=False):
    """The glyph ids HarfBuzz gives `text` in the Arabic font, in drawing order (left to right)."""
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.flags = hb.BufferFlags.REMOVE_DEFAULT_IGNORABLES
    hb.shape(hb_font(font_data(fallback_font_paths(bold)[0])), buf, {})
    return [info.codepoint for info in buf.glyph_infos]


def shown_hex(ops):
    return "".join(re.findall(r"<([0-9A-F]+)>", ops))


def drawn_lines(reader, page=0):
    """Each text object's glyphs as the text they map to, in drawing order (left to right), fonts followed."""
    maps = {name: to_unicode(reader, name, page) for name in reader.pages[page]["/Resources"]["/Font"]}
    lines = []
    for obj in re.findall(r"BT (.*?) ET", content(reader, page)):
        font, out = None, []
        for name, hexes in re.findall(r"(/F\d+) [\d.]+ Tf|<([0-9A-F]+)>", obj):
            if name:
                font = maps[name]
            else:
                out += [font.get(int(g, 16), "") for g in re.findall("[0-9A-F]{4}", hexes)]
        lines.append("".join(out))
    return lines


def test_farsi_title_and_names_are_shaped_glyphs_that_map_back_to_the_farsi_text():
    data = render([Paragraph(TITLE), Table([0.1, 0.6, 0.3], ["شماره", "نام", "کشور"],
                                           iter([(i, name, "ایران") for i, name in enumerate(NAMES, 1)]))])
    reader = read(data)
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert re.fullmatch(r"/[A-Z]{6}\+IBMPlexSansArabic-Regular", fonts["/F3"]["/BaseFont"])
    stream = content(reader)
    # The title is drawn as HarfBuzz's contextual forms in visual order, not as one glyph per character:
    # "سیاسی" joins, so its glyphs differ from the isolated forms and are fewer than its letters.
    title_line = next(line for line in stream.splitlines() if "/F3 11 Tf" in line and line.startswith("BT /F1 11"))
    assert shown_hex(title_line) == "".join(f"{g:04X}" for g in arabic_gids(TITLE))
    isolated = "".join(f"{g:04X}" for ch in TITLE for g in arabic_gids(ch))
    assert shown_hex(title_line) != isolated
    # Every glyph drawn maps back (ToUnicode) to characters of the logical text, all of them together.
    mapped = to_unicode(reader, "/F3")
    pieces = [mapped[int(h, 16)] for h in re.findall("[0-9A-F]{4}", shown_hex(title_line))]
    assert sorted("".join(pieces)) == sorted(TITLE)
    # pypdf's extraction (it reverses right-to-left runs) gives the Farsi words in logical order.
    text = reader.pages[0].extract_text()
    for word in ["آزادی", "برای", "زندانیان", "مریم", "محمدی", "علی", "ایران", "Jürgen Groß"]:
        assert word in text, word
    assert "?" not in text


def test_a_farsi_document_is_laid_out_from_the_right():
    data = render([Paragraph("سلام"), Table([0.2, 0.8], ["", ""], iter([("الف", "ب")]))])
    reader = read(data)
    width = float(reader.pages[0].mediabox.width)
    positions = [float(x) for x in re.findall(r"BT /F1 [\d.]+ Tf (-?[\d.]+) ", content(reader))]
    # The paragraph ends at the right margin; the first column is the rightmost.
    assert positions[0] > width / 2
    assert positions[1] > positions[2]
    # The same text in a left-to-right language starts at the left margin.
    ltr = read(render([Paragraph("سلام")], language="de"))
    assert float(re.search(r"BT /F1 [\d.]+ Tf (-?[\d.]+) ", content(ltr)).group(1)) == 50


def test_zwnj_is_kept_so_farsi_words_do_not_join_across_it():
    assert clean_text(ZWNJ_WORD) == ZWNJ_WORD
    assert clean_text("a\u200bb\u202e") == "ab"
    reader = read(render([Paragraph(ZWNJ_WORD)]))
    drawn = shown_hex(content(reader).splitlines()[0])
    assert drawn == "".join(f"{g:04X}" for g in arabic_gids(ZWNJ_WORD))
    # Without the ZWNJ, "می" joins "خواهیم" and the glyphs differ.
    assert drawn != "".join(f"{g:04X}" for g in arabic_gids(ZWNJ_WORD.replace("\u200c", "")))
    assert ZWNJ_WORD.replace("\u200c", "") in reader.pages[0].extract_text().replace("\u200c", "")


def test_latin_and_cyrillic_documents_embed_no_arabic_font_and_use_plain_tj():
    reader = read(render([Paragraph("Свабоду палітвязням, Jürgen Groß")], language="be"))
    assert set(reader.pages[0]["/Resources"]["/Font"]) == {"/F1"}
    assert re.fullmatch(r"BT /F1 11 Tf 50 [\d.]+ Td <[0-9A-F]+> Tj ET", content(reader).splitlines()[0])


def test_a_character_no_font_has_is_a_visible_box_extracting_as_u_fffd_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="petitions.exports.pdf.fonts"):
        reader = read(render([Paragraph("نام 漢 Tanaka")]))
    text = reader.pages[0].extract_text()
    assert "\ufffd" in text and "?" not in text and "Tanaka" in text
    # Drawn as glyph 0 (.notdef, which Source Sans Pro draws as a box) and mapped to U+FFFD, not to "?".
    assert "0000" in re.findall("[0-9A-F]{4}", shown_hex(content(reader)))
    assert to_unicode(reader, "/F1")[0] == "\ufffd"
    assert "?" not in to_unicode(reader, "/F1").values()
    # The log names the code point only: the text is often a signatory's name.
    assert ["no font has a glyph for U+6F22; drawn as an empty box"] == [r.getMessage() for r in caplog.records]


def test_delivery_pack_cover_count_and_numbers_are_in_persian_digits(app):
    petition = SimpleNamespace(organisation_name="کانون")
    text = SimpleNamespace(title=TITLE, addressee="", summary="", body="ما " + ZWNJ_WORD, demands=[])
    facts = PackFacts(count=1234, first=None, last=None, paper=0, exported_at=CREATED)
    rows = [(name, "تهران", "IR", "fa", CREATED) for name in NAMES]
    with app.app_context():
        reader = read(b"".join(pdf_pack(petition, text, "fa", facts, rows)))
    # A number is written left to right inside right-to-left text: its glyphs are drawn in reading order.
    # (pypdf's extraction reverses every character of the Arabic block, digits too, so it is not used here.)
    cover = drawn_lines(reader)
    assert any("۱٬۲۳۴" in line for line in cover), cover
    assert not any(re.search("[0-9]", line) for line in cover), cover
    listing = reader.pages[1].extract_text()
    # The "No." column: ۱ ۲ ۳, not 1 2 3.
    assert all(digit in listing for digit in "۱۲۳")
    assert not re.search(r"\b[123]\b", listing)
    assert "مریم" in listing
