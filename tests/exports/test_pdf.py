"""Tests for the streaming PDF writer: text round-trips, layout, structure, determinism and flat memory."""

import io
import logging
import os
import re
import tracemalloc
import unicodedata
import warnings
from datetime import datetime, timezone

import font_source_sans_pro
import pypdf
import pytest
from fontTools.ttLib import TTFont

from petitions.exports.pdf import (
    Heading,
    ListItem,
    PageBreak,
    Paragraph,
    PdfDocument,
    Spacer,
    Table,
)
from petitions.exports.pdf.fonts import font_data

CREATED = datetime(2025, 3, 8, 9, 30, 15, tzinfo=timezone.utc)
# Pages are A4 with 50 pt margins; the tests read the page width from each page's /MediaBox.
MARGIN = 50
FONT_DIR = os.path.join(os.path.dirname(font_source_sans_pro.__file__), "files")
REGULAR_TTF = os.path.join(FONT_DIR, "SourceSansPro-Regular.ttf")
BOLD_TTF = os.path.join(FONT_DIR, "SourceSansPro-Bold.ttf")

NAMES = [
    "Алексей Иванов",
    "Jürgen Groß",
    "Łukasz Żółć-Wiśniewski",
    "Tomáš Dvořák",
    "Ўладзімір Іваноў",
    "Zdeněk Šťastný",
]
COLUMNS = [0.1, 0.4, 0.25, 0.25]
HEADER = ["№", "Імя", "Горад", "Краіна"]

TJ = re.compile(r"BT /(F\d+) ([\d.]+) Tf (-?[\d.]+) (-?[\d.]+) Td <([0-9A-F]*)> Tj ET")


def make_doc(**kwargs):
    kwargs.setdefault("title", "Свабоду палітвязням")
    kwargs.setdefault("language", "be")
    kwargs.setdefault("created_at", CREATED)
    return PdfDocument(**kwargs)


def render(blocks, **kwargs):
    return b"".join(make_doc(**kwargs).render(blocks))


def read(data):
    return pypdf.PdfReader(io.BytesIO(data), strict=True)


def squash(text):
    return " ".join(text.split())


def signatories(count):
    for number in range(1, count + 1):
        yield (number, NAMES[number % len(NAMES)], "Мінск", "Беларусь")


def font_widths(path):
    """Advance widths by glyph id, read independently of the writer."""
    font = TTFont(path)
    metrics = font["hmtx"].metrics
    return [metrics[name][0] for name in font.getGlyphOrder()], font["head"].unitsPerEm


def glyph_id(path, ch):
    font = TTFont(path)
    return font.getGlyphOrder().index(font.getBestCmap()[ord(ch)])


def text_runs(page):
    """(font resource, size, x, y, glyph ids) for every text run in a page's content stream."""
    content = page.get_contents().get_data().decode("ascii")
    runs = []
    for resource, size, x, y, hexes in TJ.findall(content):
        gids = [int(hexes[i : i + 4], 16) for i in range(0, len(hexes), 4)]
        runs.append((resource, float(size), float(x), float(y), gids))
    return runs


def test_text_round_trips_through_extraction():
    petition = "«Свабоду палітвязням» — ўсім, хто сядзіць за кратамі. № 1 – не апошні."
    blocks = [
        Heading("Свабоду палітвязням — ўсім"),
        Paragraph(petition),
        Paragraph("Wir fordern: Freiheit für alle. Straße, Äpfel, Öl, Übermut."),
        PageBreak(),
        Table(COLUMNS, HEADER, signatories(12)),
    ]
    data = render(blocks, author="Jürgen Groß", title="Свабоду — «усім»")
    reader = read(data)
    assert len(reader.pages) == 2

    cover = squash(reader.pages[0].extract_text())
    assert "Свабоду палітвязням — ўсім" in cover
    assert squash(petition) in cover
    assert "Straße, Äpfel, Öl, Übermut." in cover

    lines = [squash(line) for line in reader.pages[1].extract_text().splitlines()]
    assert lines[0] == "№ Імя Горад Краіна"
    assert "1 Jürgen Groß Мінск Беларусь" in lines
    assert "4 Ўладзімір Іваноў Мінск Беларусь" in lines
    assert "6 Алексей Иванов Мінск Беларусь" in lines
    assert "2 Łukasz Żółć-Wiśniewski Мінск Беларусь" in lines
    assert "9 Tomáš Dvořák Мінск Беларусь" in lines
    assert "11 Zdeněk Šťastný Мінск Беларусь" in lines

    assert reader.metadata.title == "Свабоду — «усім»"
    assert reader.metadata.author == "Jürgen Groß"
    assert reader.metadata.producer == "petitions"
    assert reader.metadata.creation_date == CREATED
    assert reader.trailer["/Root"]["/Lang"] == "be"
    # Non-ASCII /Info strings must be UTF-16BE with a BOM, written as hex.
    assert "<FEFF004A00FC007200670065006E002000470072006F00DF>".encode() in data


