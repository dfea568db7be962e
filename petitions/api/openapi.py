"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Written by hand as Python data, next to the views it describes, and checked
against them by tests (tests/api/test_openapi.py runs Schemathesis against
the application with this document). Change the two together.
"""
import copy

from ..models.petition import SLUG_RE, PetitionKind, PetitionStatus
from ..models.timeline import Outcome, TimelineKind
from ..timeline import MAX_SHOWN as TIMELINE_MAX

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
# Far beyond any real site (100 million petitions at the largest page size), and
# small enough that the row offset stays an ordinary integer in every database.
MAX_PAGE = 1_000_000
PREFLIGHT_MAX_AGE = 86400
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# Headers a script on another site may read besides the always-readable ones.
EXPOSED_HEADERS = "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset"

DESCRIPTION = """\
Read-only JSON about the public petitions and open letters of this site: what they are called,
in which languages they are written, how many people have signed, the goal they are climbing
towards, and the signatories an open letter lists. Drafts are never shown.

**Stability.** `/api/v1` never changes incompatibly: no field, parameter or path is removed or
renamed, and no field changes its type or meaning. New fields, new optional parameters and new
paths may be added; this document then lists them. It describes exactly what this version of the
software answers (objects forbid properties it does not list, so tests catch any undocumented
change), but clients should ignore properties they do not know. An incompatible change would
come as `/api/v2`, with `/api/v1` kept alongside it.

**Browsers.** Every answer under `/api/v1` carries `Access-Control-Allow-Origin: *`, so a page on
any site may read it with `fetch()`. No cookies or credentials are used or accepted. A preflight
(`OPTIONS`) is answered with 204 and may be cached for a day. Every `GET` also answers `HEAD`.

**Limits.** Requests are limited per client, counted apart for each path (300 a minute unless the
site says otherwise). Past the limit the answer is 429 with `Retry-After` (seconds); the
`X-RateLimit-*` headers say where a client stands. Counts may be cached for 2 seconds.

**Errors** are JSON: `{"error": code, "message": English text, "status": HTTP status}`. Programs
should act on `error` (a stable code such as `not_found`, `bad_parameter` or `rate_limited`); the
message is for the developer and may change.
"""


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _object(properties, required=None, description=None):
    """A closed JSON object: ``required`` defaults to every property."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


URL = {"type": "string", "format": "uri"}
COUNT = {"type": "integer", "minimum": 0}
GOAL = {"type": "integer", "minimum": 1, "maximum": 1_000_000_000,
        "description": "The organiser's goal."}
NEXT_GOAL = {"type": "integer", "minimum": 1,
             "description": "The goal shown: the organiser's until it is reached, then the next round number "
                            "above the count (2,000, 5,000, 10,000 ...)."}
SIGNATURE_COUNT = {"type": "integer", "minimum": 0,
                   "description": "Everyone who has signed: confirmed online signatures plus those on paper."}
LANGUAGE = {"type": "string", "minLength": 2, "examples": ["en"]}
ISO_COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2 code."}
# Where a signatory is from: none (an international organisation), one, or several countries, and a region.
PLACE = {
    "country": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$",
                "description": "The first of `countries` (ISO 3166-1 alpha-2), or null when there is none."},
    "country_name": {"type": ["string", "null"], "description": "That country's name in `language`, or null."},
    "countries": {"type": "array", "items": ISO_COUNTRY, "description": "Every country given, in order; may be empty."},
    "country_names": {"type": "array", "items": {"type": "string"}, "description": "Their names in `language`."},
    "region": {"type": "string", "description": "A region that is not a country (\"Asia-Pacific\"), as typed; may be empty."},
}

