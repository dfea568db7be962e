"""Forms of the timeline page: record a delivery, a response, an outcome; write an entry in another language.

Every message is our own and translated: a language or outcome that is not
offered, or a date that is not one, is refused with words the organiser can act on.
"""
import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import DateInput

from ..i18n import at_most_characters, language_choices
from ..models import Outcome
from ..plaintext import single_line
from ..timeline import outcome_label
from .forms import _strip_text
from .timeline import ALT_MAX, BODY_MAX, WHO_MAX

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _offered_language(field):
    if field.data not in {value for value, _name in field.choices}:
        raise ValidationError(_("Please choose one of the petition's languages."))


def uploaded(field):
    """The bytes of the file sent in ``field``, or None when none was chosen."""
    storage = field.data
    if not storage or not getattr(storage, "filename", ""):
        return None
    return storage.read()


class _EntryForm(FlaskForm):
    happened_on = StringField(_l("Date"), widget=DateInput(), filters=[single_line])
    language = SelectField(_l("Language of the text"), validate_choice=False)

    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(languages)
        self.day = None

    def validate_happened_on(self, field):
        text = field.data or ""
        try:
            self.day = date.fromisoformat(text) if _ISO_DATE.fullmatch(text) else None
        except ValueError:
            self.day = None
        if self.day is None:
            raise ValidationError(_("Please enter a date, such as 2027-03-14."))

    def validate_language(self, field):
        _offered_language(field)


def _who(label, message):
    return StringField(label, filters=[single_line], validators=[
        DataRequired(message=message), Length(max=WHO_MAX, message=at_most_characters(WHO_MAX))])


def _body(label, required_message=None):
    required = [DataRequired(message=required_message)] if required_message else [Optional()]
    return TextAreaField(label, filters=[_strip_text],
                         validators=[*required, Length(max=BODY_MAX, message=at_most_characters(BODY_MAX))])


def _alt():
    return StringField(_l("What the photo shows, for people who cannot see it (needed with a photo)"),
                       filters=[single_line], validators=[Length(max=ALT_MAX, message=at_most_characters(ALT_MAX))])


class DeliveryForm(_EntryForm):
    who = _who(_l("Delivered to"), _l("Please say to whom the petition was delivered."))
    body = _body(_l("Note (optional, Markdown)"))
    photo = FileField(_l("Photo (optional): JPEG, PNG or WebP"))
    photo_alt = _alt()

    def validate_photo_alt(self, field):
        if self.photo.data and getattr(self.photo.data, "filename", "") and not field.data:
            raise ValidationError(_("Please describe the photo for people who cannot see it."))


class ResponseForm(_EntryForm):
    who = _who(_l("Who responded"), _l("Please say who responded."))
    body = _body(_l("What they said (Markdown)"), _l("Please write what they said, or a summary of it."))
    pdf = FileField(_l("Their response as a PDF (optional)"))


def outcome_choices():
    return [(value, outcome_label(value)) for value in Outcome.ALL]


class OutcomeForm(_EntryForm):
    outcome = SelectField(_l("Outcome"), validate_choice=False)
    body = _body(_l("Note (optional, Markdown)"))

    def __init__(self, languages, *args, **kwargs):
        super().__init__(languages, *args, **kwargs)
        self.outcome.choices = outcome_choices()

    def validate_outcome(self, field):
        if field.data not in Outcome.ALL:
            raise ValidationError(_("Please choose one of the outcomes offered."))


class EntryTextForm(FlaskForm):
    """An entry's text in one more language (or its text in a language it has, replaced)."""

    language = SelectField(_l("Language"), validate_choice=False)
    who = StringField(_l("Who"), filters=[single_line],
                      validators=[Length(max=WHO_MAX, message=at_most_characters(WHO_MAX))])
    body = _body(_l("Text (Markdown)"))
    photo_alt = _alt()

    def __init__(self, languages, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices(languages)

    def validate_language(self, field):
        _offered_language(field)
