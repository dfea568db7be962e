"""The signatures-per-day chart: inline SVG that needs no script and no inline style."""
import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from petitions.charts import daily_signatures_svg, nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
START = datetime.date(2026, 3, 1)


def series(counts, start=START):
    return [(start + datetime.timedelta(days=i), count) for i, count in enumerate(counts)]


def render(days, locale="en", **kwargs):
    kwargs.setdefault("title", "Signatures per day")
    kwargs.setdefault("description", "How many people signed on each day.")
    kwargs.setdefault("empty_text", "No signatures yet")
    return daily_signatures_svg(days, locale=locale, **kwargs)


def parse(markup):
    return ET.fromstring(str(markup))


def with_class(root, tag, name):
    return [el for el in root.iter(SVG + tag) if name in el.get("class", "").split()]


def bars(root):
    return with_class(root, "rect", "chart-bar")


def bar_title(bar):
    return bar.find(SVG + "title").text


def y_labels(root):
    return [el.text for el in with_class(root, "text", "chart-label-y")]


def x_labels(root):
    return with_class(root, "text", "chart-label-x")


def en_number(text):
    return int(text.replace(",", ""))


def test_result_is_markup_with_a_scalable_viewbox():
    markup = render(series([1, 2, 3]))
    assert isinstance(markup, Markup)
    root = parse(markup)
    assert root.tag == SVG + "svg"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert len(root.get("viewBox").split()) == 4


@pytest.mark.parametrize("length", [1, 2, 7, 30, 365, 730])
def test_one_bar_per_day_oldest_on_the_left(length):
    root = parse(render(series([i % 7 + 1 for i in range(length)])))
    found = bars(root)
    assert len(found) == length
    xs = [float(bar.get("x")) for bar in found]
    assert xs == sorted(xs)
    assert len(set(xs)) == length


def test_bar_heights_are_proportional_to_counts():
    root = parse(render(series([10, 20, 5, 40, 0, 37])))
    heights = [float(bar.get("height")) for bar in bars(root)]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.5)
    assert heights[3] == pytest.approx(2 * heights[1], abs=0.5)
    assert heights[0] == pytest.approx(2 * heights[2], abs=0.5)
    assert heights[3] > heights[5] > heights[1]
    # Every bar stands on the same baseline.
    bottoms = {round(float(bar.get("y")) + float(bar.get("height")), 1) for bar in bars(root)}
    assert len(bottoms) == 1


def test_zero_day_has_no_height_but_keeps_its_title():
    root = parse(render(series([4, 0, 8])))
    zero = bars(root)[1]
    assert float(zero.get("height")) == 0
    assert bar_title(zero) == "Mar 2, 2026: 0"


def test_every_bar_has_a_title_with_its_date_and_count():
    root = parse(render(series([1204, 7]), locale="en"))
    assert [bar_title(bar) for bar in bars(root)] == ["Mar 1, 2026: 1,204", "Mar 2, 2026: 7"]


@pytest.mark.parametrize("maximum", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 19, 26, 99, 101, 555, 999, 1001, 12345, 987654])
def test_y_ticks_are_nice_and_reach_the_maximum(maximum):
    root = parse(render(series([0, maximum // 2, maximum])))
    ticks = [en_number(text) for text in y_labels(root)]
    assert 3 <= len(ticks) <= 6
    assert ticks[0] == 0
    assert ticks[-1] >= maximum
    step = ticks[1]
    mantissa = step / 10 ** (len(str(step)) - 1)
    assert mantissa in (1, 2, 5)
    assert ticks == [i * step for i in range(len(ticks))]
    # Nice, but not wasteful: no tick above the one that first reaches the maximum,
    # except that a tiny maximum still gets the minimum of three ticks.
    assert ticks[-2] < maximum or len(ticks) == 3


def test_nice_ticks_examples():
    assert nice_ticks(1) == [0, 1, 2]
    assert nice_ticks(7) == [0, 2, 4, 6, 8]
    assert nice_ticks(12345) == [0, 5000, 10000, 15000]
    assert nice_ticks(40) == [0, 10, 20, 30, 40]


def test_y_labels_are_right_aligned_beside_gridlines():
    root = parse(render(series([3, 80])))
    labels = with_class(root, "text", "chart-label-y")
    assert {label.get("text-anchor") for label in labels} == {"end"}
    assert len({label.get("x") for label in labels}) == 1
    grid_lines = [line for group in with_class(root, "g", "chart-grid") for line in group.iter(SVG + "line")]
    assert {line.get("y1") for line in grid_lines} == {label.get("y") for label in labels[1:]}


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "12,345"), ("de", "12.345"), ("ru", "12\u00a0345"), ("be", "12\u00a0345")],
)
def test_counts_are_formatted_for_the_locale(locale, expected):
    root = parse(render(series([12345]), locale=locale))
    assert bar_title(bars(root)[0]).endswith(": " + expected)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "10,000"), ("de", "10.000"), ("ru", "10\u00a0000")],
)
def test_tick_labels_are_formatted_for_the_locale(locale, expected):
    root = parse(render(series([12345]), locale=locale))
    assert expected in y_labels(root)


