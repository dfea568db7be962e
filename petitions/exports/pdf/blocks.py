"""What a document is made of: the blocks a caller lays out, and the cleaning every string gets first."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Union


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


_WHITESPACE_CONTROLS = frozenset("\t\x0b\x0c\x1c\x1d\x1e\x1f\x85")
# ZWNJ and ZWJ are spelling in Farsi (and other scripts): they decide whether letters join. They move nothing.
_JOINERS = frozenset("\u200c\u200d")


def clean_text(text: str) -> str:
    """Return `text` without control and format characters (Unicode Cc/Cf), keeping newlines.

    Tabs and other whitespace controls become spaces so that words stay apart;
    line and paragraph separators become newlines. Format characters such as
    bidi overrides or zero-width spaces are dropped: they would otherwise be
    drawn as "?" or let a signatory's name spoof the text around it. The joiners
    ZWNJ and ZWJ stay: Farsi spelling needs them, and the shaper draws them as nothing.
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
        elif ch in _JOINERS or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"):
            out.append(ch)
    return "".join(out)
