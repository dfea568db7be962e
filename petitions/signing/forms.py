"""The signing form. Every message is translatable; none comes from WTForms' own catalogue."""
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..i18n import country_codes, countries

NAME_MAX = 120
CITY_MAX = 80
EMAIL_MAX = 254


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ValidEmail:
    """An address that could receive mail; stores the normalised form."""

    def __call__(self, form, field):
        try:
            result = validate_email(field.data or "", check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("Please enter a valid email address, like name@example.org.")) from None
        field.data = result.normalized


class KnownCountry:
    def __call__(self, form, field):
        if field.data not in country_codes():
            raise ValidationError(_l("Please choose a country from the list."))


class SignForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter your name.")),
            Length(max=NAME_MAX, message=_l("Your name can be at most %(max)d characters long.")),
        ],
    )
    email = EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("Please enter a valid email address, like name@example.org.")),
            ValidEmail(),
        ],
    )
    country = SelectField(
        _l("Country"),
        validate_choice=False,
        validators=[InputRequired(message=_l("Please choose your country.")), KnownCountry()],
    )
    city = StringField(
        _l("City (optional)"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=CITY_MAX, message=_l("The city can be at most %(max)d characters long.")),
        ],
    )
    show_name = BooleanField(_l("Show my name publicly as a signer"), default=False)
    wants_updates = BooleanField(_l("Send me updates about this petition"), default=False)

    def __init__(self, language, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("Choose your country"))] + list(countries(language))
