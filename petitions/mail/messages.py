"""The emails we send, rendered in the language of whoever receives them.

A message is queued as facts: its kind, its language and the values its
templates need (a JSON ``context`` on the outbox row), in the same
transaction as the change that caused it. It is rendered only when the
sender takes it (``render``). Signing is what a crowd does all at once, and
rendering two templates cost a quarter of a signature inside the request;
the mail worker pays for it instead, at its own pace.
"""
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, get_translations, gettext
from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import insert

from .. import caching
from ..extensions import db
from ..models import OutboxMessage, utcnow
from ..models.petition import title_in
from ..plaintext import single_line
from . import suppression


_INSERT = insert(OutboxMessage.__table__)  # Core, built once: the ORM adds nothing to a row nobody reads back


def _queue(kind, recipient, language, context, now=None, signature_id=None, headers=None):
    """Add a message to the outbox; the caller's transaction commits it. Returns False if it was held back.

    A plain INSERT: nothing reads the row back in the request that queues it.
    A message its recipient did not ask for is not queued to an address on the
    suppression list (suppression.py); that costs a look-up only for such kinds.
    A context's ``petition_id`` is the petition its mail counts for (return_paths.py).
    """
    if suppression.withheld(kind, recipient):
        return False
    now = now or utcnow()
    db.session.execute(_INSERT, dict(
        kind=kind, recipient=recipient, context={"language": language, **context},
        created_at=now, next_attempt_at=now, signature_id=signature_id, headers=headers or None,
    ))
    return True