def test_russian_ticks_use_a_non_breaking_space():
    labels = y_labels(parse(render(series([12345]), locale="ru")))
    assert any("\u00a0" in label or "\u202f" in label for label in labels)
    assert not any("," in label or "." in label for label in labels)


@pytest.mark.parametrize(
    ("locale", "last_label", "month_word"),
    [
        ("en", "Mar 12", re.compile(r"^[A-Z][a-z]{2} \d{1,2}$")),
        ("de", "12. März", re.compile(r"^\d{1,2}\. \w+\.?$")),
        ("ru", "12 мар.", re.compile(r"^\d{1,2} [а-я]+\.?$")),
        ("be", "12 сак", re.compile(r"^\d{1,2} [а-яіў]+\.?$")),
    ],
)
def test_date_labels_speak_the_locale(locale, last_label, month_word):
    year = series([1] * 365, start=datetime.date(2025, 3, 13))
    assert year[-1][0] == datetime.date(2026, 3, 12)
    labels = [label.text for label in x_labels(parse(render(year, locale=locale)))]
    assert labels[-1] == last_label
    assert all(month_word.match(label) for label in labels), labels


def test_german_and_russian_month_words_are_not_english():
    days = series([1] * 5, start=datetime.date(2026, 5, 1))
    de = [label.text for label in x_labels(parse(render(days, locale="de")))]
    ru = [label.text for label in x_labels(parse(render(days, locale="ru")))]
    assert de[-1] == "5. Mai"
    assert ru[-1] == "5 мая"


@pytest.mark.parametrize("locale", ["en", "ru", "be", "de"])
@pytest.mark.parametrize("length", [1, 2, 5, 14, 31, 90, 365, 730])
def test_date_labels_are_few_include_the_last_day_and_do_not_overlap(locale, length):
    days = series([2] * length)
    root = parse(render(days, locale=locale))
    labels = x_labels(root)
    assert 1 <= len(labels) <= 8
    last_bar = bars(root)[-1]
    last_centre = float(last_bar.get("x")) + float(last_bar.get("width")) / 2
    assert float(labels[-1].get("x")) == pytest.approx(last_centre, abs=0.01)
    view_width = float(root.get("viewBox").split()[2])
    font_size = 18
    # A generous width estimate (0.6 em a character) must still leave a gap.
    spans = []
    for label in labels:
        centre, half = float(label.get("x")), len(label.text) * 0.3 * font_size
        spans.append((centre - half, centre + half))
    assert spans[0][0] >= 0
    assert spans[-1][1] <= view_width
    for (_, right_edge), (left_edge, _) in zip(spans, spans[1:], strict=False):
        assert right_edge < left_edge


def test_a_year_has_at_most_eight_date_labels_and_the_last_day_is_labelled():
    days = series([1] * 365, start=datetime.date(2025, 1, 1))
    labels = x_labels(parse(render(days, locale="en")))
    assert len(labels) <= 8
    assert labels[-1].text == "Dec 31"


@pytest.mark.parametrize("days", [[], series([0]), series([0] * 30)], ids=["no days", "one zero day", "all zero"])
def test_nothing_to_show_shows_the_empty_text(days):
    root = parse(render(days, empty_text="Nobody has signed yet"))
    texts = [el.text for el in root.iter(SVG + "text")]
    assert texts == ["Nobody has signed yet"]
    (message,) = root.iter(SVG + "text")
    assert message.get("text-anchor") == "middle"
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    assert float(message.get("x")) == pytest.approx(width / 2)
    assert float(message.get("y")) == pytest.approx(height / 2)
    assert bars(root) == []