def test_long_paragraph_wraps_within_text_width():
    words = ("Мы, грамадзяне Беларусі, патрабуем неадкладна вызваліць усіх палітычных вязняў "
             "і спыніць пераслед за выказванне думак. Jürgen Groß unterstützt das. ") * 12
    margin = MARGIN
    data = render([Paragraph(words)])
    page = read(data).pages[0]
    widths, upem = font_widths(REGULAR_TTF)
    runs = text_runs(page)

    assert len(runs) >= 8, "a paragraph of ~1,800 characters must wrap onto many lines"
    text_right = float(page.mediabox.width) - margin
    ys = []
    for resource, size, x, y, gids in runs:
        assert resource == "F1" and size == 11
        line_width = sum(widths[g] for g in gids) * size / upem
        assert x == pytest.approx(margin)
        assert x + line_width <= text_right + 0.01
        ys.append(y)
    assert ys == sorted(ys, reverse=True) and len(set(ys)) == len(ys)
    # Lines are filled: all but the last use most of the width, so wrapping is not needlessly early.
    full = [sum(widths[g] for g in gids) * 11 / upem for *_, gids in runs[:-1]]
    assert min(full) > (text_right - margin) * 0.8
    assert squash(page.extract_text()) == squash(words)


def test_word_longer_than_a_line_is_broken_by_characters():
    word = "Ўладзімірава" * 20
    data = render([ListItem("1.", word), Paragraph(word, bold=True)])
    page = read(data).pages[0]
    regular, upem = font_widths(REGULAR_TTF)
    bold, _ = font_widths(BOLD_TTF)
    runs = text_runs(page)
    label, *item_lines = [r for r in runs if r[0] == "F1"]
    para_lines = [r for r in runs if r[0] == "F2"]

    right = float(page.mediabox.width) - MARGIN
    assert label[2] == pytest.approx(MARGIN)
    assert len(item_lines) >= 2 and len(para_lines) >= 2
    # The hanging indent: every line of the item's text starts at the same x, right of the label.
    assert len({x for _, _, x, _, _ in item_lines}) == 1 and item_lines[0][2] > label[2]
    for _, size, x, _, gids in item_lines:
        assert x + sum(regular[g] for g in gids) * size / upem <= right + 0.01
    for _, size, x, _, gids in para_lines:
        assert x + sum(bold[g] for g in gids) * size / upem <= right + 0.01
    text = page.extract_text()
    assert text.replace("\n", "").replace(" ", "").count(word) == 2
    assert text.replace("\n", "").replace(" ", "").startswith("1." + word)


def test_table_spans_pages_with_repeated_header_and_rows_in_order():
    pulled = []

    def rows():
        for row in signatories(500):
            pulled.append(row[0])
            yield row

    chunks = make_doc().render([Heading("Подпісанты"), Table(COLUMNS, HEADER, rows())])
    header_chunk = next(chunks)
    first_page = next(chunks)
    assert header_chunk.startswith(b"%PDF-1.")
    # Rows are consumed lazily: the first page is out long before the generator is exhausted.
    assert 10 < len(pulled) < 100
    data = header_chunk + first_page + b"".join(chunks)
    reader = read(data)

    assert len(reader.pages) >= 5
    numbers = []
    for page in reader.pages:
        lines = [squash(line) for line in page.extract_text().splitlines()]
        assert "№ Імя Горад Краіна" in lines[:2]
        assert lines.count("№ Імя Горад Краіна") == 1
        numbers += [int(m.group(1)) for line in lines if (m := re.match(r"(\d+) \D", line))]
    assert numbers == list(range(1, 501))


