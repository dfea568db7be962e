"""The signing form. Every message is translatable; none comes from WTForms' own catalogue."""
import unicodedata

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..i18n import country_codes, countries
from ..models import PublicName
from ..tokens import FormStamp

NAME_MAX = 120
CITY_MAX = 80
EMAIL_MAX = 254


def _strip(value):
    """Trim, and drop invisible control characters (which no name contains and PostgreSQL may refuse)."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc").strip()


class ValidEmail:
    """An address that could receive mail; stores the normalised form."""

    def __call__(self, form, field):
        try:
            result = validate_email(field.data or "", check_deliverability=False)
        except EmailNotValidError:
            raise ValidationError(_l("Please enter a valid email address, like name@example.org.")) from None
        field.data = result.normalized
        if current_app.config["BLOCK_DISPOSABLE_EMAILS"] and result.domain.lower() in DISPOSABLE_DOMAINS:
            raise ValidationError(
                _l("Addresses from disposable email services are not accepted. Please use an address you will keep.")
            )


class KnownCountry:
    def __call__(self, form, field):
        if field.data not in country_codes():
            raise ValidationError(_l("Please choose a country from the list."))


def email_field():
    """The email field both forms ask for, with the same checks and messages."""
    return EmailField(
        _l("Email address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("Please enter a valid email address, like name@example.org.")),
            ValidEmail(),
        ],
    )


class EmailForm(FlaskForm):
    """Just an address: for asking that everything about it be erased."""

    email = email_field()


class SignForm(FlaskForm):
    full_name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please enter your name.")),
            Length(max=NAME_MAX, message=_l("Your name can be at most %(max)d characters long.")),
        ],
    )
    email = email_field()
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
    public_name = RadioField(
        _l("If shown, show my name as"),
        choices=[SelectChoice(PublicName.FULL, _l("my full name")), SelectChoice(PublicName.INITIALS, _l("my initials only"))],
        default=PublicName.FULL,
        validate_choice=False,
    )
    wants_updates = BooleanField(_l("Send me updates about this petition"), default=False)
    # Bot defence. `website` is hidden from people and left empty by them;
    # `served` is the signed time the form was sent out.
    website = StringField(_l("Leave this field empty"))
    served = HiddenField()

    def __init__(self, language, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [SelectChoice("", _l("Choose your country"))] + [
            SelectChoice(code, name) for code, name in countries(language)
        ]
        self.served.data = FormStamp(current_app).make()

    def public_name_choice(self):
        return self.public_name.data if self.public_name.data in PublicName.ALL else PublicName.FULL

    def looks_automated(self, min_seconds):
        """True for a submission a person would not make: honeypot filled, or too fast or unstamped."""
        if (self.website.raw_data or [""])[0].strip():
            return True
        served = (self.served.raw_data or [""])[0]
        age = FormStamp(current_app).age(served)
        return age is None or age < min_seconds
