"""The figures signing/_counter.html shows, and a kept rendering of it that a press fills in.

The counter's words depend on the language, the goal, the paper count and
the plural form of the count; its numbers on the count alone. A confirming
press shows a count nobody has seen yet, and rendering the template for it
cost a quarter of the press's instructions. So the thanks page renders it
once per petition, language, goal, paper count and plural category, with
holes for the numbers, keeps that like a page, and fills the holes per
press (``counter_for``). Ordinary pages render it as before.
"""
from functools import lru_cache
from typing import NamedTuple

from babel import Locale

from .. import caching
from ..counting import next_goal_for
from ..embed.script import plural_examples
from ..i18n import current_language, number

_RAW, _COUNT, _ONLINE = "\x00raw\x00", "\x00count\x00", "\x00online\x00"


class Figures(NamedTuple):
    """What the template writes for a count: as digits (``raw``), on the progress bar, as the reader writes
    it, and what of it is online; ``plural_n`` chooses the plural form of "N signatures"."""

    raw: object
    progress: object
    count: str
    online: str
    plural_n: int


def figures(count, next_goal, paper_count):
    """A count's figures, written out (the template's default)."""
    return Figures(count, min(count, next_goal), number(count), number(count - paper_count), count)


@lru_cache(maxsize=64)
def _plural_rule(lang):
    return Locale.parse(lang).plural_form


def counter_for(petition, count, render):
    """The counter for ``count`` (``petition`` a Petition or PetitionFacts), from a kept rendering with holes.

    ``render(next_goal, figures)`` renders signing/_counter.html. Its numbers hold no character HTML
    escapes, so they go into the holes as they are.
    """
    lang = current_language()
    next_goal = next_goal_for(count, petition.goal)
    # The catalogue's plural form for a number of the count's category is the one gettext picks for the
    # count (as petition.js relies on). CLDR shows every category below 200; should one be missing, render.
    example = plural_examples(lang).get(_plural_rule(lang)(count))
    if example is None:
        return render(next_goal, figures(count, next_goal, petition.paper_count))
    frame = caching.remembered(
        ("counter", petition.id, lang, next_goal, petition.paper_count, example),
        # next_goal_for is always above the count, so the bar shows the count itself.
        lambda: render(next_goal, Figures(_RAW, _RAW, _COUNT, _ONLINE, example)))
    return (frame.replace(_RAW, str(count)).replace(_COUNT, number(count))
            .replace(_ONLINE, number(count - petition.paper_count)))
