"""Read-only JSON views of public petitions, their OpenAPI description, and CORS for both."""
from flask import Blueprint, abort, current_app, jsonify, request

from .. import caching, counting, timeline
from ..errors import api_error
from ..links import external_url  # on BASE_URL, never the request's Host, which a shared cache would keep
from ..extensions import csrf, limiter
from ..texts import petition_text, public_counts
from ..lookups import petition_or_404
from ..ratelimits import client_key, configured_limit
from . import openapi
from .services import public_page

PREFIX = "/api/v1"

bp = Blueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)
# Preflights (OPTIONS) are not counted: a browser sends one before many of its
# reads, and it costs no database work.
limiter.limit(configured_limit("RATELIMIT_API"), key_func=client_key, methods=["GET", "HEAD"])(bp)


class BadParameter(Exception):
    """A query parameter the API cannot use; answered with 400 and the parameter's name."""

    def __init__(self, name, message):
        super().__init__(message)
        self.name = name
        self.message = message


@bp.errorhandler(BadParameter)
def bad_parameter(error):
    return api_error(400, "bad_parameter", error.message, parameter=error.name)


def _int_arg(name, default, maximum):
    """A whole number from 1 to ``maximum`` in the query string, or ``default`` when it is absent."""
    raw = request.args.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() would also take " 5", "+5", "1_0" and other scripts' digits.
    # Ten digits or more is out of range anyway, and never reaches int() (which refuses very long numbers).
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= maximum:
        raise BadParameter(name, f"{name} must be a whole number from 1 to {maximum}.")
    return int(raw)


def _language(petition):
    """The language asked for with ``?lang=`` if the site has it, else the petition's primary language."""
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else petition.primary_language


def _summary(petition, count, lang):
    """A petition as the list shows it; ``lang`` is a language of the site, or None for each one's primary."""
    text, _ = petition_text(petition, lang or petition.primary_language)
    # url_for leaves out a query value of None, so links carry ?lang= only when it was asked for.
    links = {"self": external_url("api.petition", slug=petition.slug, lang=lang),
             "count": external_url("api.count", slug=petition.slug)}
    if petition.is_letter:
        links["signatories"] = external_url("api.signatories", slug=petition.slug, lang=lang)
        page = "letters.letter"
    else:
        page = "signing.petition"
    if lang:
        links["web"] = external_url(page, lang=lang, slug=petition.slug)
    else:
        # /p/<slug> sends each reader on to the text in their own language.
        links["web"] = external_url("signing.petition_redirect", slug=petition.slug)
    return {
        "slug": petition.slug,
        "kind": petition.kind,
        "status": petition.status,
        "title": text.title,
        "title_language": text.language,
        "languages": petition.languages,
        "goal": petition.goal,
        "signature_count": count,
        "next_goal": counting.next_goal_for(count, petition.goal),
        "links": links,
    }


@bp.get("/petitions")
def petitions():
    """Public petitions and letters, newest first, a page at a time."""
    page = _int_arg("page", 1, openapi.MAX_PAGE)
    per_page = _int_arg("per_page", openapi.DEFAULT_PER_PAGE, openapi.MAX_PER_PAGE)
    lang = request.args.get("lang")
    lang = lang if lang in current_app.config["LANGUAGES"] else None
    rows, counts, total = public_page(page, per_page)
    last_page = max(1, -(-total // per_page))

    def page_url(number):
        return external_url("api.petitions", page=number, per_page=per_page, lang=lang)

    response = jsonify(
        items=[_summary(p, counts[p.id], lang) for p in rows],
        page=page,
        per_page=per_page,
        total=total,
        links={
            "self": page_url(page),
            "next": page_url(page + 1) if page < last_page else None,
            # Past the end, "previous" leads back to the last page that has petitions.
            "prev": page_url(min(page - 1, last_page)) if page > 1 else None,
        },
    )
    response.headers["Cache-Control"] = "public, max-age=2"
    return response


@bp.get("/petitions/<slug>")
@caching.public(query={"lang": caching.site_language})
def petition(slug):
    petition = petition_or_404(slug)
    text, _ = petition_text(petition, _language(petition))
    count, next_goal = public_counts(petition)
    return jsonify(
        slug=petition.slug,
        kind=petition.kind,
        status=petition.status,
        goal=petition.goal,
        next_goal=next_goal,
        signature_count=count,
        online_count=count - petition.paper_count,
        paper_count=petition.paper_count,
        languages=petition.languages,
        title=text.title,
        title_language=text.language,
        updated_at=petition.updated_at.isoformat().replace("+00:00", "Z"),
        timeline=timeline.as_json(petition, _language(petition)),
    )


@bp.get("/petitions/<slug>/count")
@caching.public  # the most asked-for address during a spike; see caching.py for how fresh it stays
def count(slug):
    petition = petition_or_404(slug)
    count, next_goal = public_counts(petition)
    return jsonify(signature_count=count, online_count=count - petition.paper_count,
                   paper_count=petition.paper_count, goal=petition.goal, next_goal=next_goal)


@bp.get("/petitions/<slug>/signatories")
def signatories(slug):
    """An open letter's public signatory lists, numbered, with country names in ``?lang=``."""
    from ..letters.services import public_lists

    petition = petition_or_404(slug)
    if not petition.is_letter:
        abort(404)
    lang = _language(petition)
    organisations, individuals = public_lists(petition, lang)

    def entry(s):
        # ``country`` and ``country_name`` (the first country, or null) are what 1.0 gave; ``countries`` is the list.
        item = {"position": s.position, "name": s.name, "country": s.country,
                "country_name": s.country_names[0] if s.country_names else None,
                "countries": s.countries, "country_names": s.country_names, "region": s.region, "kind": s.kind}
        if s.kind == "individual":
            item["title"] = s.title
        return item

    return jsonify(slug=petition.slug, language=lang, organisations=[entry(s) for s in organisations],
                   individuals=[entry(s) for s in individuals])


@bp.get("/openapi.json")
def openapi_document():
    """This API described in OpenAPI 3.1, for people and for tools that generate clients or tests."""
    response = jsonify(openapi.document())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _is_api(path):
    return path == PREFIX or path.startswith(PREFIX + "/")


@bp.after_app_request
def allow_any_origin(response):
    """CORS for reads: any site may read the API from a browser; nothing else on the site is shared.

    No cookies or credentials are involved, so the wildcard origin is safe. A
    preflight gets 204 and may be cached by the browser for a day.
    """
    if not _is_api(request.path):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = openapi.EXPOSED_HEADERS
    if request.method == "OPTIONS" and response.status_code == 200:
        # Flask's automatic OPTIONS answer for a route that exists: turn it into a preflight answer.
        response.status_code = 204
        response.set_data(b"")
        response.headers.pop("Content-Type", None)
        response.headers["Access-Control-Allow-Methods"] = openapi.ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = "*"
        response.headers["Access-Control-Max-Age"] = str(openapi.PREFLIGHT_MAX_AGE)
    return response
