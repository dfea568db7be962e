"""Public pages and counts: kept a moment in each process, and marked so proxies may keep them too.

During a spike most requests are people reading the petition and watching
its count. Rendering the page once per language every couple of seconds,
instead of once per reader, is what lets one small machine take a crowd;
the count readers see is at most ``PUBLIC_CACHE_SECONDS`` (this process, from
when the page was made) plus ``PUBLIC_MAX_AGE`` (a proxy or browser) old, a
few seconds in all.

Responses carry a weak ETag and Last-Modified, so a browser or a reverse
proxy asking again gets a bodiless 304 while nothing changed. The ETag
ignores the sign form's "served at" stamp (see signing/forms.py), which
changes with every rendering without changing what the page says; and
Last-Modified stays at the first rendering that produced that ETag.

Only plain GETs of pages that set no cookie are kept: nothing personal is
ever stored here. Supporters' forms carry no session token (forgery.py),
which is what makes a page with a form safe to share between readers.

A page is kept by its path and only the query parameters its view reads
(``public(query=...)``), each reduced to the values that change the page:
random query strings all land on the same entry, so they can neither miss
the cache on purpose nor fill it. When full, the least recently used entry
makes room, so a flood of new keys cannot empty it either.

The answer a page from this cache gets, with every header the application
adds after the view, is also kept whole in front of Flask (``FastPath``), so
that during a spike a reader costs about what a bare Flask app's request
costs: no request context, session, database session, language choice,
limiter or header hooks. Only what that way would give exactly the same
bytes is served there: a GET or HEAD with no cookie, no credentials, no
conditional or range header and no body, of a page whose view reads no
query parameter, kept only after the full way answered it with a 200 that
set no cookie, varied on nothing and counted against no rate limit (with
limits on, the count endpoint is counted per client, so it takes the full
way). It expires with the cached page it was taken from.
"""
import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps

from flask import current_app, make_response, request
from werkzeug.http import http_date

from .extensions import limiter

# The sign forms' hidden "served at" stamp: varies per rendering, means nothing to a cache.
_STAMP_RE = re.compile(rb'<input[^>]*\bname="served"[^>]*>')
MAX_ENTRIES = 2048


@dataclass(frozen=True)
class _Fact:
    value: object
    expires: float


@dataclass(frozen=True)
class _Entry:
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime
    expires: float


