"""Forms of the organisation page's editor: the description in one language, the main language, a statement."""
import unicodedata
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

from ..i18n import at_most_characters, language_choices
from ..models import utcnow
from ..plaintext import single_line
from .editing import BODY_LIMIT, DESCRIPTION_LIMIT, EARLIEST_DATE, LATEST_DATE, TITLE_LIMIT


def _text(value):
    """Markdown keeps its line breaks and tabs; other control characters go (PostgreSQL refuses NUL)."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()


class _Date(DateField):
    """An <input type="date">, whose refusal is said in the reader's language rather than WTForms' own."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Please enter a date as year-month-day, for example 2026-12-01.")) from None


def _language_field(label):
    return SelectField(label, validate_choice=False)


def _offered(form, field, codes):
    field.choices = language_choices(codes)
    field.validators = [AnyOf([code for code, _name in field.choices],
                              message=_l("Please choose one of the languages offered."))]


class DescriptionForm(FlaskForm):
    description = TextAreaField(_l("About the organisation (Markdown; empty removes this language)"),
                                filters=[_text], validators=[
                                    Length(max=DESCRIPTION_LIMIT, message=at_most_characters(DESCRIPTION_LIMIT))])


class PageSettingsForm(FlaskForm):
    primary_language = _language_field(_l("Main language (shown where a reader's language has no description)"))

    def __init__(self, codes, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _offered(self, self.primary_language, codes)


class StatementForm(FlaskForm):
    """A statement's text in one language, and the date it carries."""

    title = StringField(_l("Title"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter a title.")),
        Length(max=TITLE_LIMIT, message=at_most_characters(TITLE_LIMIT))])
    statement_date = _Date(_l("Date of the statement"), validators=[
        InputRequired(message=_l("Please enter the date of the statement."))])
    body = TextAreaField(_l("Text (Markdown)"), filters=[_text], validators=[
        DataRequired(message=_l("Please write the statement.")),
        Length(max=BODY_LIMIT, message=at_most_characters(BODY_LIMIT))])

    def validate_statement_date(self, field):
        if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
            raise ValidationError(_l("Please enter a date between %(first)s and %(last)s.",
                                     first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()))


class NewStatementForm(StatementForm):
    language = _language_field(_l("Language"))

    def __init__(self, codes, *args, **kwargs):
        kwargs.setdefault("statement_date", utcnow().date())
        super().__init__(*args, **kwargs)
        _offered(self, self.language, codes)
