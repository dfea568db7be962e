"""Plain text that must stay on one line: names and titles that end up in mail headers and CSV cells.

A bottom-layer helper (it imports nothing from the application), so forms,
services and the mail renderer can all use the same rule.
"""
import unicodedata

# Every character str.splitlines() breaks on. Python's email package refuses a header holding
# any of them ("Header values may not contain linefeed"), so one in a title would stop that
# petition's mail; in a name it would start a new line in a message or a CSV row.
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
_FOLD = str.maketrans({ch: " " for ch in LINE_BREAKS + "\t"})


# Invisible format characters (Unicode category Cf) that a name may keep: the zero-width
# non-joiner and joiner change how Persian, Indic and emoji text is drawn.
KEPT_FORMAT = frozenset("\u200c\u200d")


def _kept(ch):
    category = unicodedata.category(ch)
    return category != "Cc" and (category != "Cf" or ch in KEPT_FORMAT)


def single_line(value):
    """``value`` with every line break (and tab) turned into a space, other control characters dropped, trimmed.

    Control characters are never part of a name and PostgreSQL refuses NUL.
    Invisible format characters go too (all but KEPT_FORMAT): bidi overrides would
    let a name read backwards ("moc.live" shown as "evil.com") and zero-width ones
    hide a domain from the address check ("paypal", a zero-width space, ".com").
    Anything that is not a string is returned as it is (a form filter gets None).
    """
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value.translate(_FOLD) if _kept(ch)).strip()
