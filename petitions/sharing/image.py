"""Drawing the share image: a 1200×630 PNG with the title, the count and the site's name.

Pure drawing, no Flask: the caller hands in finished, translated strings. The
fonts come from wheels, as for the PDF exports, so the image is the same on
every server and nothing depends on the fonts installed on the host: Source
Sans Pro (``font-source-sans-pro``) for Latin and Cyrillic, IBM Plex Sans
Arabic (``fontpkg-ibm-plex-sans-arabic``) for Farsi. Each line is split into
bidi runs (python-bidi) and runs of one font (the first whose cmap has the
character), and each run is shaped by Pillow's libraqm layout (HarfBuzz).
Text whose first strong character is right-to-left, or a count line in such
a language, lays the whole card out from the right.
"""
import io
import logging
import os
import unicodedata
from functools import lru_cache

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

from ..exports.pdf import clean_text
from ..exports.pdf.fonts import bidi_levels, visual_order

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
# The title fills the band between the site name and the count.
TITLE_TOP, TITLE_BOTTOM = 150, 470
TITLE_SIZES = (76, 68, 60, 54, 48, 44)
LINE_HEIGHT = 1.18
SITE_SIZE = 34
COUNT_SIZE = 54
MIN_COUNT_SIZE = 30
ELLIPSIS = "\u2026"

# The stylesheet's colours: --accent, --accent-ink, and a pale green for the secondary line.
BACKGROUND = (11, 94, 60)
INK = (255, 255, 255)
SOFT_INK = (196, 228, 212)
RULE = (255, 191, 71)


def font_path(weight):
    import font_source_sans_pro

    return os.path.join(os.path.dirname(font_source_sans_pro.__file__), "files", f"SourceSansPro-{weight}.ttf")


def font_paths(weight):
    """The fonts tried in order for each character: Source Sans Pro, then IBM Plex Sans Arabic."""
    import fontpkg_ibm_plex_sans_arabic

    arabic = {"Semibold": "SemiBold"}.get(weight, weight)
    return (font_path(weight),
            os.path.join(fontpkg_ibm_plex_sans_arabic.ROOT, "files", f"IBMPlexSansArabic-{arabic}.ttf"))


@lru_cache(maxsize=8)
def _cmap(path):
    font = TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


_JOINERS = frozenset("\u200c\u200d")


def _rtl_text(text):
    """Whether the first strong character of ``text`` is right-to-left (rules P2 and P3 of UAX #9)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


class StyledFont:
    """A weight at a size over the font list: measures and draws lines of mixed scripts and directions."""

    def __init__(self, weight, size):
        self.size = size
        paths = font_paths(weight)
        self.fonts = [ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM) for path in paths]
        self.cmaps = [_cmap(path) for path in paths]
        self.rtl = False  # the paragraph direction, set by the card

    def _index_for(self, ch, current):
        cp = ord(ch)
        # Spaces, digits and punctuation stay in the run around them, so a phrase is shaped as one piece.
        if current is not None and cp in self.cmaps[current] and not unicodedata.category(ch).startswith("L"):
            return current
        for i, cmap in enumerate(self.cmaps):
            if cp in cmap:
                return i
        if ch in _JOINERS or unicodedata.category(ch) in ("Mn", "Mc", "Me", "Zs"):
            return current or 0
        # The first font's .notdef box is drawn: a visible gap, never a "?". Code point only: no names in logs.
        log.warning("no font has a glyph for U+%04X; drawn as an empty box", cp)
        return 0

    def runs(self, text):
        """(font, text, direction) for each run of ``text`` (one line), in drawing order, left to right."""
        simple = not any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for c in text)
        if simple and all(ord(c) in self.cmaps[0] for c in text) and not self.rtl:
            return [(self.fonts[0], text, "ltr")] if text else []
        levels = [0] * len(text) if simple else bidi_levels(text, self.rtl)
        segments = []  # [start, end, level, font index]
        current = None
        for i, ch in enumerate(text):
            same_level = segments and segments[-1][2] == levels[i]
            index = self._index_for(ch, current if same_level else None)
            if same_level and segments[-1][3] == index:
                segments[-1][1] = i + 1
            else:
                segments.append([i, i + 1, levels[i], index])
            current = index
        order = visual_order([segment[2] for segment in segments])
        return [(self.fonts[segments[k][3]], text[segments[k][0]:segments[k][1]],
                 "rtl" if segments[k][2] % 2 else "ltr") for k in order]

    def getlength(self, text):
        return sum(font.getlength(piece, direction=direction) for font, piece, direction in self.runs(text))

    def draw(self, draw, x, baseline, text, fill):
        """Draw one line starting at ``x`` (or ending there, for a right-to-left card)."""
        runs = self.runs(text)
        if self.rtl:
            x -= sum(font.getlength(piece, direction=direction) for font, piece, direction in runs)
        for font, piece, direction in runs:
            draw.text((x, baseline), piece, font=font, fill=fill, anchor="ls", direction=direction)
            x += font.getlength(piece, direction=direction)


@lru_cache(maxsize=32)
def _styled(weight, size, rtl):
    font = StyledFont(weight, size)
    font.rtl = rtl
    return font


def _font(weight, size, rtl=False):
    return _styled(weight, size, rtl)


def _one_line(text):
    """Text fit for a single drawn line: no control or format characters, no line breaks."""
    return " ".join(clean_text(text or "").split())


def _break_word(font, word, width):
    """Pieces of a word too long for one line, each as long as fits (at least one character)."""
    pieces, current = [], ""
    for ch in word:
        if current and font.getlength(current + ch) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return pieces + [current]


def wrap(font, text, width):
    """Greedy word wrap to ``width`` pixels; a word wider than a line is broken between characters."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        *whole, current = _break_word(font, word, width)
        lines.extend(whole)
    if current:
        lines.append(current)
    return lines


