"""Delivering the outbox: the one place that commits what delivery changed.

How claims keep a crash down to one repeated message, and an orderly stop
to none, is told in petitions/mail/outbox.py. Here: a worker claims a few
messages, sends them one at a time over one SMTP connection kept open while
there is work, and commits each result on its own right after the server
answered. ``run_forever`` outlives every transient fault: a database or
mail server that is down is logged, and the worker waits (a pause that
doubles up to ``MAIL_RETRY_PAUSE_MAX``) and carries on.
"""
import contextlib
import fcntl
import threading
import time
from functools import partial
from time import process_time

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from ..database import REQUEST_CHECKPOINT_WAIT_MS, checkpoint
from ..extensions import db
from ..models import utcnow
from ..subscribers import mailings as subscriber_mailings
from . import outbox, reminders, updates
from .stats import CPU
from .transport import ConnectionFailed, TransportError, transport_from_config


def deliver_all(limit=None):
    """Deliver until nothing is due or the server cannot be reached. Returns (sent, failed).

    A message that failed waits for its retry time, so it is not taken again
    here; one bad message or address never stops the rest from going.
    """
    sent, failed, _down = _deliver(lambda: False, limit)
    return sent, failed


def deliver_due(transport, sender, now=None, limit=50):
    """Claim, send and record up to ``limit`` messages due at ``now``, committing each. Returns (sent, failed).

    For scripts and tests that bring their own transport and clock.
    """
    config = current_app.config
    now = now or utcnow()
    claim_ends = time.monotonic() + lease_seconds(config)
    with _one_claimer_at_a_time_on_sqlite():
        ids, until = _commit(lambda: outbox.claim(now, limit, lease_seconds(config), sender))
    if not ids:
        return 0, 0
    with transport.session() as send:
        sent, failed, _down = _send_claimed(send, sender, (ids, until), claim_ends, lambda: False, lambda: now)
    if sent:
        _empty_log()
    return sent, failed


def lease_seconds(config):
    """How long a claim lasts: MAIL_CLAIM_SECONDS, but never less than two messages' worst case."""
    return max(config["MAIL_CLAIM_SECONDS"], 2 * _message_budget(config))


def _message_budget(config):
    # The longest one message can take: every connection attempt may wait
    # MAIL_TIMEOUT to connect and again for the server's answer.
    return 2 * config["MAIL_TIMEOUT"] * (config["MAIL_RECONNECTS"] + 1)


def _deliver(stop, limit=None):
    """Claim and send until nothing is due, the server is unreachable, or ``stop()``. Returns (sent, failed, down)."""
    config = current_app.config
    sender = config["MAIL_FROM"]
    total_sent = total_failed = 0
    down = False
    _give_back_earlier_claims()
    with transport_from_config(config).session() as send:
        while not stop():
            claim_ends = time.monotonic() + lease_seconds(config)
            started = process_time()
            with _one_claimer_at_a_time_on_sqlite():
                ids, until = _commit(lambda: outbox.claim(utcnow(), limit or config["MAIL_BATCH_SIZE"],
                                                          lease_seconds(config), sender))
                CPU.add(claim=process_time() - started)
                # Organisers' updates are queued a batch at a time once the mail already due is
                # claimed, so confirmations never wait behind a newsletter.
                if not ids and _commit(updates.queue_next_batch):
                    continue
                # Organisations' mailings to their subscribers, likewise (petitions/subscribers/mailings.py).
                if not ids and _commit(subscriber_mailings.queue_next_batch):
                    continue
                # Then, once a minute, the reminders of signatures still pending (reminders.py).
                if not ids and reminders.look_now() and _commit(reminders.queue_due_batch):
                    continue
            if not ids:
                break
            sent, failed, down = _send_claimed(send, sender, (ids, until), claim_ends, stop, utcnow)
            total_sent += sent
            total_failed += failed
            if down:
                break
    if total_sent:
        _empty_log()
    return total_sent, total_failed, down


