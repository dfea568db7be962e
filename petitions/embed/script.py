"""What petition.js reads from the page, already translated here so the script needs no catalogue.

Texts carry holes such as ``{count}``, which the script fills with numbers
formatted by the browser's Intl.NumberFormat in the page's language; the
server formats the same numbers with Babel, and both draw on CLDR.
"""
import functools
import json
from functools import lru_cache

from babel import Locale
from flask_babel import get_translations
from flask_babel import gettext as _
from jinja2.utils import htmlsafe_json_dumps

from ..i18n import current_language


@lru_cache(maxsize=64)
def plural_examples(lang):
    """One whole number for each plural category ``lang`` uses for whole numbers: {'one': 1, 'few': 2, 'many': 0}.

    The script picks a text by Intl.PluralRules' category; rendering the
    catalogue's plural form for a number of that category gives the text
    gettext itself would choose.
    """
    rule = Locale.parse(lang).plural_form
    examples = {}
    for n in range(200):  # every category CLDR has for whole numbers appears below 200
        examples.setdefault(rule(n), n)
    return examples


def counter_texts():
    """The counter's texts (see signing/_counter.html), with holes for the script's numbers.

    The same for every page in one language, so composed once per language and process.
    """
    language = current_language()
    texts = _counter_texts.get(language)
    if texts is None:
        texts = _counter_texts[language] = _compose_counter_texts()
    return texts


_counter_texts = {}
_counter_texts_json = {}


def counter_texts_json():
    """``counter_texts()`` as the JSON a data- attribute carries (what ``|tojson`` writes), once per language."""
    language = current_language()
    written = _counter_texts_json.get(language)
    if written is None:
        written = _counter_texts_json[language] = htmlsafe_json_dumps(
            counter_texts(), dumps=functools.partial(json.dumps, sort_keys=True))
    return written


def _compose_counter_texts():
    # Flask-Babel's ngettext always fills %(num)s with the number itself, so ask the catalogue directly.
    translations = get_translations()
    signatures = {
        category: translations.ungettext("%(num)s signature", "%(num)s signatures", n) % {"num": "{num}"}
        for category, n in plural_examples(current_language()).items()
    }
    return {
        "of": _("%(count)s of %(goal)s", count="{count}", goal="{goal}"),
        "signatures": signatures,
        "next_goal": _("Next goal: %(goal)s", goal="{goal}"),
        "paper": _("%(online)s online + %(paper)s on paper", online="{online}", paper="{paper}"),
    }


def sign_form_messages():
    """The sign form's messages for what the browser can check before sending; the server says the same words.

    Keep in step with signing.forms.SignForm: a test compares them with the server's errors.
    """
    return {
        "summary": _("Please correct the following:"),
        "fields": {
            "full_name": {"required": _("Please enter your name.")},
            "email": {"required": _("Please enter your email address."),
                      "email": _("Please enter a valid email address, like name@example.org.")},
            "country": {"required": _("Please choose your country.")},
        },
    }
