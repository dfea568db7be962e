"""The "keep me informed" form: an email address, and the bot defences every supporter's form has."""
from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import StringField

from ..signing.forms import StampedForm, SupporterForm, email_field
from ..tokens import FormStamp


class SubscribeForm(StampedForm):
    """Only the address: nothing else is needed to send news, so nothing else is asked.

    A StampedForm (honeypot and "served at" stamp, no session token: the form
    sits on a cached public page) without the country list the sign forms have.
    """

    email = email_field()
    # The honeypot: hidden from people, left empty by them (see StampedForm).
    website = StringField(_l("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        SupporterForm.__init__(self, *args, **kwargs)  # StampedForm's own would set up a country list
        self.press_again = False
        if not self.served.data:  # a form sent back keeps the stamp it was served with
            self.served.data = FormStamp(current_app).make()