def test_wrapped_table_rows_never_split_across_pages():
    def rows():
        for number in range(1, 121):
            yield (number, f"start{number:04d} Ціханоўская-Скарына Аляксандра Уладзіміраўна stop{number:04d}", "", "")

    data = render([Table([0.1, 0.2, 0.35, 0.35], ["#", "Name", "City", "Country"], rows())])
    reader = read(data)
    assert len(reader.pages) >= 3
    seen = []
    for page in reader.pages:
        text = page.extract_text()
        starts = re.findall(r"start(\d{4})", text)
        stops = re.findall(r"stop(\d{4})", text)
        assert starts == stops
        seen += starts
    assert [int(n) for n in seen] == list(range(1, 121))
    # The name cell really wraps: its first and last words are on different lines.
    lines = reader.pages[0].extract_text().splitlines()
    start_line = next(i for i, line in enumerate(lines) if "start0001" in line)
    stop_line = next(i for i, line in enumerate(lines) if "stop0001" in line)
    assert stop_line >= start_line + 2


def test_footer_is_called_with_every_page_number():
    calls = []

    def footer(number):
        calls.append(number)
        return f"Старонка {number}"

    reader = read(render([Paragraph("Тэкст"), Table(COLUMNS, HEADER, signatories(300))], footer=footer))
    pages = len(reader.pages)
    assert pages >= 4
    assert calls == list(range(1, pages + 1))
    for number, page in enumerate(reader.pages, start=1):
        assert squash(page.extract_text()).endswith(f"Старонка {number}")


def test_same_input_gives_identical_bytes():
    def blocks():
        return [
            Heading("Свабоду палітвязням — ўсім"),
            Paragraph("Тэкст петыцыі. " * 40),
            Table(COLUMNS, HEADER, signatories(150)),
        ]

    first = render(blocks(), footer=lambda n: f"Page {n}")
    second = render(blocks(), footer=lambda n: f"Page {n}")
    assert first == second
    later = render(blocks(), footer=lambda n: f"Page {n}", created_at=CREATED.replace(year=2026))
    assert later != first
    # /ID is derived from the content, so it changes with it.
    assert read(first).trailer["/ID"][0] != read(later).trailer["/ID"][0]


def test_strict_reader_opens_it_and_the_structure_is_sound(caplog):
    blocks = [
        Heading("Петыцыя"),
        Spacer(20),
        Paragraph("Ёжык і ўсё астатняе."),
        PageBreak(),
        PageBreak(),
        Table(COLUMNS, HEADER, signatories(120)),
    ]
    data = render(blocks)
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error")
        reader = read(data)
        for page in reader.pages:
            page.extract_text()
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    # Two page breaks in a row do not make a blank page.
    assert len(reader.pages) == 1 + 3

    # Every xref entry points at the object it names.
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[startxref:].startswith(b"xref\n0 ")
    count = int(data[startxref:].split(b"\n")[1].split()[1])
    entries = data[startxref:].split(b"\n")[3 : 3 + count - 1]
    for number, entry in enumerate(entries, start=1):
        assert len(entry) == 19 and entry.endswith(b" n ")
        assert data[int(entry[:10]) :].startswith(b"%d 0 obj\n" % number)

    font = reader.pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    assert font["/Subtype"] == "/Type0" and font["/Encoding"] == "/Identity-H"
    cid_font = font["/DescendantFonts"][0].get_object()
    assert cid_font["/Subtype"] == "/CIDFontType2" and cid_font["/CIDToGIDMap"] == "/Identity"
    descriptor = cid_font["/FontDescriptor"]
    for key in ("/Ascent", "/Descent", "/CapHeight", "/FontBBox", "/ItalicAngle", "/Flags", "/StemV"):
        assert key in descriptor
    embedded = descriptor["/FontFile2"].get_object()
    assert embedded["/Filter"] == "/FlateDecode"
    # /W lists only the glyphs used, with their advance widths.
    widths, upem = font_widths(REGULAR_TTF)
    w = cid_font["/W"]
    listed = {}
    for i in range(0, len(w), 2):
        for offset, width in enumerate(w[i + 1]):
            listed[w[i] + offset] = width
    assert 20 < len(listed) < 120
    assert all(width == pytest.approx(widths[gid] * 1000 / upem) for gid, width in listed.items())

    # The embedded font is a subset named as one (a six-letter tag), holding exactly the glyphs drawn at their
    # original ids, since the content streams name glyphs by id.
    assert re.fullmatch(r"/[A-Z]{6}\+SourceSansPro-Regular", font["/BaseFont"])
    assert descriptor["/FontName"] == cid_font["/BaseFont"] == font["/BaseFont"]
    original = TTFont(REGULAR_TTF)
    subset = TTFont(io.BytesIO(embedded.get_data()))
    # Glyphs past the highest one drawn are dropped; every id below it keeps its place.
    assert max(listed) < len(subset.getGlyphOrder()) <= len(original.getGlyphOrder())
    assert embedded["/Length1"] == len(embedded.get_data()) < os.path.getsize(REGULAR_TTF) / 4
    order = original.getGlyphOrder()
    for gid, name in enumerate(order[: len(subset.getGlyphOrder())]):
        drawn = subset["glyf"][subset.getGlyphOrder()[gid]]
        if gid in listed:
            assert drawn.numberOfContours != 0 or original["glyf"][name].numberOfContours == 0
            assert drawn.getCoordinates(subset["glyf"])[0] == original["glyf"][name].getCoordinates(original["glyf"])[0]
        elif gid != 0 and not drawn.isComposite() and drawn.numberOfContours:
            # Only components of composite glyphs drawn (accents on Cyrillic letters) may be kept besides.
            assert any(original["glyf"][order[g]].isComposite() for g in listed), name
    q = glyph_id(REGULAR_TTF, "Q")  # never drawn here
    assert q not in listed and original["glyf"]["Q"].numberOfContours > 0
    assert subset["glyf"][subset.getGlyphOrder()[q]].numberOfContours == 0
    # No fresh timestamp in the subset: the same input must give the same bytes in every process.
    assert subset["head"].modified == original["head"].modified
    # Content streams are compressed.
    assert reader.pages[1]["/Contents"].get_object()["/Filter"] == "/FlateDecode"


