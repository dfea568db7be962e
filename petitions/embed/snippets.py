"""The HTML an organiser pastes into another site to show a petition's widgets."""
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from ..i18n import languages
from ..links import external_url
from ..texts import petition_text

# Sizes that fit the widgets on a phone; organisers may change them.
SIZES = {"counter": (360, 260), "sign": (360, 1050)}


def iframe_snippets(petition):
    """{'counter': html, 'sign': html}: <iframe> tags in the petition's main language, with absolute addresses."""
    lang = petition.primary_language
    if lang not in languages():  # written in a language the site no longer offers an interface in
        lang = current_app.config["DEFAULT_LANGUAGE"]
    title = petition_text(petition, lang)[0].title
    with force_locale(lang):
        # The frame's title is read out by screen readers on the other site, whose page is in this language.
        titles = {"counter": _("Signature count: %(title)s", title=title),
                  "sign": _("Sign the petition: %(title)s", title=title)}
    snippets = {}
    for kind, (width, height) in SIZES.items():
        src = external_url(f"embed.{kind}", lang=lang, slug=petition.slug)
        snippets[kind] = (
            f'<iframe src="{escape(src)}" title="{escape(titles[kind])}" width="{width}" height="{height}" '
            f'loading="lazy" style="border: 0; max-width: 100%;"></iframe>'
        )
    return snippets