SCHEMAS = {
    "Slug": {
        "type": "string",
        "pattern": SLUG_RE.pattern,
        "minLength": 1,
        "maxLength": 100,
        "description": "The petition's address name: lowercase letters, digits and inner hyphens.",
    },
    "Kind": {"type": "string", "enum": list(PetitionKind.ALL),
             "description": "`letter` is an open letter co-signed by organisations and individuals."},
    "Status": {"type": "string", "enum": [s for s in PetitionStatus.ALL if s in PetitionStatus.PUBLIC],
               "description": "Only `open` takes signatures. Drafts are never shown."},
    "Languages": {"type": "array", "items": LANGUAGE, "minItems": 1, "uniqueItems": True,
                  "description": "Languages the text is written in, the primary language first."},
    "PetitionSummary": _object({
        "slug": _ref("Slug"),
        "kind": _ref("Kind"),
        "status": _ref("Status"),
        "title": {"type": "string", "description": "The title in `lang`, else in the primary language."},
        "title_language": {**LANGUAGE, "description": "The language `title` is in."},
        "languages": _ref("Languages"),
        "goal": GOAL,
        "signature_count": SIGNATURE_COUNT,
        "next_goal": NEXT_GOAL,
        "links": _object(
            {
                "self": {**URL, "description": "This petition in full."},
                "count": {**URL, "description": "Its count alone, cheap to poll."},
                "signatories": {**URL, "description": "An open letter's signatories (letters only)."},
                "web": {**URL, "description": "The page where people read and sign it."},
            },
            required=["self", "count", "web"],
        ),
    }),
    "PetitionPage": _object({
        "items": {"type": "array", "items": _ref("PetitionSummary"), "maxItems": MAX_PER_PAGE},
        "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {"type": "integer", "minimum": 0, "description": "Public petitions and letters on every page."},
        "links": _object({
            "self": URL,
            "next": {"type": ["string", "null"], "format": "uri", "description": "null on the last page."},
            "prev": {"type": ["string", "null"], "format": "uri",
                     "description": "null on the first page; past the end, the last page."},
        }),
    }),
    "Petition": _object({
        "slug": _ref("Slug"),
        "kind": _ref("Kind"),
        "status": _ref("Status"),
        "goal": GOAL,
        "next_goal": NEXT_GOAL,
        "signature_count": SIGNATURE_COUNT,
        "online_count": {**COUNT, "description": "Confirmed online signatures."},
        "paper_count": {**COUNT, "description": "Signatures collected on paper."},
        "languages": _ref("Languages"),
        "title": {"type": "string", "description": "The title in `lang`, else in the primary language."},
        "title_language": {**LANGUAGE, "description": "The language `title` is in."},
        "updated_at": {"type": "string", "format": "date-time", "pattern": "Z$",
                       "description": "When the petition last changed, in UTC."},
        "timeline": _ref("Timeline"),
    }),
    "Timeline": _object({
        "outcome": {"oneOf": [_ref("TimelineEntry"), {"type": "null"}],
                    "description": "The newest entry of kind `outcome`: how the campaign stands; null before one."},
        "entries": {"type": "array", "items": _ref("TimelineEntry"), "maxItems": TIMELINE_MAX,
                    "description": "What happened after the signing, newest first."},
    }, description="Delivery, responses and outcome, as the petition's page shows them."),
    "TimelineEntry": _object({
        "kind": {"type": "string", "enum": list(TimelineKind.ALL),
                 "description": "`delivery`: handed over to `who`; `response`: `who` answered; `outcome`: see `outcome`."},
        "date": {"type": "string", "format": "date", "description": "The day it happened."},
        "language": {**LANGUAGE, "description": "The language of `who`, `text` and the photo's `alt`: `lang`, "
                                                "else the petition's primary language, else another."},
        "who": {"type": "string", "description": "Who received the petition or answered it (public office "
                                                "holders); empty for an outcome."},
        "text": {"type": "string", "description": "The response, or the organisers' note, in Markdown; may be empty."},
        "outcome": {"type": ["string", "null"], "enum": [*Outcome.ALL, None],
                    "description": "With kind `outcome`: `won`, `partly_won`, `no_answer` (see `days`) or `closed`."},
        "days": {"type": ["integer", "null"], "minimum": 0,
                 "description": "With `no_answer`: days from the first delivery to `date`."},
        "photo": {"oneOf": [_object({
            "url": {**URL, "description": "A JPEG served by this site, its metadata removed."},
            "alt": {"type": "string", "description": "What the photo shows, in `language`."},
            "width": {"type": "integer", "minimum": 1},
            "height": {"type": "integer", "minimum": 1},
            "size": {**COUNT, "description": "Bytes."},
        }), {"type": "null"}], "description": "A delivery photo, or null."},
        "pdf": {"oneOf": [_object({
            "url": {**URL, "description": "The response as a PDF, served by this site as a download."},
            "size": {**COUNT, "description": "Bytes."},
        }), {"type": "null"}], "description": "A response's PDF, or null."},
    }),
    "Count": _object({
        "signature_count": SIGNATURE_COUNT,
        "online_count": {**COUNT, "description": "Confirmed online signatures."},
        "paper_count": {**COUNT, "description": "Signatures collected on paper."},
        "goal": GOAL,
        "next_goal": NEXT_GOAL,
    }),
    "Organisation": _object({
        "position": {"type": "integer", "minimum": 1, "description": "Its number in the public list."},
        "name": {"type": "string"},
        **PLACE,
        "kind": {"const": "organisation"},
    }),
    "Individual": _object({
        "position": {"type": "integer", "minimum": 1, "description": "Their number in the public list."},
        "name": {"type": "string"},
        "title": {"type": "string", "description": "What they are, as they gave it; may be empty."},
        **PLACE,
        "kind": {"const": "individual"},
    }),
    "Signatories": _object({
        "slug": _ref("Slug"),
        "language": {**LANGUAGE, "description": "The language of the country names and of the order of names."},
        "organisations": {"type": "array", "items": _ref("Organisation")},
        "individuals": {"type": "array", "items": _ref("Individual")},
    }),
    "Error": _object(
        {
            "error": {"type": "string", "pattern": "^[a-z_]+$",
                      "description": "A stable code: `bad_parameter`, `not_found`, `rate_limited` ..."},
            "message": {"type": "string", "description": "English, for the developer; may change."},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "parameter": {"type": "string", "description": "With `bad_parameter`: the parameter at fault."},
        },
        required=["error", "message", "status"],
    ),
}

