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


def queue_invitation(address, language, organisation, inviter, role, accept_url, now=None):
    """Invite someone to join an organisation's organisers."""
    subject, text, html = _render(
        "invitation", language,
        lambda: gettext("%(inviter)s invites you to organise petitions with %(organisation)s",
                        inviter=inviter, organisation=organisation),
        organisation=organisation, inviter=inviter, role=role, accept_url=accept_url,
        max_age_days=_days(current_app.config["INVITE_TOKEN_MAX_AGE"]),
    )
    return outbox.queue("invitation", address, subject, text, html, now=now)


def queue_update(signature, petition_title, update_title, body_html, body_text, petition_url, withdraw_url,
                 unsubscribe_url, language, now=None):
    """An organisers' update to one signer who asked for updates, with one-click unsubscribe (RFC 8058)."""
    subject, text, html = _render(
        "update", language, lambda: f"{update_title} – {petition_title}",
        name=signature.full_name, petition_title=petition_title, update_title=update_title,
        body_html=body_html, body_text=body_text, petition_url=petition_url, withdraw_url=withdraw_url,
        unsubscribe_url=unsubscribe_url,
    )
    headers = {"List-Unsubscribe": f"<{unsubscribe_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return outbox.queue("update", signature.email, subject, text, html, now=now, signature_id=signature.id,
                        headers=headers)


def queue_cosign_confirmation(signatory, title, confirm_url, now=None):
    """Ask whoever signed on to an open letter to confirm their address."""
    subject, text, html = _render(
        "cosign_confirm", signatory.language,
        lambda: gettext("Please confirm your signature: %(title)s", title=title),
        signatory=signatory, title=title, confirm_url=confirm_url,
        max_age_days=_days(current_app.config["CONFIRM_TOKEN_MAX_AGE"]),
    )
    return outbox.queue("cosign_confirm", signatory.email, subject, text, html, now=now)


def queue_cosign_decision(signatory, title, decision, note, letter_url, now=None):
    """Tell whoever signed on what the organisers decided: listed, not listed, or changes needed."""
    subjects = {
        "approve": lambda: gettext("Your signature is now listed: %(title)s", title=title),
        "reject": lambda: gettext("About your signature: %(title)s", title=title),
        "changes": lambda: gettext("Changes needed to your signature: %(title)s", title=title),
    }
    subject, text, html = _render(
        "cosign_decision", signatory.language, subjects[decision],
        signatory=signatory, title=title, decision=decision, note=note, letter_url=letter_url,
    )
    return outbox.queue("cosign_decision", signatory.email, subject, text, html, now=now)
