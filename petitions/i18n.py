"""Languages: which one a request is in, and locale-aware formatting.

Numbers, plural forms, country names and text direction all come from
Babel's CLDR data; nothing here formats by hand.
"""
import unicodedata
from functools import lru_cache

import pyuca
from babel import Locale, dates, numbers
from flask import current_app, g, request, url_for
import flask_babel
from flask_babel import LazyString, get_locale, get_translations, ngettext, refresh
from werkzeug.routing import BaseConverter

# Every language the project has a catalogue for, on or not: the letter import recognises country names
# typed in any of them whatever PETITIONS_LANGUAGES turns on, and the translations are kept for all.
CATALOGUE_LANGUAGES = ("en", "ru", "be", "de", "fr", "es", "uk", "pl", "lt", "fa")

# Codes in CLDR's territory list that are not countries a person lives in.
NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"})


def languages():
    """The interface languages this site offers, in configured order."""
    return current_app.config["LANGUAGES"]


def best_language(choices, fallback):
    """The language from ``choices`` the browser prefers, or ``fallback``."""
    return request.accept_languages.best_match(choices) or fallback


def select_locale():
    """Flask-Babel's locale selector: the URL prefix wins, then Accept-Language."""
    lang = g.get("lang")
    if lang:
        return lang
    return best_language(languages(), current_app.config["DEFAULT_LANGUAGE"])


def current_language():
    """The code of the locale Flask-Babel chose for this request: "en", "fa".

    Asked for many times a page; Babel rebuilds the name on every ``str``, so it is kept beside the locale
    object, as ``translations`` keeps the catalogue.
    """
    context = g.get("_flask_babel")
    locale = getattr(context, "babel_locale", None)
    if locale is None:
        return str(get_locale())
    kept = getattr(context, "petitions_language", None)
    if kept is None or kept[0] is not locale:
        kept = context.petitions_language = (locale, str(locale))
    return kept[1]


def translations():
    """The current locale's catalogue, looked up once per locale and request.

    Flask-Babel finds it anew for every string: three context look-ups and the
    locale's name rebuilt each time, a tenth of a signing request's CPU. The
    catalogue is kept beside the locale Flask-Babel chose, keyed by that very
    object, so ``force_locale`` (a new object) and ``refresh`` (the choice
    dropped) are both followed.
    """
    context = g.get("_flask_babel")
    locale = getattr(context, "babel_locale", None)
    if locale is None:
        return get_translations()  # chooses the locale, and remembers it for the rest of the request
    kept = getattr(context, "petitions_translations", None)
    if kept is None or kept[0] is not locale:
        kept = context.petitions_translations = (locale, get_translations())
    return kept[1]


@lru_cache(maxsize=64)
def text_direction(lang):
    """'rtl' for right-to-left scripts (Arabic, Farsi, Hebrew ...), else 'ltr'."""
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


@lru_cache(maxsize=64)
def language_name(lang):
    """The language's own name for itself, capitalised for a menu: 'Deutsch', 'Русский'."""
    name = Locale.parse(lang).get_display_name(lang) or lang
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=1)
def _collator():
    return pyuca.Collator()


@lru_cache(maxsize=64)
def countries(lang):
    """(ISO code, name) pairs for every country, named and sorted for a reader of ``lang``."""
    territories = Locale.parse(lang).territories
    pairs = [(code, name) for code, name in territories.items() if len(code) == 2 and code.isalpha()]
    pairs = [(code, name) for code, name in pairs if code not in NOT_COUNTRIES]
    key = _collator().sort_key
    return tuple(sorted(pairs, key=lambda pair: key(pair[1].casefold())))


@lru_cache(maxsize=1)
def country_codes():
    return frozenset(code for code, _ in countries("en"))