HEADERS = {
    "AllowAnyOrigin": {
        "description": "Any site may read this answer from a browser.",
        "required": True,
        "schema": {"type": "string", "const": "*"},
    },
    "RetryAfter": {
        "description": "Seconds to wait before the next request.",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    },
    "CacheControl": {
        "description": "How long a cache may keep the answer.",
        "schema": {"type": "string"},
    },
}


def _json(schema, description, headers=None):
    response = {
        "description": description,
        "headers": {"Access-Control-Allow-Origin": {"$ref": "#/components/headers/AllowAnyOrigin"},
                    **(headers or {})},
        "content": {"application/json": {"schema": schema}},
    }
    return response


RESPONSES = {
    "BadParameter": _json(_ref("Error"), "A query parameter is malformed or out of range (`bad_parameter`)."),
    "NotFound": _json(_ref("Error"), "No public petition has this slug (`not_found`)."),
    "TooManyRequests": _json(_ref("Error"), "This client sent too many requests (`rate_limited`).",
                             {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}),
}

PARAMETERS = {
    "Slug": {
        "name": "slug", "in": "path", "required": True, "schema": _ref("Slug"),
        "description": "The petition's slug, as in its address `/p/{slug}`.",
        "examples": {PetitionKind.PETITION: {"value": "letters-behind-bars"},
                     PetitionKind.LETTER: {"value": "free-all-political-prisoners"}},
    },
    "Lang": {
        "name": "lang", "in": "query", "required": False, "schema": {"type": "string"},
        "description": "A language of the site (such as `en`, `ru`, `be`, `de`). Texts missing in it, "
                       "and languages the site does not have, fall back to the petition's primary language.",
        "examples": {"russian": {"value": "ru"}},
    },
    "Page": {
        "name": "page", "in": "query", "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "description": "Which page, from 1. A page past the end is empty. Anything but a whole number in "
                       "range is refused with 400.",
    },
    "PerPage": {
        "name": "per_page", "in": "query", "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        "description": f"How many on a page, from 1 to {MAX_PER_PAGE}; more is refused with 400.",
    },
}


def _param(name):
    return {"$ref": f"#/components/parameters/{name}"}


def _response(name):
    return {"$ref": f"#/components/responses/{name}"}


