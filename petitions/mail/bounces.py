"""Reading bounces and complaints (`petitions mail bounces`): the one place that commits what they change.

A report is understood in this order:

- ``multipart/report; report-type=delivery-status`` (RFC 3464): the standard
  library parses its ``message/delivery-status`` part into header blocks.
  A recipient whose Action is "failed" with a 5.x.x Status is a hard bounce;
  "delayed", or any 4.x.x Status (Postfix reports a message that expired in
  its queue as failed, 4.4.x), is a soft one; "delivered", "relayed" and
  "expanded" are notices.
- ``multipart/report; report-type=feedback-report`` (ARF, RFC 5965): a
  Feedback-Type of "abuse" is a complaint; other types (not-spam, virus,
  auth-failure …) ask nothing of us.
- Anything else is given to flufl.bounce,
  Mailman's detectors for the formats mail servers write in their own words
  (older Exim, qmail, Exchange …): a permanent failure it finds is a hard
  bounce, a temporary one soft. It is maintained and understands far more
  of what is out there than we could write by hand; we use it only where
  RFC 3464 gives no Status, because it reads only the Action. What it does
  not recognise is an automatic reply (RFC 3834: out of office), which asks
  nothing of us, or not a report at all.

The message a report is about is found by its return path (return_paths.py),
wherever the report quotes it: the report's own headers (it was sent to the
return path), the returned message's headers, ARF's Original-Mail-From. A
hard bounce or complaint puts the recipient's keyed hash on the suppression
list and counts for the petition (EventKind.MAIL_BOUNCED / MAIL_COMPLAINED),
once per message however often it is read. A report we cannot use (no or an
unknown return path, malformed, not a report at all) changes nothing stored
and is moved aside in the mailbox; one that asks nothing of us is deleted.
"""
import email
from datetime import timedelta
from dataclasses import dataclass, field
from email.parser import HeaderParser

import flufl.bounce
from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import EventKind, ReturnPath, SuppressionReason, utcnow
from ..models.events import count_event
from . import mailboxes, return_paths, suppression


class Verdict:
    """What a report says about the message it is about."""

    HARD = "hard bounce"
    SOFT = "soft bounce"
    COMPLAINT = "complaint"
    NOTICE = "notice"              # asks nothing of us: delivered, relayed, an automatic reply, other feedback
    NOT_A_REPORT = "not a report"
    MALFORMED = "malformed report"

    # Acted upon once their message is known; the others change nothing.
    COUNTED = (HARD, COMPLAINT)
    # Read, understood, and deleted from the mailbox.
    UNDERSTOOD = (HARD, SOFT, COMPLAINT, NOTICE)


@dataclass(frozen=True)
class Reading:
    verdict: str
    detail: str


def classify(message):
    """The ``Reading`` of a parsed report (``email.message.Message``)."""
    if message.get_content_type() == "multipart/report":
        report_type = (message.get_param("report-type") or "").strip().lower()
        if report_type == "delivery-status":
            return _delivery_status(message)
        if report_type == "feedback-report":
            return _feedback(message)
        if report_type:
            return Reading(Verdict.NOTICE, f"a report of type {report_type}")
        return Reading(Verdict.MALFORMED, "a multipart/report without a report-type")
    # Bounces in a server's own words are marked Auto-Submitted too (Exim's are): read them first.
    found = _in_own_words(message)
    if found:
        return found
    if _automatic_reply(message):
        return Reading(Verdict.NOTICE, "an automatic reply")
    return Reading(Verdict.NOT_A_REPORT, f"a {message.get_content_type()} message")


def _delivery_status(message):
    hard, soft, notices, failed_without_status = [], [], [], False
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status" or not isinstance(part.get_payload(), list):
            continue
        for block in part.get_payload():  # the per-message block, then one per recipient
            action = (block.get("Action") or "").strip().lower()
            if not action:
                continue
            status = (block.get("Status") or "").strip().split(" ", 1)[0]
            if action.startswith("delayed") or status.startswith("4."):
                soft.append(status or action)
            elif action.startswith(("failed", "error")):  # opensmtpd writes "error"
                if status.startswith("5."):
                    hard.append(status)
                else:
                    failed_without_status = True
            elif action.startswith(("delivered", "relayed", "expanded")):
                notices.append(action)
    if hard:
        return Reading(Verdict.HARD, f"status {hard[0]}")
    if soft:
        return Reading(Verdict.SOFT, f"status {soft[0]}")
    if notices:
        return Reading(Verdict.NOTICE, f"a delivery report: {notices[0]}")
    # No usable delivery-status fields: perhaps a server's own words in the text part say more.
    found = _in_own_words(message)
    if found:
        return found
    if failed_without_status:
        return Reading(Verdict.MALFORMED, "a failed delivery without a 5.x.x or 4.x.x status")
    return Reading(Verdict.MALFORMED, "a delivery report without delivery-status fields")


def _feedback(message):
    for part in message.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        payload = part.get_payload()
        fields = payload[0] if isinstance(payload, list) and payload else HeaderParser().parsestr(str(payload))
        feedback_type = (fields.get("Feedback-Type") or "").strip().lower()
        if not feedback_type:
            return Reading(Verdict.MALFORMED, "a feedback report without a Feedback-Type")
        if feedback_type == "abuse":
            return Reading(Verdict.COMPLAINT, "feedback type abuse")
        return Reading(Verdict.NOTICE, f"feedback type {feedback_type}")
    return Reading(Verdict.MALFORMED, "a feedback report without its message/feedback-report part")