# The country a reader of a language most likely signs from, where one country
# clearly dominates the language's speakers. Taken from the page's language
# only, never from the IP address: where someone connects from is not ours to
# guess or record, and a VPN would make it wrong. Russian, English and the like
# span many countries and preselect nothing.
LANGUAGE_COUNTRY = {
    "be": "BY", "de": "DE", "uk": "UA", "pl": "PL", "lt": "LT", "lv": "LV", "et": "EE", "ka": "GE",
    "hy": "AM", "az": "AZ", "kk": "KZ", "uz": "UZ", "ky": "KG", "tg": "TJ", "tk": "TM", "fa": "IR",
    "tr": "TR", "cs": "CZ", "sk": "SK", "hu": "HU", "ro": "RO", "bg": "BG", "ja": "JP", "ko": "KR",
}


def default_country(lang):
    """The country to preselect on a sign form in ``lang``, or None where no one country dominates."""
    return LANGUAGE_COUNTRY.get(lang)


def language_choices(codes=None):
    """(code, own name) pairs for a language menu: ``codes``, or every interface language."""
    return [(code, language_name(code)) for code in (codes or languages())]


def language_in_ui(code):
    """The language's name in the interface language, for a label ("Text: Russian"), as CLDR writes it."""
    return Locale.parse(current_language()).languages.get(code) or language_name(code)


def country_name(code, lang):
    return Locale.parse(lang).territories.get(code, code)


# Babel knows which numbering system CLDR makes a locale's default (Farsi: "arabext") and that system's
# separators, but not its digits, and writes Latin digits whatever the system. CLDR's numeric systems are
# ten consecutive code points each; these are the defaults of locales a petition may be read in.
DIGIT_ZERO = {"arab": 0x0660, "arabext": 0x06F0, "beng": 0x09E6, "deva": 0x0966, "mymr": 0x1040, "tibt": 0x0F20}


@lru_cache(maxsize=64)
def _digit_table(lang):
    zero = DIGIT_ZERO.get(Locale.parse(lang).default_numbering_system)
    return str.maketrans("0123456789", "".join(chr(zero + i) for i in range(10))) if zero else None


def _locale(locale):
    return Locale.parse(locale) if locale else get_locale()


def native_digits(text, locale=None):
    """``text`` with Latin digits written in the locale's own digits, where CLDR gives it others (fa: ۱۲۳)."""
    loc = _locale(locale)
    table = _digit_table(str(loc)) if loc else None  # no locale outside a request: Babel's default, Latin
    return text.translate(table) if table else text


def format_decimal(value, format=None, locale=None):
    """A number as CLDR writes it for ``locale`` (default: the page's), in its default numbering system."""
    loc = _locale(locale)
    return native_digits(numbers.format_decimal(value, format, locale=loc, numbering_system="default"), loc)


def format_percent(value, format=None, locale=None):
    loc = _locale(locale)
    return native_digits(numbers.format_percent(value, format, locale=loc, numbering_system="default"), loc)


def format_date(value=None, format="medium", locale=None):
    """A date as CLDR writes it, with the locale's digits: Babel's date patterns always give Latin ones.

    The calendar stays Gregorian (Babel has no other), so Farsi dates read "۱ دسامبر ۲۰۲۶".
    """
    if locale is None:
        # Flask-Babel's, for the page's locale and time zone.
        return native_digits(flask_babel.format_date(value, format))
    return native_digits(dates.format_date(value, format, locale=locale), locale)


def number(value):
    """A whole number as a reader of the current language writes it: 1,000 / 1 000 / 1.000 / ۱٬۰۰۰."""
    return _number(value, current_language())


@lru_cache(maxsize=4096)
def _number(value, lang):
    # Babel parses the locale's pattern for every call; a counter page shows the same few numbers
    # (the count, the goal) to every reader, so each is written once per language.
    return format_decimal(value, locale=lang)


# Limits in form messages. Lazy, as forms are built at import, before any reader's language is known; each
# chooses the plural form for the limit and writes it as the reader does ("21 символа", "20.000 Zeichen").
def at_most_characters(limit):
    return LazyString(lambda: ngettext("At most %(count)s character.", "At most %(count)s characters.", limit,
                                       count=format_decimal(limit)))


def at_least_characters(minimum):
    return LazyString(lambda: ngettext("Use at least %(count)s character.", "Use at least %(count)s characters.",
                                       minimum, count=format_decimal(minimum)))