class ResponseCache:
    """A small per-process store of rendered responses (or facts), least recently used out first."""

    def __init__(self, max_entries=MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, now):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        return entry if entry is not None and entry.expires > now else None

    def previous(self, key):
        return self._entries.get(key)

    def put(self, key, entry):
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self):
        return len(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def clear(self):
        with self._lock:
            self._entries.clear()


_cache = ResponseCache()


def clear():
    """Forget every kept response and fact (the tests start from nothing)."""
    _cache.clear()
    _facts.clear()
    _served.clear()


_facts = ResponseCache()


def remembered(key, compute):
    """A public fact, such as a petition's title, computed at most every PUBLIC_CACHE_SECONDS in this process.

    For values every reader sees alike and that may be as old as a cached
    page; never for anything about one person.
    """
    keep = current_app.config["PUBLIC_CACHE_SECONDS"]
    if keep <= 0:
        return compute()
    now = time.monotonic()
    entry = _facts.get(key, now)
    if entry is None:
        entry = _Fact(compute(), now + keep)
        _facts.put(key, entry)
    return entry.value


def _validator(body):
    return hashlib.sha256(_STAMP_RE.sub(b"", body)).hexdigest()[:32]


def site_language(value):
    """A ``?lang=`` value as a view reads it: one of the site's languages, or None (as if absent)."""
    return value if value in current_app.config["LANGUAGES"] else None


def _key(query):
    """The cache key of this request: the path and the query parameters the view reads, normalised."""
    return (request.path, tuple((name, normalise(request.args.get(name))) for name, normalise in query.items()))


def public(view=None, *, query=None):
    """Mark a GET view public: kept for PUBLIC_CACHE_SECONDS here, PUBLIC_MAX_AGE by proxies, with validators.

    ``query`` maps each query parameter the view reads to a function that
    reduces its value to what changes the response (e.g. ``site_language``);
    every other parameter is left out of the cache key. Use as ``@public`` for
    a view that reads no query string, or ``@public(query={...})``.
    """
    if view is None:
        return lambda view: public(view, query=query)
    query = dict(query or {})

    @wraps(view)
    def wrapper(*args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        config = current_app.config
        keep = config["PUBLIC_CACHE_SECONDS"]
        key = _key(query)
        now = time.monotonic()
        entry = _cache.get(key, now) if keep > 0 else None
        if entry is None:
            response = make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.headers.get("Set-Cookie") or response.is_streamed:
                return response
            body = response.get_data()
            etag = _validator(body)
            before = _cache.previous(key)
            first_seen = before.last_modified if before is not None and before.etag == etag \
                else datetime.now(timezone.utc).replace(microsecond=0)
            # Fresh for ``keep`` from when it was made: on a busy machine a rendering can outlast ``keep``,
            # and timed from the request's start every page would then be born stale and never reused.
            entry = _Entry(body, response.content_type, etag, first_seen, time.monotonic() + keep)
            if keep > 0:
                _cache.put(key, entry)
        if keep > 0 and not query and not limiter.current_limits:
            # FastPath keeps the whole answer if what follows the view leaves it shareable.
            request.environ[_OFFER] = (entry.body, entry.expires)
        response = current_app.response_class(entry.body, content_type=entry.content_type)
        response.set_etag(entry.etag, weak=True)
        response.last_modified = entry.last_modified
        response.cache_control.public = True
        response.cache_control.max_age = config["PUBLIC_MAX_AGE"]
        return response.make_conditional(request)

    return wrapper


@dataclass(frozen=True)
class _Served:
    status: str
    headers: tuple
    body: bytes
    expires: float


_served = ResponseCache()
_OFFER = "petitions.caching.offer"
# Request headers that can change the answer, or belong to one person: such requests take the full way.
_PERSONAL = ("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH",
             "HTTP_IF_UNMODIFIED_SINCE", "HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_TRANSFER_ENCODING")
# Response headers that say the answer is not the same for everyone who asks for this path.
_NOT_SHARED = frozenset({"set-cookie", "vary"})
_date = [0, ""]  # the Date header of this second, made once a second rather than per answer


def _date_header():
    second = int(time.time())
    if _date[0] != second:
        _date[:] = [second, http_date(second)]
    return ("Date", _date[1])


class FastPath:
    """WSGI middleware: answers from ``_served`` what the application answered the same way a moment ago."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if (method not in ("GET", "HEAD") or environ.get("CONTENT_LENGTH") not in (None, "", "0")
                or any(name in environ for name in _PERSONAL)):
            return self.wsgi_app(environ, start_response)
        # The scheme is part of the key: HTTPS answers carry Strict-Transport-Security.
        key = (environ.get("wsgi.url_scheme"), environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""))
        served = _served.get(key, time.monotonic())
        if served is not None:
            start_response(served.status, [*served.headers, _date_header()])
            return [b""] if method == "HEAD" else [served.body]
        if method != "GET":
            return self.wsgi_app(environ, start_response)
        answer = {}

        def keep_answer(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep_answer)
        offer = environ.get(_OFFER)
        if (offer is not None and answer.get("status", "").startswith("200 ")
                and not any(name.lower() in _NOT_SHARED for name, _ in answer["headers"])):
            content, expires = offer
            headers = tuple((name, value) for name, value in answer["headers"] if name.lower() != "date")
            _served.put(key, _Served(answer["status"], headers, content, expires))
        return body


def init_app(app):
    """Put FastPath in front of the application (inside ProxyFix, which must come after, outermost)."""
    app.wsgi_app = FastPath(app.wsgi_app)
