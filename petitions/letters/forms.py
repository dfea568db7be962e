"""The co-signing forms of an open letter. Every message is translatable."""
from flask_babel import lazy_gettext as _l
from wtforms import StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..signing.forms import CountryField, NoAddresses, StampedForm, _strip, email_field


class PlainWebsite:
    """An http(s) address or a bare domain; nothing that could run as a link elsewhere."""

    def __call__(self, form, field):
        value = (field.data or "").strip()
        if not value:
            return
        if "://" not in value:
            value = "https://" + value
        if not value.lower().startswith(("http://", "https://")) or " " in value or "." not in value.split("://", 1)[1]:
            raise ValidationError(_l("Please enter the website's address, like example.org."))
        field.data = value


def _name(label, message, limit=300):
    # Names and roles are printed in the mail the organisation sends: no addresses in them (NoAddresses).
    return StringField(label, filters=[_strip], validators=[
        DataRequired(message=message), Length(max=limit, message=_l("At most %(max)d characters.")), NoAddresses()])


class CoSignForm(StampedForm):
    """Shared by both kinds: the country, the address to confirm, and the bot defences."""

    HONEYPOT = "website_hp"
    country = CountryField(_l("Country"), _l("Please choose a country."), _l("Choose a country"))
    email = email_field()
    website_hp = StringField(_l("Leave this field empty"))


class OrganisationForm(CoSignForm):
    name = _name(_l("Name of the organisation"), _l("Please enter the organisation's name."))
    website = URLField(_l("Website of the organisation"), filters=[_strip],
                       validators=[Optional(), Length(max=300, message=_l("At most %(max)d characters.")),
                                   PlainWebsite()])
    contact_name = _name(_l("Your name"), _l("Please enter your name."), 120)
    contact_role = _name(_l("Your role in the organisation"), _l("Please enter your role."), 120)


class IndividualForm(CoSignForm):
    name = _name(_l("Your full name"), _l("Please enter your name."), 120)
    title = StringField(_l("Title or affiliation (for example “former UN Special Rapporteur”)"), filters=[_strip],
                        validators=[Optional(), Length(max=300, message=_l("At most %(max)d characters.")),
                                    NoAddresses()])
