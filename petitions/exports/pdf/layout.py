"""Laying blocks out on pages: the cursor, page breaks, line wrapping, and the document's own objects."""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from . import objects
from .blocks import Block, Heading, ListItem, PageBreak, Paragraph, Spacer, Table, clean_text
from .fonts import FontUse, write_font

if TYPE_CHECKING:
    from . import PdfDocument

A4 = (595.28, 841.89)
MARGIN = 50.0
PRODUCER = "petitions"

BODY_SIZE = 11.0
BODY_LEADING = 1.35
HEADING_SIZES = {1: 20.0, 2: 15.0, 3: 12.5}
FOOTER_SIZE = 8.0
ELLIPSIS = "\u2026"

REGULAR, BOLD = 0, 1


class Renderer:
    """Layout and serialisation state for one rendering of a PdfDocument."""

    def __init__(self, doc: PdfDocument) -> None:
        self.doc = doc
        self.rtl = doc.rtl
        self.digits = _digits_for(doc.language)
        fallbacks = [
            [(data, f"F{3 + 2 * k + style}") for k, data in enumerate(doc.fallback_fonts[style])] for style in (0, 1)
        ]
        self.fonts = tuple(
            FontUse(doc.fonts[style], f"F{1 + style}", fallbacks[style], rtl=self.rtl, language=doc.language)
            for style in (REGULAR, BOLD)
        )
        self.out = objects.Output()
        self.page_ids = array("q")
        self.page_count = 0
        self.ops: list[str] = []
        self.page_open = False
        self.fresh = True
        width, height = A4
        self.page_width = width
        self.left = MARGIN
        self.width = width - 2 * MARGIN
        self.top = height - MARGIN
        self.bottom = MARGIN
        self.y = self.top
        self.media_box = b"[0 0 %s %s]" % (objects.num(width).encode(), objects.num(height).encode())
        self._layouts: dict[type, Callable[[Block], Iterator[bytes]]] = {
            Paragraph: self._paragraph,
            Table: self._table,
            Heading: self._heading,
            ListItem: self._list_item,
            Spacer: self._spacer,
            PageBreak: self._page_break,
        }

    # ----------------------------------------------------------------- driver

    def run(self, blocks: Iterable[Block]) -> Iterator[bytes]:
        out = self.out
        # The binary comment line tells transfer tools the file is not text.
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        # Reserved now because every page points at them, written at the end once they are known.
        self.catalog_id = out.reserve()
        self.pages_id = out.reserve()
        self.resources_id = out.reserve()
        self.info_id = out.reserve()
        out.obj(self.info_id, self._info())
        yield out.flush()

        for block in blocks:
            layout = self._layouts.get(type(block))
            if layout is None:
                raise TypeError(f"not a PDF block: {block!r}")
            yield from layout(block)

        if self.page_open or self.page_count == 0:
            if not self.page_open:
                self.open_page()
            yield from self.finish_page()
        yield from self._finish_document()

    # ----------------------------------------------------------------- pages

    def open_page(self) -> None:
        self.ops = []
        self.page_open = True
        self.fresh = True
        self.y = self.top

    def at_top(self) -> bool:
        return self.fresh and self.y >= self.top - 1e-6

    def need(self, height: float) -> Iterator[bytes]:
        """Make sure `height` points fit below the cursor, starting a new page if they do not."""
        if not self.page_open:
            self.open_page()
        elif self.y - height < self.bottom - 1e-6 and not self.at_top():
            # On an empty page there is nowhere better to go, so oversized content is drawn anyway.
            yield from self.finish_page()
            self.open_page()

    def finish_page(self) -> Iterator[bytes]:
        self.page_count += 1
        footer = self.doc.footer
        if footer is not None:
            self._footer(clean_text(str(footer(self.page_count))).replace("\n", " "))
        content = zlib.compress("\n".join(self.ops).encode("ascii"), 6)
        self.ops = []
        self.page_open = False
        out = self.out
        content_id = out.reserve()
        page_id = out.reserve()
        out.stream(content_id, content)
        out.obj(
            page_id,
            b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources %d 0 R /Contents %d 0 R >>"
            % (self.pages_id, self.media_box, self.resources_id, content_id),
        )
        self.page_ids.append(page_id)
        yield out.flush()

    def _footer(self, text: str) -> None:
        font = self.fonts[REGULAR]
        limit = self.width / FOOTER_SIZE
        if font.measure(text) > limit:
            text = self.truncate(font, text, limit)
        x = (self.page_width - font.measure(text) * FOOTER_SIZE) / 2
        self.draw(font, FOOTER_SIZE, x, max(MARGIN * 0.5 - 3, 4.0), text)

    # ----------------------------------------------------------------- drawing

    def draw(self, font: FontUse, size: float, x: float, baseline: float, text: str) -> None:
        if text:
            num = objects.num
            self.ops.append(f"BT /{font.resource} {num(size)} Tf {num(x)} {num(baseline)} Td {font.show(text, size)} ET")

    def _line_at_cursor(self, font: FontUse, size: float, x: float, text: str) -> None:
        if self.rtl:
            # Mirrored: a line that would start `x - left` points in from the left margin ends as far in from
            # the right one, so indents (list items) and the text's start are on the reader's side.
            x = 2 * self.left + self.width - x - font.measure(text) * size
        self.draw(font, size, x, self.y - size * font.ascent, text)
        self.fresh = False

    def wrap(self, font: FontUse, text: str, size: float, width: float) -> list[str]:
        """Break cleaned `text` into lines no wider than `width` points at `size`.

        Lines break at spaces (runs of spaces collapse); a word wider than a
        line is broken between characters, since a signatory's name must be
        shown whole even in a narrow column.
        """
        limit = width / size + 1e-9
        if "\n" not in text and "  " not in text:
            text = text.strip(" ")
            # Most table cells fit on one line; skip splitting words for them.
            if font.measure(text) <= limit:
                return [text]
        lines: list[str] = []
        for part in text.split("\n"):
            _wrap_words(font, [w for w in part.split(" ") if w], limit, lines)
        return lines

    def truncate(self, font: FontUse, text: str, limit: float) -> str:
        """Shorten `text` so that it plus an ellipsis fits in `limit` ems."""
        budget = limit - font.measure(ELLIPSIS)
        used = 0.0
        for i, ch in enumerate(text):
            used += font.measure(ch)
            if used > budget:
                return text[:i].rstrip(" ") + ELLIPSIS
        return text + ELLIPSIS

    # ----------------------------------------------------------------- blocks

    def _paragraph(self, block: Paragraph) -> Iterator[bytes]:
        size = float(block.size or BODY_SIZE)
        font = self.fonts[BOLD if block.bold else REGULAR]
        leading = size * BODY_LEADING
        for line in self.wrap(font, clean_text(block.text), size, self.width):
            yield from self.need(leading)
            self._line_at_cursor(font, size, self.left, line)
            self.y -= leading
        self.y -= size * 0.5

    def _heading(self, block: Heading) -> Iterator[bytes]:
        size = HEADING_SIZES.get(block.level, HEADING_SIZES[3]) if block.level >= 1 else HEADING_SIZES[1]
        leading = size * 1.25
        font = self.fonts[BOLD]
        lines = self.wrap(font, clean_text(block.text), size, self.width)
        before = size * 0.6
        # Keep the heading with the first lines of what follows: room for two body lines.
        keep = before + len(lines) * leading + 2 * BODY_SIZE * BODY_LEADING
        yield from self.need(keep)
        if not self.fresh:
            self.y -= before
        for line in lines:
            yield from self.need(leading)
            self._line_at_cursor(font, size, self.left, line)
            self.y -= leading
        self.y -= size * 0.3

    def _list_item(self, block: ListItem) -> Iterator[bytes]:
        size = BODY_SIZE
        leading = size * BODY_LEADING
        font = self.fonts[REGULAR]
        label = clean_text(block.label).replace("\n", " ").strip()
        if self.rtl:
            # "1." in a Farsi list is "۱." read from the right: its full stop falls on the left. The right-to-left
            # mark (drawn as nothing) gives the label a right-to-left base direction even without letters.
            label = "\u200f" + self.digits(label)
        # A fixed indent keeps "9." and "10." items aligned; only very long labels push it further.
        indent = max(font.measure(label) * size + size * 0.5, size * 2.2)
        lines = self.wrap(font, clean_text(block.text), size, self.width - indent)
        for i, line in enumerate(lines):
            yield from self.need(leading)
            if i == 0:
                self._line_at_cursor(font, size, self.left, label)
            self._line_at_cursor(font, size, self.left + indent, line)
            self.y -= leading
        self.y -= size * 0.25

    def _spacer(self, block: Spacer) -> Iterator[bytes]:
        if not self.page_open:
            self.open_page()
        if self.y - block.height < self.bottom:
            yield from self.finish_page()
        else:
            self.y -= block.height

    def _page_break(self, block: PageBreak) -> Iterator[bytes]:
        if self.page_open:
            yield from self.finish_page()

    def _table(self, block: Table) -> Iterator[bytes]:
        from .table import TableLayout

        yield from TableLayout(self, block).run(block.rows)
        self.y -= BODY_SIZE * 0.5

    # ----------------------------------------------------------------- document objects

    def _info(self) -> bytes:
        doc = self.doc
        parts = [b"<< /Title ", objects.text_string(clean_text(doc.title).replace("\n", " "))]
        if doc.author:
            parts += [b" /Author ", objects.text_string(clean_text(doc.author).replace("\n", " "))]
        producer = objects.literal_ascii(PRODUCER)
        parts += [b" /Producer ", producer, b" /Creator ", producer]
        parts += [b" /CreationDate ", objects.date(doc.created_at), b" >>"]
        return b"".join(parts)

    def _finish_document(self) -> Iterator[bytes]:
        out = self.out
        font_refs = []
        faces = sorted((face for font in self.fonts for face in font.faces), key=lambda face: int(face.resource[1:]))
        for face in faces:
            if face.used:
                font_id = yield from write_font(out, face)
                font_refs.append(b"/%s %d 0 R" % (face.resource.encode("ascii"), font_id))
        font_dict = b" /Font << " + b" ".join(font_refs) + b" >>" if font_refs else b""
        out.obj(self.resources_id, b"<< /ProcSet [/PDF /Text]" + font_dict + b" >>")
        yield from out.pages(self.pages_id, self.page_ids)

        lang = re.sub(r"[^A-Za-z0-9-]", "", self.doc.language) or "und"
        out.obj(
            self.catalog_id,
            b"<< /Type /Catalog /Pages %d 0 R /Lang %s /ViewerPreferences << /DisplayDocTitle true >> >>"
            % (self.pages_id, objects.literal_ascii(lang)),
        )
        yield out.flush()
        yield from out.close(self.catalog_id, self.info_id)


def _digits_for(language: str) -> Callable[[str], str]:
    """Writes a number's Latin digits in the ones CLDR makes the language's default (Farsi: ۱۲۳)."""
    from ...i18n import native_digits

    try:
        if native_digits("0", language) == "0":
            return str
    except (ValueError, TypeError, LookupError):
        return str
    return lambda text: native_digits(text, language)


def _wrap_words(font: FontUse, words: list[str], limit: float, lines: list[str]) -> None:
    """Append to `lines` the lines that `words` fill at `limit` ems; always at least one, maybe empty."""
    space = font.measure(" ")
    line: list[str] = []
    used = 0.0
    for word in words:
        word_width = font.measure(word)
        if line and used + space + word_width <= limit:
            line.append(" ")
            line.append(word)
            used += space + word_width
            continue
        if line:
            lines.append("".join(line))
            line, used = [], 0.0
        if word_width <= limit:
            line, used = [word], word_width
            continue
        for ch in word:
            ch_width = font.measure(ch)
            if line and used + ch_width > limit:
                lines.append("".join(line))
                line, used = [], 0.0
            line.append(ch)
            used += ch_width
    lines.append("".join(line))
