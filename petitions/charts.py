"""Server-drawn charts for the organiser dashboard.

The dashboard has to work without JavaScript and under a Content-Security-Policy
that forbids inline styles, so charts are plain inline SVG built from
presentation attributes and class names. A stylesheet may restyle them through
the classes ``chart``, ``chart-bar``, ``chart-grid``, ``chart-axis`` and
``chart-label`` (CSS rules outrank presentation attributes).
"""
import math
import re

from babel.dates import format_skeleton
from markupsafe import Markup

from .i18n import format_date, format_decimal, native_digits

# The viewBox is scaled to the container's width, so every length below is in
# viewBox units, not pixels. 600 units wide with 18-unit text keeps labels near
# 10 px on a 360-px phone without becoming huge on a desktop column.
VIEW_WIDTH = 600
VIEW_HEIGHT = 240
FONT_SIZE = 18

# There are no font metrics on the server; this average advance (in em) is
# deliberately generous for Latin and Cyrillic so estimated widths err on the
# side of fewer labels rather than overlapping ones.
_CHAR_WIDTH_EM = 0.62
_LABEL_GAP = FONT_SIZE  # breathing room between neighbouring date labels
_TICK_LABEL_PAD = 8  # space between the y labels and the plot
_MAX_X_LABELS = 8
_MAX_Y_INTERVALS = 5  # five intervals = six ticks, counting zero
_MIN_Y_INTERVALS = 2  # so that even a maximum of 1 gets three ticks
_MAX_BAR_WIDTH = 40  # one or two days should not become slabs

BAR_FILL = "#0b5e3c"  # the site's accent colour, for pages whose stylesheet says nothing

_ID_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")