def _days(seconds):
    """Whole days a link works, never shown as 0."""
    return max(1, seconds // 86400)


def _decision_subject(context):
    title = context["title"]
    return {
        "approve": lambda: gettext("Your signature is now listed: %(title)s", title=title),
        "reject": lambda: gettext("About your signature: %(title)s", title=title),
        "changes": lambda: gettext("Changes needed to your signature: %(title)s", title=title),
    }[context["decision"]]()


def _confirm_subject(context):
    return gettext("Please confirm your signature: %(title)s", title=context["title"])


@dataclass(frozen=True)
class Kind:
    """One kind of message; its templates are emails/<kind>.txt and emails/<kind>.html."""

    subject: Callable[[dict], str]
    # The templates show the petition's title, looked up from the stored petition_id when rendering.
    title: bool = False
    # The setting that says how long the message's link works, shown in whole days.
    link_setting: str | None = None


KINDS = {
    "confirm": Kind(_confirm_subject, title=True, link_setting="CONFIRM_TOKEN_MAX_AGE"),
    "already_signed": Kind(lambda c: gettext("You have already signed: %(title)s", title=c["title"]), title=True),
    "erase": Kind(lambda c: gettext("Confirm the erasure of your data"), link_setting="ERASE_TOKEN_MAX_AGE"),
    "invitation": Kind(lambda c: gettext("%(inviter)s invites you to organise petitions with %(organisation)s",
                                         inviter=c["inviter"], organisation=c["organisation"]),
                       link_setting="INVITE_TOKEN_MAX_AGE"),
    "update": Kind(lambda c: f"{c['update_title']} – {c['petition_title']}"),
    "cosign_confirm": Kind(_confirm_subject, title=True, link_setting="CONFIRM_TOKEN_MAX_AGE"),
    # The one reminder of a pending signature (petitions/mail/reminders.py); not mail its recipient asked for.
    "reminder": Kind(lambda c: gettext("Reminder: please confirm your signature: %(title)s", title=c["title"]),
                     title=True, link_setting="CONFIRM_TOKEN_MAX_AGE"),
    "cosign_decision": Kind(_decision_subject, title=True),
    # Its link works for an hour, not days: the template says so from ``minutes`` in its context.
    "password_reset": Kind(lambda c: gettext("Set a new password for %(site)s", site=current_app.config["SITE_NAME"])),
    # "Keep me informed" (petitions/subscribers): the confirmation its recipient asked for, and organisers' mailings.
    "subscriber_confirm": Kind(lambda c: gettext("Please confirm: news from %(organisation)s",
                                                 organisation=c["organisation"]), link_setting="CONFIRM_TOKEN_MAX_AGE"),
    "subscriber_mailing": Kind(lambda c: f"{c['subject']} – {c['organisation']}"),
}


def _completed(kind, context):
    """The stored context with what is looked up or derived when rendering."""
    if kind.title:
        petition_id, language = context["petition_id"], context["language"]
        context["title"] = caching.remembered(("title", petition_id, language),
                                              lambda: title_in(petition_id, language))[1]
    if kind.link_setting:
        context["max_age_days"] = _days(current_app.config[kind.link_setting])
    if "body_html" in context:  # an update's text, sanitised with nh3 when the organiser wrote it (markup.py)
        context["body_html"] = Markup(context["body_html"])
    return context


def render(row):
    """(subject, text, html) of a queued message, rendered now in its language.

    Messages queued before their facts were kept carry their text already.
    The subject is folded onto one line whatever the stored titles and names
    hold: a line break in a header makes the message unsendable.
    """
    if row.context is None:
        return single_line(row.subject), row.text_body, row.html_body
    kind = KINDS[row.kind]
    language = row.context["language"]
    with force_locale(language):
        context = _completed(kind, dict(row.context))
        subject = single_line(kind.subject(context))
        # What Flask's render_template does for each template, done once for both: the context
        # processors, then the language's own gettext (see _template_gettext).
        app = current_app._get_current_object()
        app.update_template_context(context)
        context.update(_template_gettext(app, language))
        return (
            subject,
            app.jinja_env.get_template(f"emails/{row.kind}.txt").render(context),
            app.jinja_env.get_template(f"emails/{row.kind}.html").render(context),
        )


def _template_gettext(app, language):
    """``gettext`` and ``ngettext`` bound to one language's catalogue, for the email templates' ``_()``.

    Flask-Babel's own look the catalogue up again through the app context on
    every call: 12 times a confirmation, a tenth of the worker's CPU. These are
    made once per language by Jinja's i18n extension, so they behave as
    Flask-Babel's do (newstyle: escaping and %-formatting), and the template
    context takes them before the environment's globals.
    """
    cache = app.extensions.setdefault("petitions.mail_gettext", {})
    if language not in cache:
        i18n = Environment(extensions=["jinja2.ext.i18n"])
        i18n.install_gettext_translations(get_translations(), newstyle=True)  # the forced language's
        cache[language] = {"gettext": i18n.globals["gettext"], "ngettext": i18n.globals["ngettext"]}
    return cache[language]


def queue_confirmation(signature, confirm_url, withdraw_url, now=None, address=None, name=None):
    """Queue the email that asks a signer to confirm their signature.

    ``address`` and ``name`` are what the signer typed: a sealed row's own cannot be read.
    """
    _queue("confirm", address or signature.email, signature.language, dict(
        name=signature.full_name if name is None else name, petition_id=signature.petition_id, confirm_url=confirm_url,
        withdraw_url=withdraw_url, show_name=signature.show_name,
    ), now=now, signature_id=signature.id)


def queue_reminder(signature, confirm_url, withdraw_url, delete_after_days, now=None):
    """Queue the one reminder of a signature still pending: its confirmation link again, said to be the last.

    Only a readable row is reminded (a sealed one's address cannot be read), so its own address and name are used.
    Returns False if it was held back (a suppressed address), True if queued.
    """
    return _queue("reminder", signature.email, signature.language, dict(
        name=signature.full_name, petition_id=signature.petition_id, confirm_url=confirm_url,
        withdraw_url=withdraw_url, show_name=signature.show_name, delete_after_days=delete_after_days,
    ), now=now, signature_id=signature.id)


def queue_already_signed(signature, petition_url, withdraw_url, now=None, address=None, name=None):
    """Tell an address's owner that someone tried to sign again with it (``address``: as just typed)."""
    _queue("already_signed", address or signature.email, signature.language, dict(
        name=signature.full_name if name is None else name, petition_id=signature.petition_id, petition_url=petition_url,
        withdraw_url=withdraw_url,
    ), now=now, signature_id=signature.id)


def queue_erasure_request(address, language, erase_url, count, now=None, subscriptions=0):
    """Ask the owner of an address to confirm that everything about it should be erased.

    ``count``: its signatures and sign-ons; ``subscriptions``: organisations whose news it receives.
    """
    _queue("erase", address, language, dict(erase_url=erase_url, count=count, subscriptions=subscriptions), now=now)


def queue_invitation(address, language, organisation, inviter, role, accept_url, now=None):
    """Invite someone to join an organisation's organisers."""
    _queue("invitation", address, language, dict(
        organisation=organisation, inviter=inviter, role=role, accept_url=accept_url,
    ), now=now)


def queue_password_reset(address, language, reset_url, minutes, now=None):
    """Send an organiser the link that sets a new password ("Forgot your password?")."""
    _queue("password_reset", address, language, dict(reset_url=reset_url, minutes=minutes), now=now)


def queue_update(signature, petition_title, update_title, body_html, body_text, petition_url, withdraw_url,
                 unsubscribe_url, language, now=None, opened=None):
    """An organisers' update to one signer who asked for updates, with one-click unsubscribe (RFC 8058).

    ``opened``: the row's sealed fields, opened for this mailing only. Returns False if the address is
    suppressed (it bounced or complained), True if queued.
    """
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    opened = opened or {"email": signature.email, "full_name": signature.full_name}
    return _queue("update", opened["email"], language, dict(
        name=opened["full_name"], petition_title=petition_title, update_title=update_title,
        body_html=str(body_html), body_text=body_text, petition_url=petition_url, withdraw_url=withdraw_url,
        unsubscribe_url=unsubscribe_url, petition_id=signature.petition_id,
    ), now=now, signature_id=signature.id, headers=headers)


def queue_subscriber_confirmation(address, language, organisation, confirm_url, subscriber_id, now=None):
    """Ask whoever filled in an organisation's "keep me informed" form to confirm their address."""
    _queue("subscriber_confirm", address, language, dict(
        organisation=organisation, confirm_url=confirm_url, subscriber_id=subscriber_id,
    ), now=now)


def queue_subscriber_mailing(address, language, organisation, subject, body_html, body_text, organisation_url,
                             unsubscribe_url, subscriber_id, now=None):
    """An organisation's news to one confirmed subscriber, with one-click unsubscribe (RFC 8058)."""
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    _queue("subscriber_mailing", address, language, dict(
        organisation=organisation, subject=subject, body_html=str(body_html), body_text=body_text,
        organisation_url=organisation_url, unsubscribe_url=unsubscribe_url, subscriber_id=subscriber_id,
    ), now=now, headers=headers)


def _signatory(signatory, contact):
    """What the templates show of whoever co-signed a letter."""
    return {"name": signatory.name, "contact_name": contact["contact_name"], "kind": signatory.kind}


def _contact(signatory, opened):
    # ``opened``: a sealed sign-on's contact details, as typed or opened for this one message.
    return opened or {"email": signatory.email, "contact_name": signatory.contact_name}


def queue_cosign_confirmation(signatory, confirm_url, withdraw_url, now=None, opened=None):
    """Ask whoever signed on to an open letter to confirm their address."""
    contact = _contact(signatory, opened)
    _queue("cosign_confirm", contact["email"], signatory.language, dict(
        signatory=_signatory(signatory, contact), petition_id=signatory.petition_id, signatory_id=signatory.id,
        confirm_url=confirm_url, withdraw_url=withdraw_url,
    ), now=now)


def queue_cosign_decision(signatory, decision, note, letter_url, withdraw_url, now=None, opened=None):
    """Tell whoever signed on what the organisers decided: listed, not listed, or changes needed."""
    contact = _contact(signatory, opened)
    _queue("cosign_decision", contact["email"], signatory.language, dict(
        signatory=_signatory(signatory, contact), petition_id=signatory.petition_id, signatory_id=signatory.id,
        decision=decision, note=note, letter_url=letter_url, withdraw_url=withdraw_url,
    ), now=now)
