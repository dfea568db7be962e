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


def add_security_headers(response, secure=False, frameable=None):
    """Set the headers every response carries. ``frameable``: None decides by the request's blueprint."""
    if frameable is None:
        frameable = has_request_context() and request.blueprint in FRAMEABLE_BLUEPRINTS
    headers = dict(SECURITY_HEADERS)
    if frameable:
        # X-Frame-Options has no "any site" value; frame-ancestors alone says it.
        del headers["X-Frame-Options"]
        headers["Content-Security-Policy"] = FRAMEABLE_POLICY
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    if secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