def daily_signatures_svg(days, *, locale, title, description, empty_text, id_prefix="chart"):
    """Return an inline SVG bar chart of signatures per day, as ``Markup``.

    ``days`` is a sequence of ``(datetime.date, int)`` pairs for consecutive
    days, oldest first, with gaps already filled with 0. ``locale`` is a Babel
    locale string used for every number and date drawn. ``title`` and
    ``description`` are translated strings that name and describe the image for
    assistive technology; ``empty_text`` replaces the bars when there is
    nothing to show (no days, or no signatures on any of them).

    ``id_prefix`` makes the ids of ``<title>`` and ``<desc>`` unique when a page
    holds more than one chart; it must be a plain identifier because it ends up
    inside ``aria-labelledby``, which is a space-separated list of ids.

    Counts below zero are drawn as zero.
    """
    if not _ID_PREFIX.match(id_prefix):
        raise ValueError(f"id_prefix must be a letter followed by letters, digits, '-' or '_': {id_prefix!r}")
    days = [(day, max(0, int(count))) for day, count in days]
    title_id = f"{id_prefix}-title"
    desc_id = f"{id_prefix}-desc"

    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMidYMid meet" '
            'aria-labelledby="{title_id} {desc_id}">'
        ).format(w=VIEW_WIDTH, h=VIEW_HEIGHT, title_id=title_id, desc_id=desc_id),
        Markup('<title id="{}">{}</title>').format(title_id, title),
        Markup('<desc id="{}">{}</desc>').format(desc_id, description),
    ]
    if not days or not any(count for _, count in days):
        parts.append(_empty_message(empty_text))
    else:
        parts.extend(_bar_chart(days, locale))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def nice_ticks(maximum):
    """Return y-axis tick values from 0 to at least ``maximum``.

    Steps are 1, 2 or 5 times a power of ten, never below 1 because counts are
    whole signatures, and the smallest step giving at most six ticks wins, so
    the bars use as much of the height as the rounding allows.
    """
    maximum = max(1, int(maximum))
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            step = multiple * magnitude
            intervals = -(-maximum // step)
            if intervals <= _MAX_Y_INTERVALS:
                intervals = max(intervals, _MIN_Y_INTERVALS)
                return [i * step for i in range(intervals + 1)]
        magnitude *= 10


def _bar_chart(days, locale):
    """Yield the gridlines, bars, axis and labels of a chart with data."""
    ticks = nice_ticks(max(count for _, count in days))
    tick_labels = [format_decimal(value, locale=locale) for value in ticks]
    # Beyond a year the same day and month can occur twice, so the axis labels
    # need the year to stay unambiguous, at the price of fewer of them.
    axis_date = _long_date if len(days) > 366 else _short_date
    axis_labels = [axis_date(day, locale) for day, _ in days]

    date_width = max(_text_width(text) for text in axis_labels)
    left = max(max(_text_width(text) for text in tick_labels) + _TICK_LABEL_PAD, date_width / 2)
    # The last day is always labelled and its label is centred on the last
    # bar, so the right margin must hold half a label.
    right = max(_TICK_LABEL_PAD, date_width / 2)
    top = FONT_SIZE * 0.6 + 2  # half a line, so the top tick label is not clipped
    bottom = VIEW_HEIGHT - FONT_SIZE - 12
    plot_width = VIEW_WIDTH - left - right
    plot_height = bottom - top
    slot = plot_width / len(days)
    top_value = ticks[-1]

    yield Markup('<g class="chart-grid" stroke="currentColor" stroke-opacity="0.2" stroke-width="1">')
    for value in ticks[1:]:
        y = bottom - plot_height * value / top_value
        yield Markup('<line x1="{}" y1="{}" x2="{}" y2="{}"/>').format(
            _num(left), _num(y), _num(left + plot_width), _num(y)
        )
    yield Markup("</g>")

    # Below a few units per day, gaps between bars would turn into a moiré of
    # hairlines, so dense charts become a continuous silhouette instead.
    bar_width = min(slot * 0.8 if slot >= 4 else slot, _MAX_BAR_WIDTH)
    yield Markup('<g fill="{}">').format(BAR_FILL)
    for index, (day, count) in enumerate(days):
        height = plot_height * count / top_value
        x = left + slot * index + (slot - bar_width) / 2
        label = "{}: {}".format(_long_date(day, locale), format_decimal(count, locale=locale))
        yield Markup('<rect class="chart-bar" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>').format(
            _num(x), _num(bottom - height), _num(bar_width), _num(height), label
        )
    yield Markup("</g>")

    yield Markup(
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-width="1"/>'
    ).format(_num(left), _num(bottom), _num(left + plot_width), _num(bottom))

    yield Markup('<g fill="currentColor" font-size="{}">').format(FONT_SIZE)
    for value, text in zip(ticks, tick_labels, strict=True):
        y = bottom - plot_height * value / top_value
        yield Markup(
            '<text class="chart-label chart-label-y" x="{}" y="{}" dy="0.35em" text-anchor="end">{}</text>'
        ).format(_num(left - _TICK_LABEL_PAD), _num(y), text)
    for index in _labelled_days(len(days), slot, date_width):
        x = left + slot * (index + 0.5)
        yield Markup(
            '<line class="chart-axis" x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="currentColor" stroke-width="1"/>'
        ).format(x=_num(x), y1=_num(bottom), y2=_num(bottom + 4))
        yield Markup('<text class="chart-label chart-label-x" x="{}" y="{}" text-anchor="middle">{}</text>').format(
            _num(x), _num(bottom + 6 + FONT_SIZE), axis_labels[index]
        )
    yield Markup("</g>")


def _labelled_days(count, slot, label_width):
    """Return the indices of the days that get a date label, oldest first.

    Counting back from the last day keeps the most recent day labelled, which
    is the one an organiser looks for; the stride is wide enough both for the
    label cap and for the estimated width of the longest label.
    """
    stride = max(1, math.ceil(count / _MAX_X_LABELS), math.ceil((label_width + _LABEL_GAP) / slot))
    return sorted(range(count - 1, -1, -stride))


def _empty_message(text):
    """Return the centred text shown in place of a chart with nothing to draw."""
    return Markup(
        '<text class="chart-label chart-empty" x="{x}" y="{y}" dy="0.35em" text-anchor="middle" '
        'fill="currentColor" font-size="{size}">{text}</text>'
    ).format(x=_num(VIEW_WIDTH / 2), y=_num(VIEW_HEIGHT / 2), size=FONT_SIZE, text=text)


def _short_date(day, locale):
    """Day and abbreviated month, in the order and words of ``locale``."""
    return _skeleton_date("MMMd", day, locale)


def _long_date(day, locale):
    """Day, abbreviated month and year, for tooltips and for axes spanning years."""
    return _skeleton_date("yMMMd", day, locale)


def _skeleton_date(skeleton, day, locale):
    """Format ``day`` by CLDR skeleton, falling back to the medium date format.

    Babel raises ``KeyError`` when a locale's data has no pattern close enough
    to the skeleton; the medium format exists for every locale.
    """
    try:
        return native_digits(format_skeleton(skeleton, day, locale=locale), locale)
    except KeyError:
        return format_date(day, format="medium", locale=locale)


def _text_width(text):
    """Estimate the drawn width of ``text`` in viewBox units."""
    return len(text) * FONT_SIZE * _CHAR_WIDTH_EM


def _num(value):
    """Write a coordinate compactly: two decimals at most, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
