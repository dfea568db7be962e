"""The signing form. Every message is translatable; none comes from WTForms' own catalogue."""
import re
import unicodedata
from functools import lru_cache

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import html_params
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..i18n import city_too_long, country_codes, countries, default_country, name_too_long
from ..models import PublicName
from ..plaintext import single_line
from ..tokens import FormStamp

NAME_MAX = 120
CITY_MAX = 80
EMAIL_MAX = 254


# What mail programs and chat apps turn into a link. See NoAddresses for the rule.
# After NFKC ("．" and "․" become "."), the dots IDNA reads as "." and other look-alikes.
_DOT_LOOKALIKES = str.maketrans({ch: "." for ch in "\u3002\uff0e\uff61\u2024\ufe52\u0701\u0702\u2e3c"})
_LINK = re.compile(r"://|\bwww\.|xn--|[^\s@]@[\w-]+\.\w", re.IGNORECASE)
_DOMAIN = re.compile(r"[\w-]+\.([^\W\d_]{2,})(?![\w-])(/)?")


@lru_cache(maxsize=1)
def top_level_domains():
    """Every ICANN top-level domain, lower case, from the Public Suffix List snapshot tldextract ships.

    ``suffix_list_urls=()`` and no cache directory: the bundled snapshot is read, nothing is
    fetched or written. A TLD delegated after the snapshot is missed until tldextract is upgraded.
    """
    import tldextract  # only when a name is first checked: it costs a tenth of a second

    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)
    return frozenset(suffix for suffix in extract.tlds if "." not in suffix)


def _as_shown(text):
    """``text`` as a mail program would read it for links: NFKC, invisible characters gone, every dot a dot."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc"))
    return text.translate(_DOT_LOOKALIKES)


def contains_address(text):
    """True if ``text`` holds a URL, an email address or a domain name a mail program would make a link of.

    The rule, for names and titles (never for a website field), checked on the text
    as it would be read for links (``_as_shown``: "ＥＶＩＬ．ＣＯＭ", "paypal" + zero-width
    space + ".com" and "evil\u2024com" all count as written plainly):
    - "://", "www.", punycode ("xn--") or an email address (x@domain.tld) anywhere;
    - a word, a dot, then a real top-level domain in any case ("evil.com", "Evil.Zone",
      "site.NETWORK", "сайт.рф"), or any other run of two or more letters written in
      lowercase ("evil.xyzzy"), or followed by a "/" ("Evil.Site/login").
    What stays allowed: initials and abbreviations with a dot ("A. B. Smith",
    "J.R.R. Tolkien", "St. John", "Ph.D."), since a one-letter part or a space
    after the dot is no domain; and a dot between capitalised words
    ("Mr.Smith", "Анна.Мария") unless the second word is a top-level domain
    ("Mr.Bond" is refused: mail programs link mr.bond).
    """
    text = _as_shown(text)
    if _LINK.search(text):
        return True
    tlds = top_level_domains()
    for match in _DOMAIN.finditer(text):
        tld, slash = match.group(1), match.group(2)
        if slash or tld.lower() in tlds or tld.islower():
            return True
    return False


class NoAddresses:
    """Refuse a name or title holding a web or email address: it is shown in mail the organisation sends."""

    def __call__(self, form, field):
        if field.data and contains_address(field.data):
            raise ValidationError(_l("Please enter a name without web or email addresses."))


class NoInvisibleCharacters:
    """Refuse an address holding control or invisible format characters, as typed (before the filter drops them).

    "owner@rights.exam" + U+0001 + "ple" would otherwise be filtered into the real address after
    rate limits had counted it as another; no real address holds such a character.
    """

    def __call__(self, form, field):
        typed = (field.raw_data or [""])[0]
        if isinstance(typed, str) and any(unicodedata.category(ch) in ("Cc", "Cf") for ch in typed.strip()):
            raise ValidationError(_l("Please enter a valid email address, like name@example.org."))


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


@lru_cache(maxsize=256)
def _country_options(language, placeholder, selected):
    """The <option>s of the country list, rendered once per language (and choice).

    Some 250 options drawn through WTForms' widget cost more than everything
    else on the petition page together; the list only changes with the language.
    """
    options = [("", placeholder), *countries(language)]
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(code, Markup(" selected") if code == selected else "", name)
        for code, name in options
    )


class CountrySelect:
    """Renders a CountryField from the cached options."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        selected = field.data if field.data in country_codes() else ""
        options = _country_options(field.language, str(field.placeholder), selected)
        return Markup("<select {}>{}</select>").format(Markup(html_params(name=field.name, **kwargs)), options)


