"""Sharing: the share image, the Mastodon server form, and what the share tags and links on a page say."""
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from ..i18n import current_language, languages
from ..letters.services import find_public_letter
from ..links import external_url
from ..models import PetitionKind
from ..headers import add_security_headers
from ..lookups import petition_or_404
from ..texts import petition_text
from . import image, services
from .forms import MastodonForm

bp = Blueprint("sharing", __name__)

PAGES = {PetitionKind.PETITION: "signing.petition", PetitionKind.LETTER: "letters.letter"}
IMAGES = {PetitionKind.PETITION: "sharing.petition_image", PetitionKind.LETTER: "sharing.letter_image"}
MASTODON = {PetitionKind.PETITION: "sharing.petition_mastodon", PetitionKind.LETTER: "sharing.letter_mastodon"}
# Long enough that a burst of link previews is served from caches, short enough that the count moves.
IMAGE_MAX_AGE = 300


@bp.record_once
def _image_cache(state):
    state.app.extensions["petitions.share_images"] = services.ImageCache()


def _petition_or_404(slug):
    """A public petition (letters have their own addresses, so a letter's slug here is not found)."""
    petition = petition_or_404(slug)
    if petition.kind != PetitionKind.PETITION:
        abort(404)
    return petition


def _letter_or_404(slug):
    letter = find_public_letter(slug)
    if letter is None:
        abort(404)
    return letter


# --- what a page's meta tags and share links show ---------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    url: str
    title: str
    description: str
    locale: str
    alternate_locales: list
    image_url: str
    image_alt: str
    image_width: int = image.WIDTH
    image_height: int = image.HEIGHT


@bp.app_template_global()
def share_preview(item, text):
    """The Open Graph and Twitter card of a petition or letter page, in the page's language."""
    lang = current_language()
    card = services.card_for(item, text, lang, current_app.config["SITE_NAME"])
    offered = languages()
    return Preview(
        url=external_url(PAGES[item.kind], lang=lang, slug=item.slug),
        title=text.title,
        description=services.description(text),
        locale=services.og_locale(lang),
        alternate_locales=[services.og_locale(code) for code in item.languages if code in offered and code != lang],
        image_url=external_url(IMAGES[item.kind], lang=lang, slug=item.slug),
        image_alt=card.alt,
    )


@bp.app_template_global()
def share_links(item, text):
    """{service: href} for a page's share links; 'mastodon' leads to our own form asking for a server."""
    lang = current_language()
    url = external_url(PAGES[item.kind], lang=lang, slug=item.slug)
    links = services.share_links(url, text.title, text.summary)
    links["mastodon"] = url_for(MASTODON[item.kind], lang=lang, slug=item.slug)
    return links


# --- the share image --------------------------------------------------------------------------------------


@bp.get("/<lang:lang>/p/<slug>/share.png")
def petition_image(slug):
    return _image(_petition_or_404(slug))


@bp.get("/<lang:lang>/letter/<slug>/share.png")
def letter_image(slug):
    return _image(_letter_or_404(slug))


def _image(item):
    """The share image, drawn only when no cache has it: the ETag names the card, so a match needs no drawing."""
    lang = current_language()
    text, _fallback = petition_text(item, lang)
    card = services.card_for(item, text, lang, current_app.config["SITE_NAME"])
    if request.if_none_match.contains_weak(card.etag):
        response = Response(status=304)
    else:
        response = Response(current_app.extensions["petitions.share_images"].png(card), mimetype="image/png")
    response.set_etag(card.etag)
    response.headers["Cache-Control"] = f"public, max-age={IMAGE_MAX_AGE}"
    return response


# --- Mastodon: there is no central site, so we ask for the person's server ---------------------------------


@bp.get("/<lang:lang>/p/<slug>/share/mastodon")
def petition_mastodon(slug):
    return _mastodon(_petition_or_404(slug))


@bp.get("/<lang:lang>/letter/<slug>/share/mastodon")
def letter_mastodon(slug):
    return _mastodon(_letter_or_404(slug))


def _mastodon(item):
    """Ask for a server; send the person to its share page.

    Only a submission of our own form (the browser says Sec-Fetch-Site:
    same-origin) is redirected. A link from elsewhere gets a page naming the
    destination instead, so this address cannot be used to bounce people from
    our trusted name to a look-alike site.
    """
    lang = current_language()
    text, _fallback = petition_text(item, lang)
    form = MastodonForm(request.args)
    submitted = "server" in request.args
    destination = None
    if submitted and form.validate():
        url = external_url(PAGES[item.kind], lang=lang, slug=item.slug)
        destination = services.mastodon_share_url(form.server.data, text.title, url)
        if request.headers.get("Sec-Fetch-Site") == "same-origin":
            return redirect(destination, code=303)
    status = 400 if form.errors else 200
    page = render_template("sharing/mastodon.html", item=item, text=text, form=form, destination=destination,
                           server=form.server.data if destination else None,
                           back=url_for(PAGES[item.kind], lang=lang, slug=item.slug))
    return _allow_form_redirect(Response(page, status=status))


def _allow_form_redirect(response):
    """This page's form is answered by a redirect to another site, which CSP's form-action also governs.

    Browsers check a form's redirects against the form page's form-action, so
    'self' alone would stop the person at our own redirect. Only this page
    widens it, to https: (the redirect is always to https://<server>/share).
    The site's headers are set here first (the later, site-wide call only
    fills in what is missing), then that one directive is changed.
    """
    add_security_headers(response, secure=request.is_secure)
    directives = [part.strip() for part in response.headers.get("Content-Security-Policy", "").split(";")]
    widened = ["form-action 'self' https:" if part.startswith("form-action ") else part for part in directives]
    response.headers["Content-Security-Policy"] = "; ".join(part for part in widened if part)
    return response
