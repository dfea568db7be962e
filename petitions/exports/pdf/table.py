"""Tables: lazily consumed rows, wrapped cells, a header repeated on every page, rows never split."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

from .blocks import Table, clean_text
from .objects import num

if TYPE_CHECKING:
    from .layout import Renderer

TABLE_SIZE = 9.0
TABLE_LEADING = 1.3
CELL_PAD_X = 3.0
CELL_PAD_Y = 2.5
# Laid-out cells kept for reuse; the cache is emptied when full so memory stays flat.
CELL_CACHE_SIZE = 1024


class TableLayout:
    """One table's geometry and the state of drawing its rows onto the renderer's pages."""

    def __init__(self, renderer: Renderer, table: Table) -> None:
        weights = [float(c) for c in table.columns]
        total = sum(weights)
        if not weights or total <= 0 or any(w < 0 for w in weights):
            raise ValueError("table columns must be non-negative relative widths with a positive sum")
        self.ncols = len(weights)
        header = [clean_text(str(h)) for h in table.header]
        if header and len(header) != self.ncols:
            raise ValueError(f"table header has {len(header)} cells for {self.ncols} columns")

        self.r = renderer
        self.font = renderer.fonts[0]
        self.size = size = TABLE_SIZE
        self.leading = size * TABLE_LEADING
        self.col_widths = [w / total * renderer.width for w in weights]
        self.col_x = list(accumulate(self.col_widths[:-1], initial=renderer.left))
        self.rtl = renderer.rtl
        if self.rtl:
            # The first column is on the reader's side: on the right.
            mirror = 2 * renderer.left + renderer.width
            self.col_x = [mirror - x - w for x, w in zip(self.col_x, self.col_widths, strict=True)]
        self.digits = renderer.digits
        self.inner = [max(w - 2 * CELL_PAD_X, 1.0) for w in self.col_widths]
        self.limit_ems = [w / size for w in self.inner]
        self.left_x = [num(x + CELL_PAD_X) for x in self.col_x]
        self.ascent_offset = CELL_PAD_Y + size * self.font.ascent
        self.text_start = f"BT /{self.font.resource} {num(size)} Tf "
        self.rule = f"0.8 G 0.3 w {num(renderer.left)} {{y}} m {num(renderer.left + renderer.width)} {{y}} l S"

        bold = renderer.fonts[1]
        self.header_lines = [renderer.wrap(bold, h, size, self.inner[i]) for i, h in enumerate(header)]
        self.has_header = bool(header)
        self.header_height = (
            max(len(c) for c in self.header_lines) * self.leading + 2 * CELL_PAD_Y if header else 0.0
        )
        self.max_lines = max(int((renderer.top - renderer.bottom - self.header_height - 2 * CELL_PAD_Y)
                                 // self.leading), 1)
        # Each row is drawn in coordinates translated to its top edge, so a cell's operators do not depend
        # on where the row lands and can be reused: cities and countries, often names too, repeat across
        # rows, and a million rows are only fast when most cells are not laid out again.
        self.cell_cache: dict[tuple[int, str], tuple[int, str]] = {}
        self.separators: dict[int, str] = {}

    def run(self, rows: Iterable[Sequence[object]]) -> Iterator[bytes]:
        r = self.r
        header_pending = self.has_header
        separators = self.separators
        for row in rows:
            nlines, drawn = self._cells(row)
            row_height = nlines * self.leading + 2 * CELL_PAD_Y
            if not r.page_open or r.y - row_height - (self.header_height if header_pending else 0.0) < r.bottom - 1e-6:
                header_pending = yield from self._new_page()
            if header_pending:
                self._header()
                header_pending = False
            separator = separators.get(nlines) or self._separator(nlines, row_height)
            r.ops.append(f"q 1 0 0 1 0 {r.y:.2f} cm\n{drawn}{separator}\nQ")
            r.y -= row_height
            r.fresh = False
        if header_pending:
            # A table without rows still shows its header, so an empty list reads as empty, not missing.
            yield from r.need(self.header_height)
            self._header()

    def _new_page(self) -> Iterator[bytes]:
        """Open a page for a row that does not fit (unless this one is still empty); returns True: header due."""
        r = self.r
        if not r.page_open:
            r.open_page()
        elif not r.at_top():
            yield from r.finish_page()
            r.open_page()
        return self.has_header

    def _separator(self, nlines: int, row_height: float) -> str:
        separator = self.separators[nlines] = self.rule.format(y=num(-row_height))
        return separator

    def _cells(self, row: Sequence[object]) -> tuple[int, str]:
        """A row's height in lines and its drawing operators, relative to the row's top edge."""
        if len(row) > self.ncols:
            # The row itself stays out of the message: it holds a signatory's personal data.
            raise ValueError(f"table row has {len(row)} cells for {self.ncols} columns")
        drawn: list[str] = []
        nlines = 1
        cache = self.cell_cache
        for i, value in enumerate(row):
            if type(value) is str:
                cell = cache.get((i, value)) or self._text_cell(i, value)
            elif value is None:
                continue
            else:
                # Numbers are right-aligned so that digits line up; they rarely repeat, so skip the cache.
                numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
                cell = self._lay_out(i, clean_text(self.digits(str(value)) if numeric else str(value)), numeric)
            if cell[0] > nlines:
                nlines = cell[0]
            drawn.append(cell[1])
        return nlines, "".join(drawn)

    def _text_cell(self, i: int, value: str) -> tuple[int, str]:
        if len(self.cell_cache) >= CELL_CACHE_SIZE:
            self.cell_cache.clear()
        text = value if value.isprintable() else clean_text(value)
        cell = self.cell_cache[(i, value)] = self._lay_out(i, text, False)
        return cell

    def _lay_out(self, i: int, text: str, right: bool) -> tuple[int, str]:
        font, size, leading = self.font, self.size, self.leading
        lines = self.r.wrap(font, text, size, self.inner[i])
        if len(lines) > self.max_lines:
            # A row must not split across pages, so a cell taller than a page is cut.
            last = self.r.truncate(font, lines[self.max_lines - 1], self.limit_ems[i])
            lines = lines[: self.max_lines - 1] + [last]
        drawn = []
        for k, line in enumerate(lines):
            if not line:
                continue
            if right or self.rtl:
                x = num(self.col_x[i] + self.col_widths[i] - CELL_PAD_X - font.measure(line) * size)
            else:
                x = self.left_x[i]
            drawn.append(f"{self.text_start}{x} {num(-self.ascent_offset - k * leading)} Td {font.show(line, size)} ET\n")
        return len(lines), "".join(drawn)

    def _header(self) -> None:
        r = self.r
        bold = r.fonts[1]
        top, height = r.y, self.header_height
        r.ops.append(f"0.92 g {num(r.left)} {num(top - height)} {num(r.width)} {num(height)} re f 0 g")
        for i, lines in enumerate(self.header_lines):
            baseline = top - CELL_PAD_Y - self.size * bold.ascent
            for line in lines:
                if self.rtl:
                    x = self.col_x[i] + self.col_widths[i] - CELL_PAD_X - bold.measure(line) * self.size
                else:
                    x = self.col_x[i] + CELL_PAD_X
                r.draw(bold, self.size, x, baseline, line)
                baseline -= self.leading
        r.y = top - height
        y = num(r.y)
        r.ops.append(f"0 G 0.6 w {num(r.left)} {y} m {num(r.left + r.width)} {y} l S")
        r.fresh = False
