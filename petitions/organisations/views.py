"""The organisation's public page, /<lang>/o/<slug>, and its statements, each at an address of its own.

Public and cacheable like a petition page (petitions.caching): the same for every reader of a language,
so a crowd arriving from a shared link costs one rendering per language every few seconds.
"""
from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from .. import caching
from ..i18n import best_language, current_language, languages
from ..markup import render_markdown
from ..models.petition import SLUG_RE
from . import commands, services

bp = Blueprint("organisations", __name__, cli_group="organisation")
bp.cli.add_command(commands.import_command)

# Petition and letter pages ask it for their "Started by" line (organisations/_byline.html).
bp.add_app_template_global(services.names_its_organisation, "names_its_organisation")


def _organisation_or_404(slug):
    organisation = services.find_organisation(slug)
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/o/<slug>")
def page_redirect(slug):
    """The short address: to the page in the language the browser prefers.

    Without looking the organisation up: the answer is the same for one that has no page, so it cannot be used
    to learn which organisations use this site.
    """
    if not SLUG_RE.match(slug):
        abort(404)
    response = redirect(url_for("organisations.page", lang=best_language(
        languages(), current_app.config["DEFAULT_LANGUAGE"]), slug=slug))
    response.headers["Vary"] = "Accept-Language"
    return response


@bp.get("/<lang:lang>/o/<slug>")
@caching.public
def page(slug):
    """Who the organisation is, what it collects signatures for now and before, and what it has said."""
    organisation = _organisation_or_404(slug)
    lang = current_language()
    description, fallback = services.description_for(organisation, lang)
    open_campaigns, past_campaigns = services.campaigns(organisation, lang)
    statements = [(s, services.statement_text(s, lang)[0]) for s in services.published_statements(organisation)]
    # The same rule as its subscription form's (services.has_public_page), on what the page loaded anyway.
    if not services.shows_anything(description, open_campaigns, past_campaigns, statements):
        abort(404)
    return render_template(
        "organisations/page.html", organisation=organisation, description=description, fallback=fallback,
        description_html=render_markdown(description.description) if description else None,
        open_campaigns=open_campaigns, past_campaigns=past_campaigns, statements=statements,
    )


@bp.get("/<lang:lang>/o/<slug>/statements/<int:statement_id>")
@caching.public
def statement(slug, statement_id):
    """One published statement, in the reader's language where it has been translated."""
    organisation = _organisation_or_404(slug)
    found = services.published_statement(organisation, statement_id)
    if found is None:
        abort(404)
    text, fallback = services.statement_text(found, current_language())
    return render_template("organisations/statement.html", organisation=organisation, statement=found, text=text,
                           fallback=fallback, body_html=render_markdown(text.body))
