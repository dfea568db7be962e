"""The integrity page's filter forms, checked by the service (organiser/integrity.py).

What makes a filter usable (a real fingerprint, a domain, a window that reads
as one) is the service's to say, with a message on the field it is about; the
forms only take the fields in. Each has its own prefix, so both fit one page.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from ..models import InvalidationKind
from ..plaintext import single_line


def _window_fields():
    start = StringField(_l("From (UTC)"), filters=[single_line],
                        render_kw={"type": "datetime-local", "step": 60, "maxlength": 40})
    end = StringField(_l("Until (UTC), not included"), filters=[single_line],
                      render_kw={"type": "datetime-local", "step": 60, "maxlength": 40})
    return start, end


class FingerprintFilterForm(FlaskForm):
    """One client fingerprint, in a time window."""

    kind = InvalidationKind.FINGERPRINT
    fingerprint = StringField(_l("Fingerprint"), filters=[single_line],
                              description=_l("The whole fingerprint, as the busiest networks above link to it."),
                              render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 64})
    start, end = _window_fields()


class DomainFilterForm(FlaskForm):
    """Every address at one email domain, in a time window if one is given."""

    kind = InvalidationKind.DOMAIN
    domain = StringField(_l("Email domain"), filters=[single_line],
                         description=_l("For example example.org: every address ending in @example.org."),
                         render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 253})
    start, end = _window_fields()


FORMS = {InvalidationKind.FINGERPRINT: (FingerprintFilterForm, "fingerprint"),
         InvalidationKind.DOMAIN: (DomainFilterForm, "domain")}


def filter_form(kind, **kwargs):
    """The form of ``kind``, with its own prefix."""
    form_class, prefix = FORMS[kind]
    return form_class(prefix=prefix, **kwargs)
