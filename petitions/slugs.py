"""Web addresses made from names: "Free Maria!" → "free-maria". Imports nothing from the application.

The organiser's petition editor suggests addresses with it (petitions.organiser.forms), and
organisations get theirs from it when they are created (petitions.models.organisation).
"""
import re
import unicodedata

SLUG_LENGTH = 100

# Cyrillic letters of Russian, Belarusian and Ukrainian as their passports spell them in Latin
# (close to ICAO 9303); other scripts go through Unicode decomposition, and what is left is dropped.
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўєїґ",
    "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch _ y _ e iu ia i u ie i g".split(), strict=True,
))
_CYRILLIC.update({"ъ": "", "ь": ""})  # the hard and soft signs have no Latin letter


def slug_from(typed):
    """The web address a person most likely meant by ``typed``: "Free Maria!" → "free-maria".

    Lower case; Cyrillic spelled in Latin letters; accents dropped (é → e); every run of other
    characters becomes one hyphen; at most SLUG_LENGTH characters. "" when nothing usable is left
    (a title in Chinese, say), so the caller asks for an address instead.
    """
    spelled = "".join(_CYRILLIC.get(ch, ch) for ch in (typed or "").lower())
    ascii_only = unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    return slug[:SLUG_LENGTH].rstrip("-")


def first_free(base, taken):
    """``base``, or ``base-2``, ``base-3`` … : the first not in ``taken``, at most SLUG_LENGTH long."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[:SLUG_LENGTH - len(suffix)].rstrip("-") + suffix
    return candidate
