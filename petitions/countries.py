"""Recognising a country written by a person: in any language CLDR knows, by ISO code, or by a common alias.

The index of names is built once per process, on first use, from the CLDR data
Babel ships: every locale's territory names, folded (case, accents,
typographic quotes and dashes, punctuation and a leading "the" do not count).
Only real countries are indexed (ISO 3166 alpha-2 codes, as the signing form
offers them); CLDR's region names ("Africa", "Latin America") are recognised
as regions, which are kept as typed text. A name that means different
countries in different languages is never settled here: it comes back as a
list of suggestions for a person to choose from.
"""
import difflib
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from babel import localedata

from .country_aliases import ALIASES, REGIONS
from .i18n import CATALOGUE_LANGUAGES, NOT_COUNTRIES

# Languages whose names come first among suggestions and are tried for typing mistakes: every language
# the project has a catalogue for, whether or not the site turns it on.
FIRST_LANGUAGES = CATALOGUE_LANGUAGES
# Letters Arabic and Farsi keyboards write differently for the same sound: a name typed on an Arabic
# layout (ي ك) is the same name as in CLDR's Farsi data (ی ک).
ARABIC_VARIANTS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک"})
# Codes CLDR lists next to countries that are groupings a signatory can belong to.
REGION_CODES = frozenset({"EU", "EZ", "UN", "QO"})


@dataclass(frozen=True)
class Recognised:
    """One country read from text: its code, and how (``code``, ``name`` or ``alias``)."""

    code: str
    how: str
    language: str = ""   # for "name": the CLDR language whose name it is


@dataclass(frozen=True)
class Lookup:
    """What a piece of text names: one country, a region, or several possible countries."""

    kind: str                      # "country", "region" or "ambiguous"
    found: tuple = ()              # Recognised: one for "country", the choices in order for "ambiguous"


def fold(text):
    """The form of a name compared when recognising it: no case, accents, punctuation or leading "the"."""
    text = unicodedata.normalize("NFKD", text or "").translate(ARABIC_VARIANTS)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace(".", "")  # "Bosnia & Herzegovina", "U.S.A."
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


class _Index:
    def __init__(self):
        names = {}        # folded name → {code: first language that uses it}
        regions = set()   # folded region names
        identifiers = localedata.locale_identifiers()
        ordered = [lang for lang in FIRST_LANGUAGES if lang in identifiers]
        ordered += sorted(lang for lang in identifiers if lang not in FIRST_LANGUAGES)
        # Babel's private cache: if a later Babel renames it, the index still builds, only holding more memory.
        babel_cache = getattr(localedata, "_cache", {})
        for lang in ordered:
            cached = lang in babel_cache
            # Unmerged: only what this locale adds to its parent, which is all we need.
            territories = localedata.load(lang, merge_inherited=False).get("territories") or {}
            if not cached:
                # Babel keeps every locale it loads: a thousand of them would hold 150 MB for nothing.
                babel_cache.pop(lang, None)
            for code, name in territories.items():
                key = fold(name)
                if not key:
                    continue
                if code.isdigit() or code in REGION_CODES:
                    regions.add(key)
                elif len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES:
                    names.setdefault(key, {}).setdefault(code, lang)
        self.codes = frozenset(code for found in names.values() for code in found)
        self.names = {key: tuple(found.items()) for key, found in names.items()}
        self.aliases = {fold(alias): codes for alias, codes in ALIASES.items()}
        self.regions = frozenset(regions | {fold(region) for region in REGIONS})
        # Close-match candidates for typing mistakes: the names a list is mostly written in.
        close = {key: found for key, found in self.names.items()
                 if any(lang in FIRST_LANGUAGES for _code, lang in found)}
        close.update({key: tuple((code, "") for code in codes) for key, codes in self.aliases.items()})
        self.close = close
        # Misspellings keep their first letter far more often than not; comparing only within it keeps
        # a hostile 20,000-line paste from costing minutes.
        self.close_by_initial = {}
        for key in close:
            self.close_by_initial.setdefault(key[0], []).append(key)


_lock = threading.Lock()
_index = None


def index():
    """The name index, built on first use (about a second) and kept for the life of the process."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _Index()
    return _index


def look_up(text, codes_allowed=True):
    """What ``text`` names, or None. Aliases first, then ISO codes, then CLDR names in any language.

    ``codes_allowed=False`` skips two-letter codes, for words that happen to be one.
    """
    key = fold(text)
    if not key:
        return None
    data = index()
    if key in data.aliases:
        codes = data.aliases[key]
        found = tuple(Recognised(code, "alias") for code in codes)
        return Lookup("country" if len(found) == 1 else "ambiguous", found)
    if codes_allowed and len(key) == 2 and key.upper() in data.codes and text.strip().isalpha():
        return Lookup("country", (Recognised(key.upper(), "code"),))
    if key in data.names:
        found = tuple(Recognised(code, "name", lang) for code, lang in data.names[key])
        if len(found) == 1:
            return Lookup("country", found)
        return Lookup("ambiguous", tuple(sorted(found, key=_preference)))
    if key in data.regions:
        return Lookup("region")
    return None


def _preference(recognised):
    lang = recognised.language
    return (FIRST_LANGUAGES.index(lang) if lang in FIRST_LANGUAGES else len(FIRST_LANGUAGES), lang)


@lru_cache(maxsize=4096)
def close_matches(text, limit=3):
    """Countries whose name ``text`` might be a misspelling of, best first (for suggestions, never applied)."""
    data = index()
    folded, found = fold(text), []
    candidates = data.close_by_initial.get(folded[:1], [])
    for key in difflib.get_close_matches(folded, candidates, n=limit * 2, cutoff=0.8):
        for code, _lang in data.close[key]:
            if code not in found:
                found.append(code)
    return tuple(found[:limit])


def is_country(code):
    return code in index().codes
