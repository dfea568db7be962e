"""The co-signing forms of an open letter. Every message is translatable."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, URLField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from .. import countries
from ..i18n import at_most_characters, at_most_countries
from ..plaintext import single_line
from ..signing.forms import CountryField, KnownCountry, NoAddresses, StampedForm, email_field

# The Arabic-script comma and semicolon (U+060C, U+061B) are what a Farsi writer types.
COUNTRY_LIST_SEPARATORS = re.compile(r"\s*[,;/،؛]\s*|\s+(?:and|&|et|und|и|і|та|y|e|i|ir|و)\s+", re.IGNORECASE)
MAX_COUNTRIES = 20


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


class OptionalCountryField(CountryField):
    """The country list whose first choice is "none": an international organisation names no country."""

    def __init__(self, label, placeholder, **kwargs):
        SelectField.__init__(self, label, validate_choice=False, validators=[Optional(), KnownCountry()], **kwargs)
        self.placeholder = placeholder
        self.language = "en"


class CountryNames:
    """Countries typed by name, in any language, separated by commas: "Switzerland, Lebanon". Keeps ``field.codes``."""

    def __call__(self, form, field):
        field.codes = []
        for part in COUNTRY_LIST_SEPARATORS.split(field.data or ""):
            if not part.strip():
                continue
            found = countries.look_up(part)
            if found is None or found.kind != "country":
                raise ValidationError(_("We do not know “%(name)s” as a country. Please write the countries by "
                                        "name, separated by commas, like “Germany, Switzerland”.", name=part.strip()))
            if found.found[0].code not in field.codes:
                field.codes.append(found.found[0].code)
        if len(field.codes) > MAX_COUNTRIES:
            raise ValidationError(at_most_countries(MAX_COUNTRIES))


def _name(label, message, limit=300):
    # Names and roles are printed in the mail the organisation sends: no addresses in them (NoAddresses).
    return StringField(label, filters=[single_line], validators=[
        DataRequired(message=message), Length(max=limit, message=at_most_characters(limit)), NoAddresses()])


class CoSignForm(StampedForm):
    """Shared by both kinds: the country, the address to confirm, and the bot defences."""

    HONEYPOT = "website_hp"
    country = CountryField(_l("Country"), _l("Please choose a country."), _l("Choose a country"))
    more_countries = StringField(_l("Other countries (optional), separated by commas"), filters=[single_line],
                                 validators=[Length(max=500, message=at_most_characters(500)), CountryNames()])
    email = email_field()
    website_hp = StringField(_l("Leave this field empty"))

    def chosen_countries(self):
        """The country from the list, then the others typed, each once, in order."""
        codes = [self.country.data] if self.country.data else []
        return tuple(dict.fromkeys([*codes, *getattr(self.more_countries, "codes", [])]))


class OrganisationForm(CoSignForm):
    country = OptionalCountryField(_l("Country"), _l("None: an international organisation"))
    name = _name(_l("Name of the organisation"), _l("Please enter the organisation's name."))
    website = URLField(_l("Website of the organisation"), filters=[single_line],
                       validators=[Optional(), Length(max=300, message=at_most_characters(300)),
                                   PlainWebsite()])
    contact_name = _name(_l("Your name"), _l("Please enter your name."), 120)
    contact_role = _name(_l("Your role in the organisation"), _l("Please enter your role."), 120)


class IndividualForm(CoSignForm):
    name = _name(_l("Your full name"), _l("Please enter your name."), 120)
    title = StringField(_l("Title or affiliation (for example “former UN Special Rapporteur”)"), filters=[single_line],
                        validators=[Optional(), Length(max=300, message=at_most_characters(300)),
                                    NoAddresses()])