def test_a_chart_with_data_does_not_show_the_empty_text():
    root = parse(render(series([0, 1]), empty_text="Nobody has signed yet"))
    assert "Nobody has signed yet" not in [el.text for el in root.iter(SVG + "text")]


HOSTILE = "<script>alert('x')</script> & \"quoted\" 'single' </svg><g onload=\"x\">"


@pytest.mark.parametrize("days", [series([1, 2]), []], ids=["with data", "empty"])
def test_hostile_text_is_escaped(days):
    markup = render(days, title=HOSTILE, description=HOSTILE + " desc", empty_text=HOSTILE + " empty")
    assert "<script" not in markup
    assert "<g onload" not in markup
    root = parse(markup)
    assert root.find(SVG + "title").text == HOSTILE
    assert root.find(SVG + "desc").text == HOSTILE + " desc"
    assert not list(root.iter(SVG + "script"))
    assert all(not name.startswith("on") for el in root.iter() for name in el.attrib)
    if not days:
        assert [el.text for el in root.iter(SVG + "text")] == [HOSTILE + " empty"]


def test_id_prefix_must_be_a_plain_identifier():
    with pytest.raises(ValueError):
        render(series([1]), id_prefix='x" onload="alert(1)')
    with pytest.raises(ValueError):
        render(series([1]), id_prefix="two words")


@pytest.mark.parametrize("days", [series([5, 0, 1234]), []], ids=["with data", "empty"])
@pytest.mark.parametrize("locale", ["en", "ru", "be", "de"])
def test_no_inline_style_anywhere(days, locale):
    markup = render(days, locale=locale)
    root = parse(markup)
    assert not list(root.iter(SVG + "style"))
    assert all("style" not in el.attrib for el in root.iter())
    assert "style=" not in markup
    assert "<style" not in markup


def test_text_and_axis_follow_the_page_colour_and_classes_allow_restyling():
    root = parse(render(series([5, 9])))
    for name in ("chart-bar", "chart-grid", "chart-axis", "chart-label"):
        assert any(name in el.get("class", "").split() for el in root.iter()), name
    parents = {child: parent for parent in root.iter() for child in parent}

    def inherited(el, attribute):
        while el is not None:
            if attribute in el.attrib:
                return el.get(attribute)
            el = parents.get(el)
        return None

    assert {inherited(el, "fill") for el in with_class(root, "text", "chart-label")} == {"currentColor"}
    assert {inherited(el, "stroke") for el in with_class(root, "line", "chart-axis")} == {"currentColor"}


@pytest.mark.parametrize("days", [series([3, 1]), []], ids=["with data", "empty"])
def test_labelled_by_title_and_description(days):
    root = parse(render(days, id_prefix="daily-7"))
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    assert [by_id[i].tag for i in ids] == [SVG + "title", SVG + "desc"]
    assert by_id[ids[0]] is root.find(SVG + "title")
    assert by_id[ids[1]] is root.find(SVG + "desc")
    assert all(i.startswith("daily-7") for i in ids)


def test_two_charts_on_one_page_have_distinct_ids():
    first = parse(render(series([1]), id_prefix="week"))
    second = parse(render(series([1]), id_prefix="year"))
    first_ids = {el.get("id") for el in first.iter() if el.get("id")}
    second_ids = {el.get("id") for el in second.iter() if el.get("id")}
    assert first_ids and second_ids and not first_ids & second_ids


def test_accepts_any_sequence_and_does_not_need_an_app():
    days = tuple(series([2, 4]))
    assert parse(render(iter(days))) is not None
    assert len(bars(parse(render(days)))) == 2


def test_label_cap_holds_even_when_labels_would_fit():
    from petitions.charts import _labelled_days

    chosen = _labelled_days(365, slot=10, label_width=1)
    assert len(chosen) <= 8
    assert chosen[-1] == 364
    assert _labelled_days(1, slot=500, label_width=60) == [0]


@pytest.mark.parametrize("locale", ["en", "ru", "be", "de"])
def test_more_than_a_year_puts_the_year_in_date_labels(locale):
    two_years = series([3] * 730, start=datetime.date(2024, 3, 13))
    labels = [label.text for label in x_labels(parse(render(two_years, locale=locale)))]
    assert "2026" in labels[-1]
    assert all(re.search(r"20\d\d", label) for label in labels)
    assert len(set(labels)) == len(labels)