def _automatic_reply(message):
    # RFC 3834: automatic replies go to the return path. An out-of-office message is not a bounce.
    submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    return submitted.startswith("auto-replied") or bool(message.get("X-Autoreply")) \
        or (message.get("Precedence") or "").strip().lower() == "auto_reply"


def _in_own_words(message):
    try:
        temporary, permanent = flufl.bounce.all_failures(message)
    except Exception:  # a detector choking on a strange message: it is then not one we understand
        current_app.logger.warning("flufl.bounce could not read a message", exc_info=True)
        return None
    if permanent:
        return Reading(Verdict.HARD, "a permanent failure in the mail server's own words")
    if temporary:
        return Reading(Verdict.SOFT, "a temporary failure in the mail server's own words")
    return None


def return_path_tokens(message, pattern):
    """The return-path tokens a report quotes, in its headers and in every message or headers it contains."""
    found = set()
    for part in message.walk():
        for _name, value in part.items():
            found.update(token.lower() for token in pattern.findall(str(value)))
        if part.get_content_type() == "text/rfc822-headers":
            text = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
            for _name, value in HeaderParser().parsestr(text).items():
                found.update(token.lower() for token in pattern.findall(str(value)))
    return found


@dataclass
class Outcome:
    """What handling one report did: whether it was understood (then deleted) and a line saying what."""

    understood: bool
    line: str
    counted: bool = False


def handle(raw, now=None):
    """Read one report (its bytes) and act on it. Returns an ``Outcome``. Flushes; the caller commits."""
    config = current_app.config
    now = now or utcnow()
    try:
        message = email.message_from_bytes(raw)
        reading = classify(message)
        tokens = return_path_tokens(message, return_paths.token_pattern(config["BOUNCE_ADDRESS"]))
    except Exception as exc:  # the email package is lenient; this is a message it could not take apart at all
        return Outcome(False, f"malformed: {type(exc).__name__}; nothing changed, moved aside")
    what = f"{reading.verdict} ({reading.detail})"
    if reading.verdict in (Verdict.NOT_A_REPORT, Verdict.MALFORMED):
        return Outcome(False, f"{what}: nothing changed, moved aside")
    if reading.verdict not in Verdict.COUNTED:
        return Outcome(True, f"{what}: nothing to do, deleted")
    if not tokens:
        return Outcome(False, f"{what} that names no message of ours (no return path): nothing changed, moved aside")
    if len(tokens) > 1:
        return Outcome(False, f"{what} that names {len(tokens)} messages: nothing changed, moved aside")
    returned = return_paths.find(tokens.pop())
    if returned is None:
        return Outcome(False, f"{what} for an unknown return path (made up, or older than "
                              f"BOUNCE_WINDOW_DAYS): nothing changed, moved aside")
    about = f"a {returned.row.kind} message" + (
        f" about petition {returned.row.petition_id}" if returned.row.petition_id is not None else "")
    if not _count(returned, reading.verdict, now):
        return Outcome(True, f"{what} of {about}: counted before, deleted")
    return Outcome(True, f"{what} of {about}: address suppressed, deleted", counted=True)


def _count(returned, verdict, now):
    """Suppress and count once per message; False when this message's bounce or complaint was counted before."""
    row = returned.row
    column = ReturnPath.bounced_at if verdict == Verdict.HARD else ReturnPath.complained_at
    changed = db.session.execute(
        update(ReturnPath).where(ReturnPath.token_digest == row.token_digest, column.is_(None))
        .values({column.key: now}).execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        return False
    hard = verdict == Verdict.HARD
    suppression.suppress(returned.address_hash, SuppressionReason.BOUNCED if hard else SuppressionReason.COMPLAINED,
                         now)
    if row.petition_id is not None:
        count_event(db.session, row.petition_id, EventKind.MAIL_BOUNCED if hard else EventKind.MAIL_COMPLAINED)
    return True


@dataclass
class Summary:
    read: int = 0
    counted: int = 0
    deleted: int = 0
    set_aside: int = 0
    pruned: int = 0
    lines: list = field(default_factory=list)


def read_mailbox(url, echo=lambda line: None, now=None):
    """Handle every report in the mailbox ``url``, committing each before it leaves the mailbox. Returns a ``Summary``.

    Raises mailboxes.MailboxError when the mailbox cannot be read, and a
    database error as it comes (rolled back): the report then stays in the
    mailbox for the next run, and one whose count was committed before its
    deletion failed counts nothing the second time.
    """
    summary = Summary()
    with mailboxes.opened(url, timeout=current_app.config["MAIL_TIMEOUT"]) as box:
        for key in box.keys():
            raw = box.read(key)
            try:
                outcome = handle(raw, now)
                db.session.commit()
            except SQLAlchemyError:
                db.session.rollback()
                raise
            summary.read += 1
            summary.counted += outcome.counted
            if outcome.understood:
                box.done(key)
                summary.deleted += 1
            else:
                box.set_aside(key)
                summary.set_aside += 1
            line = f"{key}: {outcome.line}"
            summary.lines.append(line)
            echo(line)
        cutoff = (now or utcnow()) - timedelta(days=current_app.config["BOUNCE_WINDOW_DAYS"])
        summary.pruned = box.prune_aside(cutoff)
        if summary.pruned:
            echo(f"deleted {summary.pruned} set aside before {cutoff:%Y-%m-%d}")
    return summary
