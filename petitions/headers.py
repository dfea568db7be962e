"""The HTTP headers every response carries: content security policy, framing, HSTS."""
from flask import has_request_context, request


# Nothing is loaded from anywhere but this site: no CDN, fonts or analytics.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors {ancestors}; form-action 'self'; base-uri 'none'; object-src 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(ancestors="'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # see forgery.py: our own forms then carry a real Origin
    "Permissions-Policy": "interest-cohort=(), camera=(), microphone=(), geolocation=()",
}

# Framing. Only the widgets made for other sites (the embed blueprint) may be
# shown in a frame, by any site; every other page refuses, so no site can lay
# a sign form or an organiser page under a decoy (click-jacking).
FRAMEABLE_BLUEPRINTS = frozenset({"embed"})
FRAMEABLE_POLICY = CONTENT_SECURITY_POLICY.format(ancestors="*")

HSTS = "max-age=63072000"


def _header_set(frameable, secure):
    headers = dict(SECURITY_HEADERS)
    if frameable:
        # X-Frame-Options has no "any site" value; frame-ancestors alone says it.
        del headers["X-Frame-Options"]
        headers["Content-Security-Policy"] = FRAMEABLE_POLICY
    if secure:
        headers["Strict-Transport-Security"] = HSTS
    return tuple((name.lower(), name, value) for name, value in headers.items())


# Every response gets one of these four sets: worked out once, not per response.
_HEADER_SETS = {(frameable, secure): _header_set(frameable, secure)
                for frameable in (False, True) for secure in (False, True)}


def add_security_headers(response, secure=False, frameable=None):
    """Set the headers every response carries, unless a view set its own.

    ``frameable``: None decides by the request's blueprint.
    """
    if frameable is None:
        frameable = has_request_context() and request.blueprint in FRAMEABLE_BLUEPRINTS
    headers = response.headers
    # One look at what the view set, rather than a search of the headers for each name (Headers.setdefault).
    present = {name.lower() for name in headers.keys()}
    for lower, name, value in _HEADER_SETS[bool(frameable), bool(secure)]:
        if lower not in present:
            headers.add(name, value)
    return response
