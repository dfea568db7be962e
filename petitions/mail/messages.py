"""The emails a signer receives, rendered in the language they signed in."""
from flask import current_app, render_template
from flask_babel import force_locale, gettext

from . import outbox


def _render(template, language, subject, **context):
    with force_locale(language):
        context.update(language=language)
        return (
            subject(),
            render_template(f"emails/{template}.txt", **context),
            render_template(f"emails/{template}.html", **context),
        )


def _days(seconds):
    """Whole days a link works, never shown as 0."""
    return max(1, seconds // 86400)


def queue_confirmation(signature, title, confirm_url, withdraw_url, now=None):
    """Queue the email that asks a signer to confirm their signature."""
    subject, text, html = _render(
        "confirm", signature.language,
        lambda: gettext("Please confirm your signature: %(title)s", title=title),
        name=signature.full_name, title=title, confirm_url=confirm_url, withdraw_url=withdraw_url,
        show_name=signature.show_name,
        max_age_days=_days(current_app.config["CONFIRM_TOKEN_MAX_AGE"]),
    )
    return outbox.queue("confirm", signature.email, subject, text, html, now=now, signature_id=signature.id)


def queue_already_signed(signature, title, petition_url, withdraw_url, now=None):
    """Tell an address's owner that someone tried to sign again with it."""
    subject, text, html = _render(
        "already_signed", signature.language,
        lambda: gettext("You have already signed: %(title)s", title=title),
        name=signature.full_name, title=title, petition_url=petition_url, withdraw_url=withdraw_url,
    )
    return outbox.queue("already_signed", signature.email, subject, text, html, now=now,
                        signature_id=signature.id)


def queue_erasure_request(address, language, erase_url, count, now=None):
    """Ask the owner of an address to confirm that everything about it should be erased."""
    subject, text, html = _render(
        "erase", language, lambda: gettext("Confirm the erasure of your data"),
        erase_url=erase_url, count=count,
        max_age_days=_days(current_app.config["ERASE_TOKEN_MAX_AGE"]),
    )
    return outbox.queue("erase", address, subject, text, html, now=now)
