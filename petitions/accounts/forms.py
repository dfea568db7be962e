"""Forms of the organiser's account pages. Every message is translatable."""
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from ..i18n import at_least_characters, at_most_characters, language_choices, name_too_long
from ..models import Role
from ..plaintext import single_line
from ..signing.forms import NoInvisibleCharacters, email_field

NAME_MAX = 120


def role_choices():
    return [SelectChoice(Role.VIEWER, _l("Viewer: sees counts, no personal data")),
            SelectChoice(Role.EDITOR, _l("Editor: writes petitions and exports signatures")),
            SelectChoice(Role.OWNER, _l("Owner: also manages members and reads the audit log"))]


class LongEnough:
    """A password at least MIN_PASSWORD_LENGTH characters long (length is what makes it strong)."""

    def __call__(self, form, field):
        minimum = current_app.config["MIN_PASSWORD_LENGTH"]
        if len(field.data or "") < minimum:
            raise ValidationError(at_least_characters(minimum))
        if len(field.data) > 1024:
            raise ValidationError(at_most_characters(1024))


def _password_rule():
    # The same words as the error after a short one, so the rule reads the same before and after.
    return str(at_least_characters(current_app.config["MIN_PASSWORD_LENGTH"]))


def new_password_field(label):
    # The rule is shown before the first try, not only in the error after it.
    return PasswordField(label, description=LazyString(_password_rule),
                         validators=[DataRequired(message=_l("Please choose a password.")), LongEnough()])


def code_field():
    return StringField(_l("Six-digit code from your authenticator app"), filters=[single_line],
                       validators=[DataRequired(message=_l("Please enter the code."))])


def any_code_field():
    """Where the app's code or, with the phone lost, a recovery code is accepted."""
    return StringField(_l("Six-digit code from your authenticator app, or a recovery code"), filters=[single_line],
                       validators=[DataRequired(message=_l("Please enter the code."))])


def password_field(label):
    return PasswordField(label, validators=[DataRequired(message=_l("Please enter your password."))])


def account_email_field():
    # Not email_field(): signing in or asking for a reset never says whether an address is well-formed or known.
    return EmailField(_l("Email address"), filters=[single_line],
                      validators=[DataRequired(message=_l("Please enter your email address.")), Length(max=254),
                                  NoInvisibleCharacters()])


class SignInForm(FlaskForm):
    email = account_email_field()
    password = password_field(_l("Password"))


class SecondStepForm(FlaskForm):
    """The sign-in's code step: a code from the app, or one of the recovery codes."""

    code = any_code_field()


class ForgotPasswordForm(FlaskForm):
    email = account_email_field()


class ResetPasswordForm(FlaskForm):
    new = new_password_field(_l("New password"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Your name"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter your name.")),
        Length(max=NAME_MAX, message=name_too_long(NAME_MAX))])
    language = SelectField(_l("Language of these pages"), validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()


class PasswordForm(FlaskForm):
    current = password_field(_l("Current password"))
    new = new_password_field(_l("New password"))


class EnableTotpForm(FlaskForm):
    # The password again: a session alone must not be able to add a second factor.
    password = password_field(_l("Password"))
    code = code_field()


class PasswordAgainForm(FlaskForm):
    """A change of the second factor (turning it off, new recovery codes): the password again and a current code."""

    password = password_field(_l("Password"))
    code = any_code_field()


class InviteForm(FlaskForm):
    email = email_field()
    role = SelectField(_l("Role"), validate_choice=True, default=Role.EDITOR)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class AcceptInvitationForm(FlaskForm):
    """For an address without an account: the name and password of the account made on joining."""

    name = StringField(_l("Your name"), filters=[single_line], validators=[
        DataRequired(message=_l("Please enter your name.")),
        Length(max=NAME_MAX, message=name_too_long(NAME_MAX))])
    password = new_password_field(_l("Choose a password"))


class EmptyForm(FlaskForm):
    """A button that changes something: CSRF token only."""
