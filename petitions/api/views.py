"""Read-only JSON views of public petitions."""
from flask import Blueprint, abort, current_app, jsonify, request

from ..extensions import csrf, limiter
from ..signing import services
from ..web import client_key, configured_limit, petition_or_404

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
limiter.limit(configured_limit("RATELIMIT_API"), key_func=client_key)(bp)


@bp.get("/petitions/<slug>")
def petition(slug):
    petition = petition_or_404(slug)
    lang = request.args.get("lang") or petition.primary_language
    if lang not in current_app.config["LANGUAGES"]:
        lang = petition.primary_language
    text, _ = services.petition_text(petition, lang)
    count, next_goal = services.public_counts(petition)
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
    )


@bp.get("/petitions/<slug>/count")
def count(slug):
    petition = petition_or_404(slug)
    count, next_goal = services.public_counts(petition)
    response = jsonify(signature_count=count, online_count=count - petition.paper_count,
                       paper_count=petition.paper_count, goal=petition.goal, next_goal=next_goal)
    response.headers["Cache-Control"] = "public, max-age=2"
    return response


@bp.get("/petitions/<slug>/signatories")
def signatories(slug):
    """An open letter's public signatory lists, numbered, with country names in ``?lang=``."""
    from ..letters.services import public_lists

    petition = petition_or_404(slug)
    if petition.kind != "letter":
        abort(404)
    lang = request.args.get("lang") or petition.primary_language
    if lang not in current_app.config["LANGUAGES"]:
        lang = petition.primary_language
    organisations, individuals = public_lists(petition, lang)

    def entry(s):
        item = {"position": s.position, "name": s.name, "country": s.country, "country_name": s.country_name,
                "kind": s.kind}
        if s.kind == "individual":
            item["title"] = s.title
        return item

    return jsonify(slug=petition.slug, language=lang, organisations=[entry(s) for s in organisations],
                   individuals=[entry(s) for s in individuals])
