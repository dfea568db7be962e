"""Delivering the outbox: the one place that commits what delivery changed."""
import time

from flask import current_app

from ..extensions import db
from . import outbox
from .transport import transport_from_config


def deliver_once(limit=None):
    """Deliver one batch of due messages and commit. Returns (sent, failed)."""
    config = current_app.config
    try:
        result = outbox.deliver_due(
            transport_from_config(config), config["MAIL_FROM"],
            limit=limit or config["MAIL_BATCH_SIZE"], max_backoff=config["MAIL_MAX_BACKOFF"],
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def deliver_all(limit=None):
    """Deliver batches until nothing due is left or a batch fails. Returns (sent, failed)."""
    total_sent = total_failed = 0
    while True:
        sent, failed = deliver_once(limit)
        total_sent += sent
        total_failed += failed
        if failed or not sent:
            return total_sent, total_failed


def run_forever(poll_seconds=2.0, stop=lambda: False, on_batch=None):
    """Keep delivering, polling the outbox every ``poll_seconds`` when it is empty."""
    while not stop():
        sent, failed = deliver_all()
        if on_batch and (sent or failed):
            on_batch(sent, failed)
        if not sent or failed:
            time.sleep(poll_seconds)