class CountryField(SelectField):
    """A country chosen from Babel's list in the reader's language; call ``for_language`` before use."""

    widget = CountrySelect()

    def __init__(self, label, required_message, placeholder, **kwargs):
        super().__init__(label, validate_choice=False,
                         validators=[InputRequired(message=required_message), KnownCountry()], **kwargs)
        self.placeholder = placeholder
        self.language = "en"

    def for_language(self, language):
        self.language = language
        self.choices = []  # validated by KnownCountry; the widget draws the list itself


def email_field():
    """The email field both forms ask for, with the same checks and messages."""
    return EmailField(
        _l("Email address"),
        filters=[single_line],
        validators=[
            DataRequired(message=_l("Please enter your email address.")),
            Length(max=EMAIL_MAX, message=_l("Please enter a valid email address, like name@example.org.")),
            NoInvisibleCharacters(),
            ValidEmail(),
        ],
    )


class SupporterForm(FlaskForm):
    """A form supporters fill in: no session-bound token (see forgery.py), so the page can be cached and framed."""

    class Meta:
        csrf = False


class StampedForm(SupporterForm):
    """A supporter's form with a country list and the bot defences: a hidden honeypot field and a signed
    "served at" stamp. ``HONEYPOT`` names the honeypot field (a letter's form already has a real ``website``)."""

    HONEYPOT = "website"
    served = HiddenField()

    def __init__(self, language, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.for_language(language)
        if not self.is_submitted() and not self.country.data:
            self.country.data = default_country(language)  # from the page's language only; one tap to change
        if not self.served.data:  # a form sent back keeps the stamp it was served with
            self.served.data = FormStamp(current_app).make()

    def looks_automated(self, min_seconds):
        """True for a submission a person would not make: honeypot filled, or too fast or unstamped."""
        return self.caught_by_honeypot() or self.sent_too_soon(min_seconds)

    def caught_by_honeypot(self):
        """True if the field people never see was filled in: a bot, to be dropped without a word."""
        return bool((getattr(self, self.HONEYPOT).raw_data or [""])[0].strip())

    def sent_too_soon(self, min_seconds):
        """True if sent back faster than ``min_seconds`` after the page was served, or without a genuine stamp.

        A person whose browser filled the form in can be that quick too, so
        the form is shown again rather than dropped; a forged or missing
        stamp is replaced, so the next press counts from now.
        """
        age = FormStamp(current_app).age((self.served.raw_data or [""])[0])
        if age is None:
            self.served.data = FormStamp(current_app).make()
        return age is None or age < min_seconds


class EmailForm(SupporterForm):
    """Just an address: for asking that everything about it be erased."""

    email = email_field()


class SignForm(StampedForm):
    full_name = StringField(
        _l("Full name"),
        filters=[single_line],
        validators=[
            DataRequired(message=_l("Please enter your name.")),
            Length(max=NAME_MAX, message=name_too_long(NAME_MAX)),
            NoAddresses(),
        ],
    )
    email = email_field()
    country = CountryField(_l("Country"), _l("Please choose your country."), _l("Choose your country"))
    city = StringField(
        _l("City (optional)"),
        filters=[single_line],
        validators=[
            Optional(),
            Length(max=CITY_MAX, message=city_too_long(CITY_MAX)),
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
    # The honeypot: hidden from people, left empty by them (see StampedForm).
    website = StringField(_l("Leave this field empty"))

    def public_name_choice(self):
        return self.public_name.data if self.public_name.data in PublicName.ALL else PublicName.FULL

    def signer_details(self):
        """What a valid form says about the signer, as the signing service takes it."""
        from .services import SignerDetails

        return SignerDetails(
            full_name=self.full_name.data, email=self.email.data, country=self.country.data,
            city=self.city.data or None, show_name=self.show_name.data, wants_updates=self.wants_updates.data,
            public_name=self.public_name_choice(),
        )
