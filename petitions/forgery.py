"""Cross-site request forgery defence that survives cached pages and third-party frames.

Supporters' pages (a petition, its sign form, an open letter, the embeds)
are served from caches, shared by everyone for a few seconds, so they
cannot carry a token tied to one visitor's session; and inside another
site's ``<iframe>`` browsers often refuse cookies, so a session could not
hold one either. Supporters get no cookie at all.

What protects those forms instead is the browser's own statement of where a
request comes from. Every current browser sends ``Sec-Fetch-Site`` with a
form POST; older ones send ``Origin``. A request that says it comes from
another site is refused. One that carries neither header did not come from a
browser acting for a visitor (a mail program's one-click unsubscribe, curl,
a script): forging requests needs a victim's browser, so those pass, as they
pass any token scheme by fetching the page first.

The site sends ``Referrer-Policy: same-origin`` so that even a browser
without ``Sec-Fetch-Site`` gives its real ``Origin`` on our own forms (with
``no-referrer`` it would send ``Origin: null``), while other sites still
learn nothing of where their visitors came from.

Organisers' pages, which are never cached and need a session anyway, keep
Flask-WTF's session-bound tokens as well as this check.
"""
from urllib.parse import urlsplit

from flask import current_app, request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


class CrossSiteRequest(Exception):
    """A browser sent this request on behalf of another site."""


def _origin_of(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins():
    """The origins our own pages are served from: the configured one, and the one this request reached."""
    return {_origin_of(current_app.config["BASE_URL"]), f"{request.scheme}://{request.host}".lower()}


def is_cross_site(req):
    """True if a browser says this unsafe request comes from another site."""
    if req.method in SAFE_METHODS:
        return False
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site.strip().lower() not in ALLOWED_FETCH_SITES
    origin = req.headers.get("Origin")
    if origin is None:
        return False
    return origin.strip().lower() not in own_origins()


def init_app(app, exempt_endpoints=()):
    """Refuse cross-site unsafe requests everywhere, except at ``exempt_endpoints``."""
    exempt = set(exempt_endpoints)

    @app.before_request
    def refuse_cross_site_requests():
        if request.endpoint not in exempt and is_cross_site(request):
            raise CrossSiteRequest()
