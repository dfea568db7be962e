"""Drawing the share image: a 1200×630 PNG with the title, the count and the site's name.

Pure drawing, no Flask: the caller hands in finished, translated strings. The
font is Source Sans Pro from the ``font-source-sans-pro`` wheel (the one the
PDF exports embed), so Cyrillic renders the same on every server and nothing
depends on the fonts installed on the host.
"""
import io
import os
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..exports.pdf import clean_text

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


@lru_cache(maxsize=32)
def _font(weight, size):
    return ImageFont.truetype(font_path(weight), size)


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


def fit_title(title, width=WIDTH - 2 * MARGIN, height=TITLE_BOTTOM - TITLE_TOP):
    """(font, lines): the largest size at which the title fits the band, else the smallest, cut with an ellipsis."""
    for size in TITLE_SIZES:
        font = _font("Bold", size)
        lines = wrap(font, title, width)
        if len(lines) * size * LINE_HEIGHT <= height:
            return font, lines
    room = max(int(height // (size * LINE_HEIGHT)), 1)
    if len(lines) > room:
        lines = lines[: room - 1] + [_ellipsize(font, lines[room - 1], width)]
    return font, lines


def _fitting_font(weight, text, size, width, smallest):
    font = _font(weight, size)
    while size > smallest and font.getlength(text) > width:
        size -= 2
        font = _font(weight, size)
    return font


def render(title, count_line, site_name):
    """The PNG as bytes. Every argument is shown as given (already translated and formatted)."""
    title, count_line, site_name = _one_line(title), _one_line(count_line), _one_line(site_name)
    width = WIDTH - 2 * MARGIN
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)

    site_font = _fitting_font("Semibold", site_name, SITE_SIZE, width, 20)
    draw.text((MARGIN, 64), site_name, font=site_font, fill=SOFT_INK, anchor="ls")
    draw.rectangle((MARGIN, 88, MARGIN + 96, 94), fill=RULE)

    font, lines = fit_title(title)
    step = font.size * LINE_HEIGHT
    # Centred vertically in its band, so a short title does not hang under the site name.
    y = TITLE_TOP + ((TITLE_BOTTOM - TITLE_TOP) - len(lines) * step) / 2
    for line in lines:
        draw.text((MARGIN, y + font.size), line, font=font, fill=INK, anchor="ls")
        y += step

    count_font = _fitting_font("Semibold", count_line, COUNT_SIZE, width, MIN_COUNT_SIZE)
    if count_font.getlength(count_line) > width:
        count_line = _ellipsize(count_font, count_line, width)
    draw.text((MARGIN, HEIGHT - 64), count_line, font=count_font, fill=INK, anchor="ls")

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
