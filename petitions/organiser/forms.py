"""Forms of the organiser's pages: the petition editor, updates, paper signatures and exports."""
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..i18n import at_most_characters, at_most_demands, demand_too_long, language_choices
from ..models.petition import SLUG_RE, PetitionKind
from ..plaintext import single_line
from ..slugs import slug_from
from .services import MAX_DEMAND_LENGTH, MAX_DEMANDS, TEXT_LIMITS

GOAL_MAX = 1_000_000_000


def _strip_text(value):
    """Like the one-line filter, but a text keeps its line breaks and tabs (Markdown needs them)."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


def _goal_field(default=None):
    return IntegerField(_l("Goal (signatures)"), default=default, validators=[
        DataRequired(message=_l("Please enter a goal.")),
        NumberRange(min=1, max=GOAL_MAX, message=_l("The goal must be a whole number from 1 to 1,000,000,000."))])


class NewPetitionForm(FlaskForm):
    kind = RadioField(_l("What are you starting?"), default=PetitionKind.PETITION, validate_choice=True, choices=[
        SelectChoice(PetitionKind.PETITION, _l("A petition: people sign with their name and email address")),
        SelectChoice(PetitionKind.LETTER, _l("An open letter: organisations and people sign on, and you approve each one"))])
    organisation = SelectField(_l("Organisation"), coerce=int, validate_choice=True)
    title = StringField(_l("Title"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter a title.")),
        Length(max=TEXT_LIMITS["title"], message=at_most_characters(TEXT_LIMITS["title"]))])
    slug = StringField(_l("Web address (letters a–z, digits and hyphens)"), filters=[single_line])
    primary_language = SelectField(_l("Main language"), validate_choice=True)
    goal = _goal_field(default=1000)  # a start that can be changed later; an open letter does not show it

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation.choices = [(o.id, o.name) for o in organisations]
        self.primary_language.choices = language_choices()

    def validate_slug(self, field):
        """An address typed as "Free Maria" (or left empty) is offered back as "free-maria", never silently changed."""
        typed = field.data or ""
        suggestion = slug_from(typed or self.title.data or "")
        if typed and typed == suggestion and SLUG_RE.match(typed):
            return
        if not suggestion:
            raise ValidationError(_("Please choose a web address: letters a–z, digits and hyphens."))
        field.data = suggestion
        raise ValidationError(_("Suggested web address: %(slug)s. Change it or press “Create draft” to use it.",
                                slug=suggestion))


class SettingsForm(FlaskForm):
    goal = _goal_field()
    primary_language = SelectField(_l("Main language"), validate_choice=True)
    organisation_name = StringField(_l("Started by (shown on the page)"), filters=[single_line],
                                    validators=[Length(max=200, message=at_most_characters(200))])

    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.primary_language.choices = language_choices(languages)


class TextForm(FlaskForm):
    title = StringField(_l("Title"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter a title.")),
        Length(max=TEXT_LIMITS["title"], message=at_most_characters(TEXT_LIMITS["title"]))])
    addressee = StringField(_l("Addressed to"), filters=[single_line], validators=[
        Length(max=TEXT_LIMITS["addressee"], message=at_most_characters(TEXT_LIMITS["addressee"]))])
    summary = TextAreaField(_l("Summary (one or two sentences)"), filters=[_strip_text], validators=[
        Length(max=TEXT_LIMITS["summary"], message=at_most_characters(TEXT_LIMITS["summary"]))])
    body = TextAreaField(_l("Text (Markdown)"), filters=[_strip_text], validators=[
        Length(max=TEXT_LIMITS["body"], message=at_most_characters(TEXT_LIMITS["body"]))])
    demands = TextAreaField(_l("Demands, one per line"), filters=[_strip_text])

    def validate_demands(self, field):
        lines = self.demand_list()
        if len(lines) > MAX_DEMANDS:
            raise ValidationError(at_most_demands(MAX_DEMANDS))
        if any(len(line) > MAX_DEMAND_LENGTH for line in lines):
            raise ValidationError(demand_too_long(MAX_DEMAND_LENGTH))

    def demand_list(self):
        return [line.strip() for line in (self.demands.data or "").splitlines() if line.strip()]

    def fields(self):
        return {"title": self.title.data, "addressee": self.addressee.data or "", "summary": self.summary.data or "",
                "body": self.body.data or "", "demands": self.demand_list()}


class UpdateForm(FlaskForm):
    language = SelectField(_l("Language"), validate_choice=True)
    title = StringField(_l("Title"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter a title.")),
        Length(max=200, message=at_most_characters(200))])
    body = TextAreaField(_l("Text (Markdown)"), filters=[_strip_text], validators=[
        DataRequired(message=_l("Please write the update.")),
        Length(max=20_000, message=at_most_characters(20_000))])
    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(languages)


class PaperCountForm(FlaskForm):
    count = IntegerField(_l("Number of paper signatures"), validators=[
        DataRequired(message=_l("Please enter how many.")),
        NumberRange(min=1, max=10_000_000, message=_l("Enter a whole number from 1 to 10,000,000."))])
    note = StringField(_l("Note (where and when they were collected)"), filters=[single_line],
                       validators=[Optional(), Length(max=200, message=at_most_characters(200))])


class PaperCsvForm(FlaskForm):
    file = FileField(_l("CSV file with the columns name, city, country"))
    note = StringField(_l("Note (where and when they were collected)"), filters=[single_line],
                       validators=[Optional(), Length(max=200, message=at_most_characters(200))])


class UnlockForm(FlaskForm):
    """A fresh two-factor code and the passphrase of the organisation's key, for one job."""

    code = StringField(_l("Six-digit code from your authenticator app"), filters=[single_line])
    passphrase = PasswordField(_l("Passphrase of your organisation's key"))


class ExportForm(UnlockForm):
    format = SelectField(_l("Format"), validate_choice=True,
                         choices=[SelectChoice("csv", _l("CSV (spreadsheet)")),
                                  SelectChoice("pdf", _l("PDF delivery pack"))])
    language = SelectField(_l("Language of the delivery pack"), validate_choice=True)
    with_emails = BooleanField(_l("Include email addresses (CSV only; only if the recipient needs them)"))
    # The code and passphrase it inherits are asked, and checked by the view, only when protection is on.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class SendUpdateForm(UnlockForm):
    """"Send" on a draft update; the code and passphrase are asked, and checked, only when protection is on."""

    untranslated_ok = BooleanField(_l("Send anyway: signers in the languages above get the update in the main language"))
