"""The rules of sharing: what a share card says, how share links are built, which Mastodon servers we send to.

Nothing here loads anything from a third party: share links are plain links a
person chooses to follow, and the share image is drawn on this server.
"""
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from babel import Locale
from babel.core import get_global
from ..i18n import format_decimal
from flask_babel import force_locale, get_translations
from sqlalchemy import func, select

from .. import counting
from ..extensions import db
from ..letters.documents import counts_line
from ..models import LetterSignatory, SignatoryKind, SignatoryStatus
from . import image

# Bump when the drawing changes, so ETags and cached images from the old drawing are not reused.
IMAGE_VERSION = "1"
DESCRIPTION_MAX = 300


@dataclass(frozen=True)
class Card:
    """What a share image shows; equal cards draw the same image."""

    kind: str
    slug: str
    language: str
    title: str
    count_line: str
    site_name: str

    @property
    def etag(self):
        key = "\x1f".join((IMAGE_VERSION, self.kind, self.slug, self.language, self.title, self.count_line,
                           self.site_name))
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @property
    def alt(self):
        """The image's text alternative: exactly what it shows."""
        return f"{self.title} – {self.count_line}"


def shown_count(count):
    """The petition count drawn on a share image: exact below 1,000, then rounded down to three figures.

    A choice for caching: the image is re-drawn only when this number
    changes, so a viral petition at 50,000 signatures gets a new image every
    hundred signatures rather than on every one, and every worker process
    agrees on which image is current without sharing a clock. Rounding down
    never claims more than was signed, and the page itself shows the exact
    count.

    >>> [shown_count(n) for n in (0, 999, 1147, 12345, 999999)]
    [0, 999, 1140, 12300, 999000]
    """
    if count < 1000:
        return count
    step = 10 ** (len(str(count)) - 3)
    return count // step * step


def petition_count_line(count, language):
    """ "1,140 signatures", as a reader of ``language`` writes it (rounded with ``shown_count``)."""
    shown = shown_count(count)
    with force_locale(language):
        # The catalogue's own ngettext: Flask-Babel's fills %(num)s with the bare number, unformatted.
        template = get_translations().ngettext("%(num)s signature", "%(num)s signatures", shown)
    return template % {"num": format_decimal(shown, locale=language)}


def letter_count_line(letter, language):
    """ "161 organisations, 12 individuals": approved signatories, exact (they change only by moderation)."""
    rows = dict(db.session.execute(
        select(LetterSignatory.kind, func.count())
        .where(LetterSignatory.petition_id == letter.id, LetterSignatory.status == SignatoryStatus.APPROVED)
        .group_by(LetterSignatory.kind)
    ).all())
    with force_locale(language):
        # counts_line only takes the lengths of the lists it is given; the rows themselves are not needed here.
        return counts_line(range(rows.get(SignatoryKind.ORGANISATION, 0)),
                           range(rows.get(SignatoryKind.INDIVIDUAL, 0)), language)


def card_for(item, text, language, site_name):
    """The share card of a public petition or letter in ``language``, with its current count."""
    if item.is_letter:
        line = letter_count_line(item, language)
    else:
        line = petition_count_line(counting.total_count(item), language)
    return Card(kind=item.kind, slug=item.slug, language=language, title=text.title, count_line=line,
                site_name=site_name)


class ImageCache:
    """A small thread-safe LRU of drawn images, keyed on the card, so a popular card is drawn once per process."""

    def __init__(self, size=128, draw=image.render):
        self.size = size
        self.draw = draw
        self._images = OrderedDict()
        self._lock = threading.Lock()

    def png(self, card):
        """The card's PNG bytes, drawn now only if this process has not drawn it recently."""
        with self._lock:
            found = self._images.get(card)
            if found is not None:
                self._images.move_to_end(card)
                return found
        # Drawn outside the lock: two threads may draw the same card once each, but never wait on each other.
        png = self.draw(card.title, card.count_line, card.site_name)
        with self._lock:
            self._images[card] = png
            self._images.move_to_end(card)
            while len(self._images) > self.size:
                self._images.popitem(last=False)
        return png


def og_locale(language):
    """The Open Graph locale for a language: 'ru' → 'ru_RU', using CLDR's likely territory."""
    locale = Locale.parse(language)
    if not locale.territory:
        locale = Locale.parse(get_global("likely_subtags").get(locale.language, locale.language))
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


def description(text):
    """A preview's description: the summary (else the title), cut at a word near DESCRIPTION_MAX characters."""
    value = " ".join((text.summary or text.title or "").split())
    if len(value) <= DESCRIPTION_MAX:
        return value
    cut = value[: DESCRIPTION_MAX - 1].rsplit(" ", 1)[0]
    return cut + "\u2026"


def _query(**params):
    # %20 rather than '+': mail programs and some apps show a '+' literally.
    return urlencode(params, quote_via=quote)


def share_links(url, title, summary):
    """{service: href} for the plain share links; ``url`` is the page's absolute address."""
    body = f"{summary}\n\n{url}" if summary else url
    return {
        # RFC 6068: line breaks in a mailto body are written as CRLF.
        "email": "mailto:?" + _query(subject=title, body=body.replace("\n", "\r\n")),
        "telegram": "https://t.me/share/url?" + _query(url=url, text=title),
        "whatsapp": "https://wa.me/?" + _query(text=f"{title}\n{url}"),
        "x": "https://x.com/intent/post?" + _query(text=title, url=url),
    }


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def mastodon_server(typed):
    """The host name of a Mastodon server from what a person typed, or None if it is not one.

    People paste addresses and handles as often as names, so
    'https://mastodon.social/@ada', '@ada@mastodon.social' and 'Mastodon.Social'
    all give 'mastodon.social'. International names come back in their ASCII
    (punycode) form. IP addresses, ports, single-label names such as
    'localhost' and anything with other characters are refused.
    """
    value = (typed or "").strip()
    if not value or len(value) > 300:
        return None
    value = _SCHEME.sub("", value).split("/", 1)[0].rsplit("@", 1)[-1].rstrip(".").lower()
    try:
        host = value.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # 192.0.2.1 is an address, not a server's name
        return None
    return host


def mastodon_share_url(server, title, url):
    """The server's own share page, with the post prefilled; ``server`` must come from ``mastodon_server``."""
    return f"https://{server}/share?" + _query(text=f"{title}\n\n{url}")