def _send_claimed(send, sender, claimed, claim_ends, stop, clock):
    """Send claimed messages one by one, recording each as soon as the server answered. Returns (sent, failed, down).

    Stops early, giving the untried rest back, when asked to stop, when the
    claim might run out before the next message is through (another worker
    would then be free to send it too), or when the server cannot be reached
    even after reconnecting: only the message in flight counts that attempt.
    """
    config = current_app.config
    max_backoff = config["MAIL_MAX_BACKOFF"]
    ids, until = claimed
    started, before = process_time(), CPU.seconds["render"] + CPU.seconds["build"]
    try:
        ready, failed = _commit(lambda: outbox.render_claimed(ids, sender, clock(), max_backoff))
    except BaseException:
        _release_quietly(ids, until)
        raise
    # Reading the claimed rows counts with claiming; rendering and building were counted as they happened.
    CPU.add(claim=process_time() - started - (CPU.seconds["render"] + CPU.seconds["build"] - before))
    untried = [item.id for item in ready]
    sent, down = 0, False
    try:
        for item in ready:
            if stop() or time.monotonic() + _message_budget(config) > claim_ends:
                break
            started = process_time()
            try:
                send(item.email)
            except TransportError as exc:
                # If this cannot be recorded, the message is given back untried (finally, below).
                _commit(partial(outbox.mark_failed, item.id, item.attempts, exc, clock(), max_backoff))
                untried.remove(item.id)
                failed += 1
                if isinstance(exc, ConnectionFailed):
                    down = True
                    break
            else:
                # From here until the commit, a crash means this one message goes out again.
                untried.remove(item.id)
                accepted = process_time()
                _record(partial(outbox.record_sent, item, clock()), claim_ends)
                sent += 1
                CPU.add(send=accepted - started, record=process_time() - accepted)
    finally:
        _release_quietly(untried, until)
    return sent, failed, down


def _empty_log():
    """After sending: the outbox rows' addresses are blanked, but SQLite's write-ahead log still holds them.

    Called with every delivery committed, so no transaction is held while it
    waits for readers; a busy log is emptied after the next batch instead.
    """
    try:
        checkpoint(db.engine, wait_ms=REQUEST_CHECKPOINT_WAIT_MS)
    except SQLAlchemyError:
        current_app.logger.warning("could not truncate the SQLite write-ahead log", exc_info=True)


def _commit(change):
    """Run ``change()`` and commit; roll back and re-raise on any error."""
    try:
        result = change()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def _record(change, deadline):
    """Commit what the server's answer changed, retrying while the database is away and the claim lasts.

    The server already has the message: giving up would send it again, so a
    database restart is waited out (the claim keeps other workers off the row).
    """
    pause = 0.25
    while True:
        try:
            _commit(change)
            return
        except SQLAlchemyError:
            if time.monotonic() + pause > deadline:
                raise
            current_app.logger.warning("could not record a delivery; trying again in %.1f s", pause, exc_info=True)
            time.sleep(pause)
            pause = min(pause * 2, 5)


# Claims this process could not give back (the database was away): given back
# as soon as it answers again, rather than when the claim runs out.
_unreleased = {}


def _release_quietly(ids, until):
    if not ids:
        return
    try:
        _commit(lambda: outbox.release(ids, until))
    except Exception:
        _unreleased.setdefault(until, set()).update(ids)
        current_app.logger.warning("could not give back %d claimed messages yet", len(ids), exc_info=True)


def _give_back_earlier_claims():
    """Give back what an earlier round could not; raises (to be retried) while the database is away."""
    for until, ids in list(_unreleased.items()):
        _commit(lambda: outbox.release(sorted(ids), until))  # noqa: B023  (called at once)
        del _unreleased[until]


@contextlib.contextmanager
def _one_claimer_at_a_time_on_sqlite():
    """On PostgreSQL, workers claim through row locks (SELECT … FOR UPDATE SKIP LOCKED).

    SQLite has no row locks, so two workers could claim the same message;
    there they take turns claiming, through a lock file beside the database.
    Sending happens outside the lock, so workers still share a slow relay.
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


def run_forever(poll_seconds=2.0, stop=lambda: False, on_batch=None):
    """Keep delivering until ``stop()``, polling an empty outbox every ``poll_seconds``; never exit on an error.

    A database or mail server that is down is logged and waited out, with a
    pause that doubles from 1 s up to MAIL_RETRY_PAUSE_MAX. ``stop()`` is
    honoured after the message in flight, which is recorded first.
    """
    failures = 0
    while not stop():
        try:
            sent, failed, down = _deliver(stop)
        except Exception:
            failures += 1
            pause = _pause(failures)
            current_app.logger.exception("mail delivery failed; trying again in %d s", pause)
            with contextlib.suppress(Exception):
                db.session.rollback()
            db.session.remove()
            _sleep(pause, stop)
            continue
        if on_batch and (sent or failed):
            on_batch(sent, failed)
        if down:
            failures += 1
            pause = _pause(failures)
            current_app.logger.warning("the mail server cannot be reached; trying again in %d s", pause)
            _sleep(pause, stop)
        else:
            failures = 0
            _sleep(poll_seconds, stop)


def _pause(failures):
    return min(2 ** (failures - 1), current_app.config["MAIL_RETRY_PAUSE_MAX"])


def _sleep(seconds, stop):
    """Sleep, waking early when asked to stop."""
    deadline = time.monotonic() + seconds
    while not stop() and time.monotonic() < deadline:
        time.sleep(min(0.1, max(deadline - time.monotonic(), 0)))


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
