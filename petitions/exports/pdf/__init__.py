"""A small streaming PDF writer for delivery packs and open letters.

A delivery pack is a cover page with the petition's text followed by a table
of signatories that can run to a million rows. Existing PDF libraries build
the whole document in memory before writing it (ReportLab and fpdf2 hold every
page until they save), so this package lays out and writes one page at a time:
`PdfDocument.render` yields the file as bytes chunks and keeps only per-page
integers (object offsets and page object numbers) plus the glyphs used, never
the content of finished pages.

    blocks   what a document is made of, and `clean_text`
    layout   pages, the cursor, wrapping, paragraphs and headings
    table    tables, row by row
    fonts    metrics, text to glyphs, the embedded subset font
    objects  PDF syntax, offsets, xref and trailer
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from .blocks import Block, Heading, ListItem, PageBreak, Paragraph, Spacer, Table, clean_text
from .fonts import default_font_path, fallback_font_paths, font_data
from .layout import Renderer

__all__ = [
    "Block",
    "Heading",
    "ListItem",
    "PageBreak",
    "Paragraph",
    "PdfDocument",
    "Spacer",
    "Table",
    "clean_text",
]


class PdfDocument:
    """A document configuration that renders a sequence of blocks to A4 PDF bytes, streamed.

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
        footer: Callable[[int], str] | None = None,
    ) -> None:
        self.title = title
        self.language = language
        self.author = author
        self.created_at = created_at
        self.footer = footer
        self.fonts = (font_data(default_font_path(bold=False)), font_data(default_font_path(bold=True)))
        # Tried in order for what the default fonts lack; embedded only when a glyph of theirs is drawn.
        self.fallback_fonts = tuple(
            tuple(font_data(path) for path in fallback_font_paths(bold=bold)) for bold in (False, True)
        )
        self.rtl = _is_rtl(language)

    def render(self, blocks: Iterable[Block]) -> Iterator[bytes]:
        """Yield the PDF file in chunks: the header, about one chunk per page, fonts and trailer.

        `blocks` is consumed lazily and in order; each call renders afresh.
        """
        yield from Renderer(self).run(blocks)


def _is_rtl(language: str) -> bool:
    """Whether the document's language is written right to left (Farsi, Arabic, Hebrew ...), per CLDR."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(language.replace("-", "_")).character_order == "right-to-left"
    except (ValueError, TypeError, UnknownLocaleError):
        return False