NOT_MODIFIED = {
    "description": "Nothing changed since the ETag sent in If-None-Match (or the date in If-Modified-Since); no body.",
}


def _get(operation_id, summary, description, parameters, ok, not_found=True, bad_parameter=False,
         revalidates=False):
    responses = {"200": ok}
    if revalidates:
        responses["304"] = NOT_MODIFIED
    if bad_parameter:
        responses["400"] = _response("BadParameter")
    if not_found:
        responses["404"] = _response("NotFound")
    responses["429"] = _response("TooManyRequests")
    return {"operationId": operation_id, "summary": summary, "description": description,
            "parameters": parameters, "responses": responses}


def _preflight(parameters):
    return {
        "summary": "CORS preflight",
        "description": "What a browser asks before a cross-site request; never rate-limited.",
        "parameters": parameters,
        "responses": {"204": {
            "description": "Reads are allowed from any origin.",
            "headers": {
                "Access-Control-Allow-Origin": {"$ref": "#/components/headers/AllowAnyOrigin"},
                "Access-Control-Allow-Methods": {
                    "required": True, "schema": {"type": "string", "const": ALLOWED_METHODS}},
                "Access-Control-Max-Age": {
                    "required": True, "schema": {"type": "integer", "const": PREFLIGHT_MAX_AGE}},
            },
        }},
    }


PATHS = {
    "/petitions": {
        "get": _get(
            "listPetitions", "Public petitions and letters",
            "Newest first, a page at a time. Each has its title in `lang`, its count and the goal it is "
            "climbing towards, and links to the rest.",
            [_param("Page"), _param("PerPage"), _param("Lang")],
            _json(_ref("PetitionPage"), "One page.", {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}}),
            not_found=False, bad_parameter=True,
        ),
        "options": _preflight([]),
    },
    "/petitions/{slug}": {
        "get": _get(
            "getPetition", "One petition or letter", "Its title in `lang`, counts and goal.",
            [_param("Slug"), _param("Lang")],
            _json(_ref("Petition"), "The petition.", {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}}),
            revalidates=True,
        ),
        "options": _preflight([_param("Slug")]),
    },
    "/petitions/{slug}/count": {
        "get": _get(
            "getCount", "Its count",
            "Small and cheap: made for counters that poll. Cacheable for a few seconds (see Cache-Control); "
            "send the ETag back in If-None-Match to get a bodiless 304 while it has not changed.",
            [_param("Slug")],
            _json(_ref("Count"), "The count.", {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}}),
            revalidates=True,
        ),
        "options": _preflight([_param("Slug")]),
    },
    "/petitions/{slug}/signatories": {
        "get": _get(
            "getSignatories", "An open letter's signatories",
            "The organisations and individuals an organiser approved, numbered in the letter's public "
            "order, with country names in `lang`. 404 for a petition that is not an open letter.",
            [_param("Slug"), _param("Lang")], _json(_ref("Signatories"), "Both lists."),
        ),
        "options": _preflight([_param("Slug")]),
    },
    "/openapi.json": {
        "get": _get(
            "getOpenAPI", "This document", "The OpenAPI 3.1 description of /api/v1.", [],
            _json({"type": "object", "required": ["openapi", "info", "paths"]}, "This document.",
                  {"Cache-Control": {"$ref": "#/components/headers/CacheControl"}}),
            not_found=False,
        ),
        "options": _preflight([]),
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Petitions JSON API",
        # 1.0 had one petition, its count and a letter's signatories; 1.1 added the list;
        # 1.2 added a signatory's list of countries and region (``country`` stays: the first, or null).
        # Raise the minor number whenever something is added.
        "version": "1.2.0",
        "summary": "Public petitions, open letters, their counts and signatories, read-only.",
        "description": DESCRIPTION,
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    },
    # Relative to where this document is served, so it is right on every site.
    "servers": [{"url": "/api/v1"}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "parameters": PARAMETERS,
        "responses": RESPONSES,
        "headers": HEADERS,
    },
}


def document():
    """The OpenAPI document, as a fresh copy a caller may change."""
    return copy.deepcopy(DOCUMENT)
