"""Delivering the outbox: the one place that commits what delivery changed."""
import contextlib
import fcntl
import threading
import time

from flask import current_app

from ..database import truncate_wal
from ..extensions import db
from . import outbox, updates
from .transport import transport_from_config


def deliver_once(limit=None):
    """Queue the next batch of any update being mailed, then deliver one batch of due messages.

    Commits each step. Returns (sent, failed, queued).
    """
    with _one_sender_at_a_time_on_sqlite():
        return _deliver_once(limit)


@contextlib.contextmanager
def _one_sender_at_a_time_on_sqlite():
    """On PostgreSQL, workers share the outbox through row locks (SELECT … FOR UPDATE SKIP LOCKED).

    SQLite has no row locks, so two workers could pick the same message; there
    they take turns, through a lock file beside the database.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        yield
        return
    with open(url.database + ".mail-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _deliver_once(limit):
    config = current_app.config
    try:
        queued = updates.queue_next_batch()
        db.session.commit()
        sent, failed = outbox.deliver_due(
            transport_from_config(config), config["MAIL_FROM"],
            limit=limit or config["MAIL_BATCH_SIZE"], max_backoff=config["MAIL_MAX_BACKOFF"],
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if sent:
        # The sent messages' addresses are blanked in the database; on SQLite the log still has them.
        truncate_wal(db.engine)
    return sent, failed, queued


def deliver_all(limit=None):
    """Deliver batches until one sends nothing (the outbox is empty or the server refuses). Returns (sent, failed).

    A message that failed waits for its retry time, so it is not taken again
    here; one bad message or address never stops the rest from going.
    """
    total_sent = total_failed = 0
    while True:
        sent, failed, queued = deliver_once(limit)
        total_sent += sent
        total_failed += failed
        if not (sent or queued):
            return total_sent, total_failed


def run_forever(poll_seconds=2.0, stop=lambda: False, on_batch=None):
    """Keep delivering, polling the outbox every ``poll_seconds`` when it is empty."""
    while not stop():
        sent, failed = deliver_all()
        if on_batch and (sent or failed):
            on_batch(sent, failed)
        if not sent or failed:
            time.sleep(poll_seconds)


class InProcessDelivery:
    """Development convenience: a thread in the web process that delivers the outbox.

    Each successful POST wakes it, and it also looks every few seconds, so a
    newcomer running `make run` sees their email at once without starting a
    worker. Production runs `petitions mail worker` instead.
    """

    def __init__(self, app, poll_seconds=2.0):
        self.app = app
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def nudge(self):
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="petitions-mail", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self):
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self):
        while not self._stopped.is_set():
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
            if self._stopped.is_set():
                return
            with self.app.app_context():
                try:
                    deliver_all()
                except Exception:  # a failed delivery stays queued and is retried
                    self.app.logger.exception("in-process mail delivery failed")
                finally:
                    db.session.remove()
