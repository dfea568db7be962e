"""The Mastodon server form. Every message is translatable; none comes from WTForms' own catalogue."""
from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField
from wtforms.validators import ValidationError

from . import services


class MastodonServer:
    """A host name we can send a person to; stores the normalised name ('mastodon.social')."""

    def __call__(self, form, field):
        server = services.mastodon_server(field.data)
        if server is None:
            raise ValidationError(_l("Please enter the name of your Mastodon server, such as mastodon.social."))
        field.data = server


class MastodonForm(Form):
    """A plain WTForms form, read from the query string: a GET form that only redirects has nothing to forge,
    so it carries no CSRF token (and its address can be bookmarked)."""

    server = StringField(_l("Your Mastodon server, for example mastodon.social"), validators=[MastodonServer()])
