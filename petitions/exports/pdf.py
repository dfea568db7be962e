"""A small streaming PDF writer for delivery packs.

A delivery pack is a cover page with the petition's text followed by a table
of signatories that can run to a million rows. Existing PDF libraries build
the whole document in memory before writing it, so this module lays out and
writes one page at a time: `PdfDocument.render` yields the file as bytes
chunks and keeps only per-page integers (object offsets and page object
numbers) plus the glyphs used, never the content of finished pages.

Fonts are embedded whole as Type0/CIDFontType2 with Identity-H encoding, so
glyph ids go straight into the content stream; the /W array and the
/ToUnicode CMap cover only the glyphs actually drawn, which is why font
objects are written after the pages.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import BinaryIO, Union

from fontTools.ttLib import TTFont

__all__ = [
    "A4",
    "Heading",
    "ListItem",
    "PageBreak",
    "Paragraph",
    "PdfDocument",
    "Spacer",
    "Table",
    "clean_text",
]

A4 = (595.28, 841.89)
PRODUCER = "petitions"

BODY_SIZE = 11.0
BODY_LEADING = 1.35
HEADING_SIZES = {1: 20.0, 2: 15.0, 3: 12.5}
TABLE_SIZE = 9.0
TABLE_LEADING = 1.3
CELL_PAD_X = 3.0
CELL_PAD_Y = 2.5
FOOTER_SIZE = 8.0
ELLIPSIS = "\u2026"

_REGULAR, _BOLD = 0, 1


# --------------------------------------------------------------------------- blocks


@dataclass
class Heading:
    """A bold heading; level 1 is the largest, levels above 3 render like 3."""

    text: str
    level: int = 1


@dataclass
class Paragraph:
    """Wrapped running text. A newline in `text` forces a line break."""

    text: str
    bold: bool = False
    size: float | None = None


@dataclass
class ListItem:
    """A list entry with a hanging indent: `label` (e.g. "1." or "•") then wrapped `text`."""

    label: str
    text: str


@dataclass
class Spacer:
    """Vertical space in points; a spacer that does not fit ends the page instead."""

    height: float


@dataclass
class PageBreak:
    """Start a new page. Has no effect when no page is open, so breaks never produce blank pages."""


@dataclass
class Table:
    """A table whose rows are consumed lazily, so `rows` may be a generator of a million tuples.

    `columns` are relative widths, `header` is drawn bold and repeated on every
    page the table spans (an empty header draws none). Cells wrap inside their
    column, ints and floats are right-aligned, and a row never splits across
    pages; a row taller than a whole page is cut with an ellipsis.
    """

    columns: Sequence[float]
    header: Sequence[str]
    rows: Iterable[Sequence[object]]


Block = Union[Heading, Paragraph, ListItem, Spacer, PageBreak, Table]


# --------------------------------------------------------------------------- text


_WHITESPACE_CONTROLS = frozenset("\t\x0b\x0c\x1c\x1d\x1e\x1f\x85")


def clean_text(text: str) -> str:
    """Return `text` without control and format characters (Unicode Cc/Cf), keeping newlines.

    Tabs and other whitespace controls become spaces so that words stay apart;
    line and paragraph separators become newlines. Format characters such as
    bidi overrides or zero-width spaces are dropped: they would otherwise be
    drawn as "?" or let a signatory's name spoof the text around it.
    """
    if text.isprintable():
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n" or ch == "\u2028" or ch == "\u2029":
            out.append("\n")
        elif ch in _WHITESPACE_CONTROLS:
            out.append(" ")
        elif unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            out.append(ch)
    return "".join(out)


def _num(value: float) -> str:
    """Format a coordinate compactly and deterministically (two decimals are ample at 72 dpi)."""
    s = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _pdf_text_string(text: str) -> bytes:
    """A PDF text string as UTF-16BE with BOM in hex, which is correct for any script."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _pdf_literal_ascii(text: str) -> bytes:
    """A literal string for values that are ASCII by construction (language tags, dates)."""
    safe = text.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"(" + safe + b")"