def test_missing_glyphs_and_control_characters():
    rows = [
        (1, "漢字 Tanaka", "東京", "日本"),
        (2, "Emoji 😀 Fan", "Berlin", "Deutschland"),
        (3, "Anna\x00Sch\u200bmidt\u202e", "Wi\x07en", "Österreich\r\n"),
        (4, "Tab\tSeparated", None, ""),
    ]
    data = render([Paragraph("Title\x1b[31m 😀"), Table(COLUMNS, HEADER, iter(rows))], title="Bad\x00title 😀")
    reader = read(data)
    text = reader.pages[0].extract_text()
    lines = [squash(line) for line in text.splitlines()]
    # No font has these: each is drawn as the .notdef box and extracts as U+FFFD, never as "?" (issue 22).
    assert "Title[31m \ufffd" in lines
    assert "1 \ufffd\ufffd Tanaka \ufffd\ufffd \ufffd\ufffd" in lines
    assert "2 Emoji \ufffd Fan Berlin Deutschland" in lines
    assert "3 AnnaSchmidt Wien Österreich" in lines
    assert "4 Tab Separated" in lines
    assert not [c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cf")]
    assert reader.metadata.title == "Badtitle 😀"
    # The control characters were dropped, not drawn as "?" or mapped to anything in /ToUnicode.
    cmap = reader.pages[0]["/Resources"]["/Font"]["/F1"]["/ToUnicode"].get_data().decode()
    mapped = [bytes.fromhex(u).decode("utf-16-be") for u in re.findall(r"<[0-9A-F]{4}> <([0-9A-F]+)>", cmap)]
    assert "\ufffd" in mapped and "?" not in mapped
    assert not [c for c in mapped if unicodedata.category(c) in ("Cc", "Cf")]
    assert "\x00" not in squash(text) and "\u202e" not in text


def test_memory_stays_flat_for_many_rows():
    # Distinct names so most cells are laid out afresh, as with real signatories.
    first = ["Алексей", "Jürgen", "Łukasz", "Tomáš", "Ўладзімір", "Marie", "Святлана", "Zdeněk", "Agnieszka", "Ганна"]
    last = ["Иванов", "Groß", "Żółć", "Dvořák", "Іваноў", "Dupont", "Ціханоўская", "Müller", "Kowalska", "Schröder"]
    cities = ["Мінск", "Berlin", "Kraków", "Praha", "Гродна", "Warszawa", "Vilnius"]

    def rows(count):
        for n in range(1, count + 1):
            yield (n, f"{first[n % 10]} {last[n // 10 % 10]} {n % 997}", cities[n % 7], "Беларусь")

    def peak(count):
        doc = make_doc(footer=lambda n: f"Page {n}")
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        size = 0
        for chunk in doc.render([Heading("Подпісанты"), Table(COLUMNS, HEADER, rows(count))]):
            size += len(chunk)
        return tracemalloc.get_traced_memory()[1] - base, size

    tracemalloc.start()
    try:
        peak(50)  # warm-up: imports, font metrics cache
        small_peak, small_size = peak(2_000)
        large_peak, large_size = peak(40_000)
    finally:
        tracemalloc.stop()
    assert large_size > 4 * small_size  # the font subsets (~40 kB) are in both
    # Tighter than "2x + 2 MB": at 40,000 rows even keeping the compressed output (~1.6 MB) must fail this.
    assert large_peak < 1.25 * small_peak + 512 * 1024, (small_peak, large_peak)


def test_structure_errors_are_reported():
    with pytest.raises(ValueError):
        render([Table([1, 1], ["a", "b", "c"], [])])
    with pytest.raises(ValueError):
        render([Table([1, 1], ["a", "b"], [(1, 2, 3)])])
    with pytest.raises(TypeError):
        render(["not a block"])


def test_widths_used_for_centring_and_alignment_match_the_font():
    widths, upem = font_widths(REGULAR_TTF)
    page_text = "Ўё"
    # Control and format characters are stripped before measuring, so they do not shift the footer.
    data = render([Table([1, 1], [], [(1234567, "x")])], footer=lambda n: "Ў\u200bё\x00")
    page = read(data).pages[0]
    runs = text_runs(page)
    footer = next(r for r in runs if r[1] == 8)
    expected = sum(widths[glyph_id(REGULAR_TTF, c)] for c in page_text) * 8 / upem
    assert footer[4] == [glyph_id(REGULAR_TTF, c) for c in page_text]
    assert footer[2] + expected / 2 == pytest.approx(float(page.mediabox.width) / 2, abs=0.01)
    # A number is right-aligned in its column: it ends at the column's right edge less the cell padding.
    number = next(r for r in runs if r[1] == 9 and r[4][0] == glyph_id(REGULAR_TTF, "1"))
    number_width = sum(widths[g] for g in number[4]) * 9 / upem
    text_width = float(page.mediabox.width) - 2 * MARGIN
    assert number[2] + number_width == pytest.approx(MARGIN + text_width / 2 - 3, abs=0.01)
    x_cell = next(r for r in runs if r[1] == 9 and r[4] == [glyph_id(REGULAR_TTF, "x")])
    assert x_cell[2] == pytest.approx(MARGIN + text_width / 2 + 3, abs=0.01)


def test_fonts_are_the_bundled_source_sans_pro():
    reader = read(render([Heading("Bold"), Paragraph("Regular")]))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert re.fullmatch(r"/[A-Z]{6}\+SourceSansPro-Regular", fonts["/F1"]["/BaseFont"])
    assert re.fullmatch(r"/[A-Z]{6}\+SourceSansPro-Bold", fonts["/F2"]["/BaseFont"])
    # Different glyph sets are different subsets, so their tags differ.
    assert fonts["/F1"]["/BaseFont"][1:7] != fonts["/F2"]["/BaseFont"][1:7]
    with pytest.raises(ValueError, match="TrueType"):
        font_data(os.path.join(FONT_DIR, "SourceSansPro-Regular.otf"))


def test_empty_table_shows_header_and_empty_document_has_a_page():
    reader = read(render([Table(COLUMNS, HEADER, [])]))
    assert squash(reader.pages[0].extract_text()) == "№ Імя Горад Краіна"
    reader = read(render([]))
    assert len(reader.pages) == 1


def test_content_streams_hold_hex_glyph_ids():
    data = render([Paragraph("AB")])
    page = read(data).pages[0]
    runs = text_runs(page)
    font = TTFont(REGULAR_TTF)
    cmap = font.getBestCmap()
    order = font.getGlyphOrder()
    assert runs[0][4] == [order.index(cmap[ord("A")]), order.index(cmap[ord("B")])]
    contents = page["/Contents"].get_object()
    assert contents["/Filter"] == "/FlateDecode"
    assert b"Tj" in contents.get_data() and b"Tj" not in contents._data