def at_most_demands(limit):
    return LazyString(lambda: ngettext("At most %(count)s demand.", "At most %(count)s demands.", limit,
                                       count=format_decimal(limit)))


def at_most_countries(limit):
    return LazyString(lambda: ngettext("At most %(count)s country.", "At most %(count)s countries.", limit,
                                       count=format_decimal(limit)))


def name_too_long(limit):
    return LazyString(lambda: ngettext("Your name can be at most %(count)s character long.",
                                       "Your name can be at most %(count)s characters long.", limit,
                                       count=format_decimal(limit)))


def city_too_long(limit):
    return LazyString(lambda: ngettext("The city can be at most %(count)s character long.",
                                       "The city can be at most %(count)s characters long.", limit,
                                       count=format_decimal(limit)))


def demand_too_long(limit):
    return LazyString(lambda: ngettext("Each demand can be at most %(count)s character long.",
                                       "Each demand can be at most %(count)s characters long.", limit,
                                       count=format_decimal(limit)))


class LanguageConverter(BaseConverter):
    """Matches only the configured interface languages, so /xx/... is a 404."""

    def __init__(self, url_map, *args):
        super().__init__(url_map)
        self.regex = "|".join(sorted(url_map.petitions_languages, key=len, reverse=True))


def init_app(app):
    app.url_map.petitions_languages = list(app.config["LANGUAGES"])
    # After Flask-Babel's own: the same calls, through the catalogue kept for the request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
    app.url_map.converters["lang"] = LanguageConverter

    @app.url_value_preprocessor
    def choose_language(endpoint, values):
        """A language prefix in the path decides. This runs before every before_request
        hook (CSRF included) and also when no route matched, so error pages know it too.

        Flask-Babel caches the locale on `g`, which outlives a request when an
        app context is shared, so every request starts from a clean slate.
        """
        refresh()
        prefix = request.path.split("/", 2)[1] if request.path.count("/") >= 2 else ""
        if prefix in app.config["LANGUAGES"]:
            g.lang = prefix
        else:
            g.pop("lang", None)
        if values:
            values.pop("lang", None)  # views never take the language as an argument

    @app.template_global()
    def page_alternates():
        """This page in every interface language, for pages that do not name their own."""
        rule = request.url_rule
        # Links with tokens are not pages to offer in other languages.
        if rule is None or "lang" not in rule.arguments or request.method != "GET" or "token" in rule.arguments:
            return []
        return [(code, url_for(request.endpoint, **{**(request.view_args or {}), "lang": code})) for code in languages()]

    @app.url_defaults
    def add_language(endpoint, values):
        if "lang" in values or not app.url_map.is_endpoint_expecting(endpoint, "lang"):
            return
        values["lang"] = g.get("lang") or str(get_locale())

    @app.context_processor
    def language_helpers():
        lang = current_language()
        return {
            "current_language": lang,
            "text_direction": text_direction(lang),
            "text_direction_of": text_direction,
            "language_name": language_name,
            # Public pages name a text's original language with it too, not only the organiser's.
            "language_in_ui": language_in_ui,
            "number": number,
        }


def recognise_country(text):
    """The ISO code for a country written as its code, a common alias or its name in a language CLDR knows.

    None when it is not recognised or could be more than one country; callers report that rather than guess.
    The letter import's index is the one authority on country names.
    """
    from .countries import look_up  # countries imports this module

    found = look_up(text or "")
    return found.found[0].code if found is not None and found.kind == "country" else None


# Scripts a reader of a language expects first, as CLDR's reordering for these locales does;
# within a script the Unicode collation order applies (diacritics in place, Belarusian і and ў too).
SCRIPT_FIRST = {"ru": "CYRILLIC", "be": "CYRILLIC", "uk": "CYRILLIC"}


def sort_key(text, lang=None):
    """Collation key for names as a reader of ``lang`` sorts them: their own script first."""
    text = (text or "").casefold()
    first = next((ch for ch in text if ch.isalpha()), "")
    own = SCRIPT_FIRST.get(lang)
    rank = 0 if own is None or unicodedata.name(first, "").startswith(own) else 1
    return (rank, _collator().sort_key(text))
