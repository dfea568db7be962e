"""Forms of the subscribers page: a mailing's text in one language, and "Send"."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..i18n import at_most_characters, language_choices
from ..plaintext import single_line
from .forms import UnlockForm, _strip_text

SUBJECT_MAX = 200
BODY_MAX = 20_000


class MailingForm(FlaskForm):
    language = SelectField(_l("Language"), validate_choice=True)
    subject = StringField(_l("Subject"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter a subject.")),
        Length(max=SUBJECT_MAX, message=at_most_characters(SUBJECT_MAX))])
    body = TextAreaField(_l("Text (Markdown)"), filters=[_strip_text], validators=[
        DataRequired(message=_l("Please write the email.")),
        Length(max=BODY_MAX, message=at_most_characters(BODY_MAX))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class SendMailingForm(UnlockForm):
    """"Send" on a draft; the code and passphrase are asked, and checked, only when protection is on."""

    untranslated_ok = BooleanField(_l("Send anyway: subscribers in the languages above get it in another language"))