def _ellipsize(font, line, width):
    while line and font.getlength(line + ELLIPSIS) > width:
        line = line[:-1].rstrip()
    return line + ELLIPSIS


def fit_title(title, width=WIDTH - 2 * MARGIN, height=TITLE_BOTTOM - TITLE_TOP, rtl=False):
    """(font, lines): the largest size at which the title fits the band, else the smallest, cut with an ellipsis."""
    for size in TITLE_SIZES:
        font = _font("Bold", size, rtl)
        lines = wrap(font, title, width)
        if len(lines) * size * LINE_HEIGHT <= height:
            return font, lines
    room = max(int(height // (size * LINE_HEIGHT)), 1)
    if len(lines) > room:
        lines = lines[: room - 1] + [_ellipsize(font, lines[room - 1], width)]
    return font, lines


def _fitting_font(weight, text, size, width, smallest, rtl=False):
    font = _font(weight, size, rtl)
    while size > smallest and font.getlength(text) > width:
        size -= 2
        font = _font(weight, size, rtl)
    return font


def render(title, count_line, site_name):
    """The PNG as bytes. Every argument is shown as given (already translated and formatted)."""
    title, count_line, site_name = _one_line(title), _one_line(count_line), _one_line(site_name)
    # The count line is always in the card's language; a title alone decides when there is none.
    rtl = _rtl_text(count_line) if any(unicodedata.bidirectional(c) in ("L", "R", "AL") for c in count_line) \
        else _rtl_text(title)
    # Lines start at the left margin, or end at the right one in a right-to-left card.
    start = WIDTH - MARGIN if rtl else MARGIN
    width = WIDTH - 2 * MARGIN
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)

    site_font = _fitting_font("Semibold", site_name, SITE_SIZE, width, 20, rtl)
    site_font.draw(draw, start, 64, site_name, SOFT_INK)
    draw.rectangle((start - 96, 88, start, 94) if rtl else (start, 88, start + 96, 94), fill=RULE)

    font, lines = fit_title(title, rtl=rtl)
    step = font.size * LINE_HEIGHT
    # Centred vertically in its band, so a short title does not hang under the site name.
    y = TITLE_TOP + ((TITLE_BOTTOM - TITLE_TOP) - len(lines) * step) / 2
    for line in lines:
        font.draw(draw, start, y + font.size, line, INK)
        y += step

    count_font = _fitting_font("Semibold", count_line, COUNT_SIZE, width, MIN_COUNT_SIZE, rtl)
    if count_font.getlength(count_line) > width:
        count_line = _ellipsize(count_font, count_line, width)
    count_font.draw(draw, start, HEIGHT - 64, count_line, INK)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
