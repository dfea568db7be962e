"""Forms of the protection wizard. The length of a passphrase is checked by the service, which audits a refusal."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import EqualTo

from ..plaintext import single_line

_SAME = _l("The two passphrases are not the same.")


class TurnOnForm(FlaskForm):
    password = PasswordField(_l("Your account password"))
    code = StringField(_l("Six-digit code from your authenticator app"), filters=[single_line])
    passphrase = PasswordField(_l("New passphrase for your organisation's key"))
    passphrase_again = PasswordField(_l("The same passphrase again"), validators=[EqualTo("passphrase", _SAME)])


class GrantForm(FlaskForm):
    member = SelectField(_l("Member"), coerce=int, validate_choice=True)
    code = StringField(_l("Six-digit code from your authenticator app"), filters=[single_line])
    passphrase = PasswordField(_l("Your passphrase of the organisation's key"))
    new_passphrase = PasswordField(_l("First passphrase of the member's copy"))
    new_passphrase_again = PasswordField(_l("The same passphrase again"),
                                         validators=[EqualTo("new_passphrase", _SAME)])


class CopyPassphraseForm(FlaskForm):
    current = PasswordField(_l("Current passphrase of your copy"))
    new_passphrase = PasswordField(_l("New passphrase"))
    new_passphrase_again = PasswordField(_l("The same passphrase again"),
                                         validators=[EqualTo("new_passphrase", _SAME)])