def _pdf_date(moment: datetime) -> bytes:
    """A PDF date in UTC; naive datetimes are taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return b"(" + moment.strftime("D:%Y%m%d%H%M%S+00'00'").encode("ascii") + b")"


# --------------------------------------------------------------------------- fonts


@dataclass(frozen=True)
class _FontData:
    """Metrics of one TrueType font, shared between documents; holds no per-document state."""

    path: str
    ps_name: str
    units_per_em: int
    cmap: dict[int, int]
    advances: tuple[int, ...]
    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]
    italic_angle: float
    flags: int
    stem_v: int
    fallback_gid: int
    space_gid: int

    def glyph(self, ch: str) -> tuple[int, str]:
        """The glyph id for `ch` and the text it should extract as."""
        gid = self.cmap.get(ord(ch))
        if gid is not None:
            return gid, ch
        if unicodedata.category(ch) == "Zs":
            # An exotic space the font lacks is still a space, not a "?".
            return self.space_gid, " "
        return self.fallback_gid, "?"

    def width(self, text: str, size: float) -> float:
        """Advance width of `text` in points at `size`, without kerning."""
        advances = self.advances
        units = sum(advances[self.glyph(ch)[0]] for ch in text)
        return units * size / self.units_per_em


def _default_font_path(bold: bool) -> str:
    import font_source_sans_pro

    name = "SourceSansPro-Bold.ttf" if bold else "SourceSansPro-Regular.ttf"
    return os.path.join(os.path.dirname(font_source_sans_pro.__file__), "files", name)


def _font_data(path: str) -> _FontData:
    path = os.path.abspath(path)
    stat = os.stat(path)
    # Keyed on mtime and size too, so a replaced font file is not served stale.
    return _load_font(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _load_font(path: str, _mtime_ns: int, _size: int) -> _FontData:
    font = TTFont(path, lazy=True)
    try:
        if "glyf" not in font:
            raise ValueError(f"{path}: only TrueType-outline fonts can be embedded as FontFile2")
        os2 = font["OS/2"] if "OS/2" in font else None
        if os2 is not None and os2.fsType & 0x000F == 0x0002:
            raise ValueError(f"{path}: the font's licence forbids embedding")
        head, hhea, post = font["head"], font["hhea"], font["post"]
        upem = head.unitsPerEm
        scale = 1000.0 / upem
        order = font.getGlyphOrder()
        hmtx = font["hmtx"].metrics
        advances = tuple(hmtx[name][0] if name in hmtx else 0 for name in order)
        cmap = dict(font.getBestCmap() or {})
        gid_of = {name: i for i, name in enumerate(order)}
        cmap = {cp: gid_of[name] for cp, name in cmap.items() if name in gid_of}
        fallback = cmap.get(ord("?"), 0)
        space = cmap.get(ord(" "), fallback)
        ascent = hhea.ascent
        descent = hhea.descent
        if os2 is not None and os2.version >= 2 and getattr(os2, "sCapHeight", 0):
            cap_height = os2.sCapHeight
        else:
            cap_height = ascent * 0.7
        weight = os2.usWeightClass if os2 is not None else 400
        italic = bool(post.italicAngle) or bool(head.macStyle & 0x2)
        # Flags: Nonsymbolic (6th bit), plus FixedPitch and Italic when they apply.
        flags = 32 | (1 if post.isFixedPitch else 0) | (64 if italic else 0)
        names = font["name"] if "name" in font else None
        ps_name = names.getDebugName(6) if names is not None else None
        ps_name = re.sub(r"[^A-Za-z0-9+\-_.]", "", ps_name or "") or re.sub(
            r"[^A-Za-z0-9+\-_.]", "", os.path.splitext(os.path.basename(path))[0]
        ) or "Font"
        return _FontData(
            path=path,
            ps_name=ps_name,
            units_per_em=upem,
            cmap=cmap,
            advances=advances,
            ascent=ascent * scale,
            descent=descent * scale,
            cap_height=cap_height * scale,
            bbox=(head.xMin * scale, head.yMin * scale, head.xMax * scale, head.yMax * scale),
            italic_angle=float(post.italicAngle),
            flags=flags,
            # Fonts do not record stem widths; this is the usual estimate from the weight class.
            stem_v=round(50 + (weight / 65) ** 2),
            fallback_gid=fallback,
            space_gid=space,
        )
    finally:
        font.close()


class _Widths(dict):
    """Character -> advance in ems, filled on demand because most documents use few characters."""

    def __init__(self, data: _FontData) -> None:
        super().__init__()
        self._data = data

    def __missing__(self, ch: str) -> float:
        data = self._data
        value = data.advances[data.glyph(ch)[0]] / data.units_per_em
        self[ch] = value
        return value


class _Hexes(dict):
    """Character -> 4-digit hex glyph id; a miss is the moment a glyph becomes 'used'."""

    def __init__(self, data: _FontData, used: dict[int, str]) -> None:
        super().__init__()
        self._data = data
        self._used = used

    def __missing__(self, ch: str) -> str:
        gid, text = self._data.glyph(ch)
        self._used.setdefault(gid, text)
        value = f"{gid:04X}"
        self[ch] = value
        return value


class _FontUse:
    """One font within one rendering: its resource name and the glyphs drawn so far."""

    def __init__(self, data: _FontData, resource: str) -> None:
        self.data = data
        self.resource = resource
        self.used: dict[int, str] = {}
        self.widths = _Widths(data)
        self.hexes = _Hexes(data, self.used)
        self.ascent = min(data.ascent / 1000.0, 1.0)

    def measure(self, text: str) -> float:
        """Width of `text` in ems."""
        return sum(map(self.widths.__getitem__, text))

    def encode(self, text: str) -> str:
        """Hex glyph ids of `text` for a Tj operand."""
        return "".join(map(self.hexes.__getitem__, text))


# --------------------------------------------------------------------------- output


class _Output:
    """Accumulates bytes until flushed, tracking byte offsets of objects and a hash for /ID."""

    def __init__(self) -> None:
        self.pos = 0
        # array('q') rather than a list of ints: 8 bytes per object for million-row documents.
        self.offsets = array("q", [0])
        self.parts: list[bytes] = []
        self.digest = hashlib.sha256()

    def reserve(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets) - 1

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.pos += len(data)

    def obj(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n" % num)
        self.write(body)
        self.write(b"\nendobj\n")

    def stream(self, num: int, data: bytes, extra: bytes = b"") -> None:
        self.offsets[num] = self.pos
        self.write(b"%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n" % (num, len(data), extra))
        self.write(data)
        self.write(b"\nendstream\nendobj\n")

    def flush(self) -> bytes:
        chunk = b"".join(self.parts)
        self.parts.clear()
        self.digest.update(chunk)
        return chunk


# --------------------------------------------------------------------------- document


class PdfDocument:
    """A document configuration that renders a sequence of blocks to PDF bytes, streamed.

    `created_at` is the only clock the writer reads, so the same blocks and
    `created_at` always give identical bytes. `footer(page_number)` returns
    the text drawn small at the bottom centre of each page; because pages are
    written as they fill up, the total page count is never known to it.
    """

    def __init__(
        self,
        *,
        title: str,
        language: str,
        author: str = "",
        created_at: datetime,
        regular_font: str | None = None,
        bold_font: str | None = None,
        page_size: tuple[float, float] = A4,
        margin: float = 50,
        footer: Callable[[int], str] | None = None,
    ) -> None:
        width, height = page_size
        if width <= 2 * margin or height <= 2 * margin:
            raise ValueError("the margins leave no room on the page")
        self.title = title
        self.language = language
        self.author = author
        self.created_at = created_at
        self.page_size = (float(width), float(height))
        self.margin = float(margin)
        self.footer = footer
        self._fonts = (
            _font_data(regular_font or _default_font_path(bold=False)),
            _font_data(bold_font or _default_font_path(bold=True)),
        )

    @property
    def text_width(self) -> float:
        """Width in points available to text between the left and right margins."""
        return self.page_size[0] - 2 * self.margin

    def measure(self, text: str, *, bold: bool = False, size: float = BODY_SIZE) -> float:
        """Width in points of `text` (after control characters are stripped) as this document draws it."""
        return self._fonts[_BOLD if bold else _REGULAR].width(clean_text(text), size)

    def render(self, blocks: Iterable[Block]) -> Iterator[bytes]:
        """Yield the PDF file in chunks: the header, about one chunk per page, fonts and trailer.

        `blocks` is consumed lazily and in order; each call renders afresh.
        """
        yield from _Renderer(self).run(blocks)

    def write_to(self, fileobj: BinaryIO, blocks: Iterable[Block]) -> int:
        """Write the PDF to a binary file object and return the number of pages."""
        renderer = _Renderer(self)
        for chunk in renderer.run(blocks):
            fileobj.write(chunk)
        return renderer.page_count


class _Renderer:
    """Layout and serialisation state for one rendering of a PdfDocument."""

    def __init__(self, doc: PdfDocument) -> None:
        self.doc = doc
        self.fonts = (_FontUse(doc._fonts[_REGULAR], "F1"), _FontUse(doc._fonts[_BOLD], "F2"))
        self.out = _Output()
        self.page_ids = array("q")
        self.page_count = 0
        self.ops: list[str] = []
        self.page_open = False
        self.fresh = True
        width, height = doc.page_size
        self.left = doc.margin
        self.width = width - 2 * doc.margin
        self.top = height - doc.margin
        self.bottom = doc.margin
        self.y = self.top
        self.media_box = b"[0 0 %s %s]" % (_num(width).encode(), _num(height).encode())

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
            if isinstance(block, Paragraph):
                yield from self._paragraph(block)
            elif isinstance(block, Table):
                yield from self._table(block)
            elif isinstance(block, Heading):
                yield from self._heading(block)
            elif isinstance(block, ListItem):
                yield from self._list_item(block)
            elif isinstance(block, Spacer):
                yield from self._spacer(block)
            elif isinstance(block, PageBreak):
                if self.page_open:
                    yield from self._finish_page()
            else:
                raise TypeError(f"not a PDF block: {block!r}")

        if self.page_open or self.page_count == 0:
            if not self.page_open:
                self._open_page()
            yield from self._finish_page()
        yield from self._finish_document()

    # ----------------------------------------------------------------- pages

    def _open_page(self) -> None:
        self.ops = []
        self.page_open = True
        self.fresh = True
        self.y = self.top

    def _at_top(self) -> bool:
        return self.fresh and self.y >= self.top - 1e-6

    def _need(self, height: float) -> Iterator[bytes]:
        """Make sure `height` points fit below the cursor, starting a new page if they do not."""
        if not self.page_open:
            self._open_page()
        elif self.y - height < self.bottom - 1e-6 and not self._at_top():
            # On an empty page there is nowhere better to go, so oversized content is drawn anyway.
            yield from self._finish_page()
            self._open_page()

    def _finish_page(self) -> Iterator[bytes]:
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
        font = self.fonts[_REGULAR]
        text = " ".join(text.split(" "))
        limit = self.width / FOOTER_SIZE
        if font.measure(text) > limit:
            text = self._truncate(font, text, limit)
        x = (self.doc.page_size[0] - font.measure(text) * FOOTER_SIZE) / 2
        self._draw(font, FOOTER_SIZE, x, max(self.doc.margin * 0.5 - 3, 4.0), text)

    # ----------------------------------------------------------------- drawing

    def _draw(self, font: _FontUse, size: float, x: float, baseline: float, text: str) -> None:
        if text:
            self.ops.append(
                f"BT /{font.resource} {_num(size)} Tf {_num(x)} {_num(baseline)} Td <{font.encode(text)}> Tj ET"
            )

    def _line_at_cursor(self, font: _FontUse, size: float, x: float, text: str) -> None:
        self._draw(font, size, x, self.y - size * font.ascent, text)
        self.fresh = False

    def _wrap(self, font: _FontUse, text: str, size: float, width: float) -> list[str]:
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
        widths = font.widths
        space = widths[" "]
        lines: list[str] = []
        for part in text.split("\n"):
            words = [w for w in part.split(" ") if w]
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
                    ch_width = widths[ch]
                    if line and used + ch_width > limit:
                        lines.append("".join(line))
                        line, used = [], 0.0
                    line.append(ch)
                    used += ch_width
            lines.append("".join(line))
        return lines

    def _truncate(self, font: _FontUse, text: str, limit: float) -> str:
        """Shorten `text` so that it plus an ellipsis fits in `limit` ems."""
        budget = limit - font.measure(ELLIPSIS)
        used = 0.0
        for i, ch in enumerate(text):
            used += font.widths[ch]
            if used > budget:
                return text[:i].rstrip(" ") + ELLIPSIS
        return text + ELLIPSIS

    # ----------------------------------------------------------------- blocks

    def _flow(self, font: _FontUse, size: float, leading: float, x: float, width: float, text: str) -> Iterator[bytes]:
        for line in self._wrap(font, text, size, width):
            yield from self._need(leading)
            self._line_at_cursor(font, size, x, line)
            self.y -= leading

    def _paragraph(self, block: Paragraph) -> Iterator[bytes]:
        size = float(block.size or BODY_SIZE)
        font = self.fonts[_BOLD if block.bold else _REGULAR]
        yield from self._flow(font, size, size * BODY_LEADING, self.left, self.width, clean_text(block.text))
        self.y -= size * 0.5

    def _heading(self, block: Heading) -> Iterator[bytes]:
        size = HEADING_SIZES.get(block.level, HEADING_SIZES[3]) if block.level >= 1 else HEADING_SIZES[1]
        leading = size * 1.25
        font = self.fonts[_BOLD]
        lines = self._wrap(font, clean_text(block.text), size, self.width)
        before = size * 0.6
        # Keep the heading with the first lines of what follows: room for two body lines.
        keep = before + len(lines) * leading + 2 * BODY_SIZE * BODY_LEADING
        yield from self._need(keep)
        if not self.fresh:
            self.y -= before
        for line in lines:
            yield from self._need(leading)
            self._line_at_cursor(font, size, self.left, line)
            self.y -= leading
        self.y -= size * 0.3

    def _list_item(self, block: ListItem) -> Iterator[bytes]:
        size = BODY_SIZE
        leading = size * BODY_LEADING
        font = self.fonts[_REGULAR]
        label = clean_text(block.label).replace("\n", " ").strip()
        # A fixed indent keeps "9." and "10." items aligned; only very long labels push it further.
        indent = max(font.measure(label) * size + size * 0.5, size * 2.2)
        lines = self._wrap(font, clean_text(block.text), size, self.width - indent)
        for i, line in enumerate(lines):
            yield from self._need(leading)
            if i == 0:
                self._line_at_cursor(font, size, self.left, label)
            self._line_at_cursor(font, size, self.left + indent, line)
            self.y -= leading
        self.y -= size * 0.25

    def _spacer(self, block: Spacer) -> Iterator[bytes]:
        if not self.page_open:
            self._open_page()
        if self.y - block.height < self.bottom:
            yield from self._finish_page()
        else:
            self.y -= block.height

    def _table(self, table: Table) -> Iterator[bytes]:
        weights = [float(c) for c in table.columns]
        total = sum(weights)
        if not weights or total <= 0 or any(w < 0 for w in weights):
            raise ValueError("table columns must be non-negative relative widths with a positive sum")
        ncols = len(weights)
        header = [clean_text(str(h)) for h in table.header]
        if header and len(header) != ncols:
            raise ValueError(f"table header has {len(header)} cells for {ncols} columns")

        regular, bold = self.fonts
        size = TABLE_SIZE
        leading = size * TABLE_LEADING
        col_widths = [w / total * self.width for w in weights]
        col_x = []
        x = self.left
        for w in col_widths:
            col_x.append(x)
            x += w
        right_edge = self.left + self.width
        inner = [max(w - 2 * CELL_PAD_X, 1.0) for w in col_widths]
        ascent_offset = CELL_PAD_Y + size * regular.ascent
        left_x = [_num(x + CELL_PAD_X) for x in col_x]
        rule = f"{_num(self.left)} {{y}} m {_num(right_edge)} {{y}} l S"
        separator_at = "0.8 G 0.3 w " + rule
        tf = f"BT /{regular.resource} {_num(size)} Tf "

        header_lines = [self._wrap(bold, h, size, inner[i]) for i, h in enumerate(header)]
        header_height = (max(len(c) for c in header_lines) * leading + 2 * CELL_PAD_Y) if header else 0.0
        max_lines = max(int((self.top - self.bottom - header_height - 2 * CELL_PAD_Y) // leading), 1)
        header_pending = bool(header)
        ops = self.ops
        limit_ems = [w / size for w in inner]

        # Each row is drawn in coordinates translated to its top edge, so a cell's operators do not depend
        # on where the row lands and can be reused: cities and countries, often names too, repeat across
        # rows, and a million rows are only fast when most cells are not laid out again. The cache is
        # emptied when full so memory stays flat.
        cell_cache: dict[tuple[int, str], tuple[int, str]] = {}
        separators: dict[int, str] = {}

        def render_cell(i: int, text: str, right: bool) -> tuple[int, str]:
            lines = self._wrap(regular, text, size, inner[i])
            if len(lines) > max_lines:
                # A row must not split across pages, so a cell taller than a page is cut.
                lines = lines[: max_lines - 1] + [self._truncate(regular, lines[max_lines - 1], limit_ems[i])]
            drawn = []
            for k, line in enumerate(lines):
                if line:
                    if right:
                        x_text = _num(col_x[i] + col_widths[i] - CELL_PAD_X - regular.measure(line) * size)
                    else:
                        x_text = left_x[i]
                    baseline = _num(-ascent_offset - k * leading)
                    drawn.append(f"{tf}{x_text} {baseline} Td <{regular.encode(line)}> Tj ET\n")
            return len(lines), "".join(drawn)

        for row in table.rows:
            if len(row) > ncols:
                # The row itself stays out of the message: it holds a signatory's personal data.
                raise ValueError(f"table row has {len(row)} cells for {ncols} columns")
            drawn_cells: list[str] = []
            nlines = 1
            for i, value in enumerate(row):
                if type(value) is str:
                    text = value if value.isprintable() else clean_text(value)
                    key = (i, text)
                    cell = cell_cache.get(key)
                    if cell is None:
                        if len(cell_cache) >= 1024:
                            cell_cache.clear()
                        cell = cell_cache[key] = render_cell(i, text, False)
                elif value is None:
                    continue
                else:
                    # Numbers are right-aligned so that digits line up; they rarely repeat, so skip the cache.
                    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                    cell = render_cell(i, clean_text(str(value)), numeric)
                if cell[0] > nlines:
                    nlines = cell[0]
                drawn_cells.append(cell[1])
            row_height = nlines * leading + 2 * CELL_PAD_Y

            if not self.page_open:
                self._open_page()
                ops = self.ops
                header_pending = bool(header)
            elif self.y - row_height - (header_height if header_pending else 0.0) < self.bottom - 1e-6:
                if not self._at_top():
                    yield from self._finish_page()
                    self._open_page()
                    ops = self.ops
                header_pending = bool(header)
            if header_pending:
                self._table_header(header_lines, col_x, header_height)
                header_pending = False

            separator = separators.get(nlines)
            if separator is None:
                separator = separators[nlines] = separator_at.format(y=_num(-row_height))
            ops.append(f"q 1 0 0 1 0 {self.y:.2f} cm\n{''.join(drawn_cells)}{separator}\nQ")
            self.y -= row_height
            self.fresh = False

        if header_pending:
            # A table without rows still shows its header, so an empty list reads as empty, not missing.
            yield from self._need(header_height)
            self._table_header(header_lines, col_x, header_height)
        self.y -= BODY_SIZE * 0.5

    def _table_header(self, header_lines: list[list[str]], col_x: list[float], height: float) -> None:
        bold = self.fonts[_BOLD]
        size = TABLE_SIZE
        leading = size * TABLE_LEADING
        top = self.y
        self.ops.append(f"0.92 g {_num(self.left)} {_num(top - height)} {_num(self.width)} {_num(height)} re f 0 g")
        for i, lines in enumerate(header_lines):
            baseline = top - CELL_PAD_Y - size * bold.ascent
            for line in lines:
                self._draw(bold, size, col_x[i] + CELL_PAD_X, baseline, line)
                baseline -= leading
        self.y = top - height
        y = _num(self.y)
        self.ops.append(f"0 G 0.6 w {_num(self.left)} {y} m {_num(self.left + self.width)} {y} l S")
        self.fresh = False

    # ----------------------------------------------------------------- document objects

    def _info(self) -> bytes:
        doc = self.doc
        parts = [b"<< /Title ", _pdf_text_string(clean_text(doc.title).replace("\n", " "))]
        if doc.author:
            parts += [b" /Author ", _pdf_text_string(clean_text(doc.author).replace("\n", " "))]
        parts += [
            b" /Producer ",
            _pdf_literal_ascii(PRODUCER),
            b" /Creator ",
            _pdf_literal_ascii(PRODUCER),
            b" /CreationDate ",
            _pdf_date(doc.created_at),
            b" >>",
        ]
        return b"".join(parts)

    def _finish_document(self) -> Iterator[bytes]:
        out = self.out
        font_refs = []
        for font in self.fonts:
            if font.used:
                font_id = yield from self._font(font)
                font_refs.append(b"/%s %d 0 R" % (font.resource.encode("ascii"), font_id))
        font_dict = b" /Font << " + b" ".join(font_refs) + b" >>" if font_refs else b""
        out.obj(self.resources_id, b"<< /ProcSet [/PDF /Text]" + font_dict + b" >>")

        out.offsets[self.pages_id] = out.pos
        out.write(b"%d 0 obj\n<< /Type /Pages /Count %d /Kids [" % (self.pages_id, self.page_count))
        ids = self.page_ids
        for start in range(0, len(ids), 4096):
            out.write(b" ".join(b"%d 0 R" % n for n in ids[start : start + 4096]))
            out.write(b"\n")
            yield out.flush()
        out.write(b"] >>\nendobj\n")

        lang = re.sub(r"[^A-Za-z0-9-]", "", self.doc.language) or "und"
        out.obj(
            self.catalog_id,
            b"<< /Type /Catalog /Pages %d 0 R /Lang %s /ViewerPreferences << /DisplayDocTitle true >> >>"
            % (self.pages_id, _pdf_literal_ascii(lang)),
        )
        yield out.flush()

        xref_at = out.pos
        offsets = out.offsets
        size = len(offsets)
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for start in range(1, size, 4096):
            entries = []
            for num in range(start, min(start + 4096, size)):
                offset = offsets[num]
                if offset < 0:
                    raise AssertionError(f"object {num} was reserved but never written")
                entries.append(b"%010d 00000 n \n" % offset)
            out.write(b"".join(entries))
            yield out.flush()
        # /ID only needs to be unique per content, so a hash of everything written keeps it deterministic.
        file_id = out.digest.hexdigest()[:32].upper().encode("ascii")
        out.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, self.catalog_id, self.info_id, file_id, file_id, xref_at)
        )
        yield out.flush()

    def _font(self, font: _FontUse) -> Iterator[bytes]:
        """Write one font's objects; returns (via StopIteration) the Type0 font's object number."""
        out = self.out
        data = font.data
        type0_id, cid_id, descriptor_id, file_id, cmap_id = (out.reserve() for _ in range(5))

        with open(data.path, "rb") as fh:
            raw = fh.read()
        out.stream(file_id, zlib.compress(raw, 6), b" /Length1 %d" % len(raw))
        del raw
        yield out.flush()

        name = data.ps_name.encode("ascii")
        bbox = b" ".join(_num(v).encode() for v in data.bbox)
        out.obj(
            descriptor_id,
            b"<< /Type /FontDescriptor /FontName /%s /Flags %d /FontBBox [%s] /ItalicAngle %s"
            b" /Ascent %s /Descent %s /CapHeight %s /StemV %d /FontFile2 %d 0 R >>"
            % (
                name,
                data.flags,
                bbox,
                _num(data.italic_angle).encode(),
                _num(data.ascent).encode(),
                _num(data.descent).encode(),
                _num(data.cap_height).encode(),
                data.stem_v,
                file_id,
            ),
        )
        out.obj(
            cid_id,
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s"
            b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            b" /FontDescriptor %d 0 R /CIDToGIDMap /Identity /W [%s] >>"
            % (name, descriptor_id, self._widths_array(font)),
        )
        out.stream(cmap_id, zlib.compress(self._to_unicode(font), 6))
        out.obj(
            type0_id,
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H"
            b" /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, cid_id, cmap_id),
        )
        yield out.flush()
        return type0_id

    @staticmethod
    def _widths_array(font: _FontUse) -> bytes:
        data = font.data
        scale = 1000.0 / data.units_per_em
        parts: list[str] = []
        run: list[str] = []
        previous = -2
        for gid in sorted(font.used):
            if gid != previous + 1 and run:
                parts.append(f"{run[0]} [{' '.join(run[1:])}]")
                run = []
            if not run:
                run.append(str(gid))
            run.append(_num(data.advances[gid] * scale))
            previous = gid
        if run:
            parts.append(f"{run[0]} [{' '.join(run[1:])}]")
        return "\n".join(parts).encode("ascii")

    @staticmethod
    def _to_unicode(font: _FontUse) -> bytes:
        entries = [
            f"<{gid:04X}> <{text.encode('utf-16-be').hex().upper()}>" for gid, text in sorted(font.used.items())
        ]
        lines = [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
            "/CMapName /Adobe-Identity-UCS def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            "<0000> <FFFF>",
            "endcodespacerange",
        ]
        # The CMap format allows at most 100 entries per bfchar section.
        for start in range(0, len(entries), 100):
            block = entries[start : start + 100]
            lines.append(f"{len(block)} beginbfchar")
            lines.extend(block)
            lines.append("endbfchar")
        lines += [
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
        return "\n".join(lines).encode("ascii")
