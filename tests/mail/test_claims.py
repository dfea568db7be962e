"""Claims, reconnects and stopping: what a mail worker does when the server or the database misbehaves."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from petitions.extensions import db
from petitions.mail import messages as mail
from petitions.mail import outbox, worker
from petitions.models import OutboxMessage, utcnow

from ..helpers import free_port
from ..faults.servers import FaultySmtpServer


def _queue(count):
    for i in range(count):
        mail.queue_erasure_request(f"reader{i}@example.org", "en", f"https://example.org/en/erase/{i}", count=1)
    db.session.commit()


def _rows():
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


@pytest.fixture
def faulty_smtp(app):
    servers = []

    def start(**faults):
        server = FaultySmtpServer("127.0.0.1", free_port(), **faults)
        server.start()
        servers.append(server)
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{server.port}"
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.mark.parametrize("drop_with_421", [False, True], ids=["silently", "with-421"])
def test_a_server_dropping_connections_costs_no_message_an_attempt(app, faulty_smtp, drop_with_421):
    smtp = faulty_smtp(drop_every=7, drop_with_421=drop_with_421)
    _queue(30)
    assert worker.deliver_all() == (30, 0)
    recipients = smtp.recipients()
    assert sorted(recipients) == sorted(f"reader{i}@example.org" for i in range(30))  # each exactly once
    assert smtp.data_commands > 30  # the drops did happen, and were sent again at once
    # Nobody waits for a retry delay: no attempt was counted against any message.
    assert {(row.attempts, row.sent_at is not None) for row in _rows()} == {(0, True)}


def test_an_unreachable_server_counts_an_attempt_only_for_the_message_tried(app):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"
    _queue(3)
    assert worker.deliver_all() == (0, 1)
    first, *rest = _rows()
    assert first.attempts == 1 and first.next_attempt_at > utcnow()
    # The others were not tried: due now, unclaimed, no attempt.
    assert [(r.attempts, r.claimed_until, r.last_error) for r in rest] == [(0, None, None)] * 2


def test_every_message_keeps_one_message_id_from_its_first_claim(smtp_app, smtp_server):
    _queue(2)
    ids, until = outbox.claim(utcnow(), 1, 300, smtp_app.config["MAIL_FROM"])
    db.session.commit()
    (claimed,) = [row for row in _rows() if row.id in ids]
    stored = claimed.message_id
    assert stored and stored.startswith("<") and stored.endswith("@localhost>")
    outbox.release(ids, until)  # given back untried: the next claim keeps the same Message-ID
    db.session.commit()
    assert worker.deliver_all() == (2, 0)
    sent = {m["Message-ID"]: m["To"] for m in smtp_server.wait_for(2)}
    assert sent[stored] == "reader0@example.org" and len(sent) == 2
    assert _rows()[0].message_id == stored


def test_a_claimed_message_is_no_other_workers_until_the_claim_runs_out(smtp_app, smtp_server):
    _queue(3)
    now = utcnow()
    held, _until = outbox.claim(now, 2, 300, smtp_app.config["MAIL_FROM"])  # another worker's claim
    db.session.commit()
    assert worker.deliver_all() == (1, 0)
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["reader2@example.org"]
    # That worker crashed: once its claim runs out, the messages go.
    sent, failed = worker.deliver_due(worker.transport_from_config(smtp_app.config), smtp_app.config["MAIL_FROM"],
                                      now=now + timedelta(seconds=301))
    assert (sent, failed) == (2, 0) and len(held) == 2
    assert sorted(m["To"] for m in smtp_server.wait_for(3)) == [f"reader{i}@example.org" for i in range(3)]


def test_a_claim_takes_only_a_few_messages(smtp_app):
    smtp_app.config["MAIL_BATCH_SIZE"] = 4
    _queue(10)
    ids, _until = outbox.claim(utcnow(), smtp_app.config["MAIL_BATCH_SIZE"], 300, smtp_app.config["MAIL_FROM"])
    db.session.commit()
    assert len(ids) == 4
    assert sum(1 for row in _rows() if row.claimed_until is not None) == 4


def test_stopping_finishes_and_records_the_message_in_flight_and_gives_the_rest_back(smtp_app, smtp_server):
    _queue(5)
    stop_after_first = lambda: len(smtp_server.messages) >= 1  # noqa: E731  (asked to stop during the first send)
    sent, failed, down = worker._deliver(stop_after_first)
    assert (sent, failed, down) == (1, 0, False)
    rows = _rows()
    assert rows[0].sent_at is not None and rows[0].recipient == ""
    # The rest are not claimed any more: another worker may send them at once.
    assert all(r.sent_at is None and r.claimed_until is None and r.attempts == 0 for r in rows[1:])
    assert worker.deliver_all() == (4, 0)
    assert sorted(m["To"] for m in smtp_server.wait_for(5)) == [f"reader{i}@example.org" for i in range(5)]


def test_each_message_is_recorded_as_sent_as_soon_as_the_server_accepts_it(smtp_app, smtp_server, monkeypatch):
    """No transaction spans a batch: what went out stays recorded when a later message fails."""
    _queue(3)
    real_mark = outbox.mark_sent
    marked = []

    def mark(message_id, now):
        if len(marked) == 2:
            raise OperationalError("UPDATE outbox_messages", {}, Exception("server closed the connection"))
        marked.append(message_id)
        real_mark(message_id, now)

    monkeypatch.setattr(outbox, "mark_sent", mark)
    smtp_app.config["MAIL_CLAIM_SECONDS"] = 0  # a claim lasts two messages' worst case: the retries stop soon
    smtp_app.config["MAIL_TIMEOUT"] = 0.2
    smtp_app.config["MAIL_RECONNECTS"] = 0
    with pytest.raises(OperationalError):
        worker.deliver_all()
    rows = _rows()
    assert [r.sent_at is not None for r in rows] == [True, True, False]
    assert len(smtp_server.wait_for(3)) == 3
    # The third went out but its record could not be written: it stays claimed, so no other worker
    # sends it before the claim runs out (then it is the one repeat a crash can cause).
    assert rows[2].claimed_until is not None and rows[2].attempts == 0


def test_the_worker_survives_the_database_going_away_and_carries_on(smtp_app, smtp_server, monkeypatch):
    _queue(2)
    smtp_app.config["MAIL_RETRY_PAUSE_MAX"] = 0
    real_claim = outbox.claim
    failures = []

    def flaky_claim(*args):
        if len(failures) < 3:
            failures.append(1)
            raise OperationalError("SELECT outbox_messages", {}, Exception("connection refused"))
        return real_claim(*args)

    monkeypatch.setattr(outbox, "claim", flaky_claim)
    worker.run_forever(poll_seconds=0, stop=lambda: len(smtp_server.messages) >= 2)
    assert len(failures) == 3
    assert sorted(m["To"] for m in smtp_server.messages) == ["reader0@example.org", "reader1@example.org"]


def test_a_database_restart_after_a_send_is_waited_out_and_the_send_recorded_once(smtp_app, smtp_server, monkeypatch):
    _queue(3)
    real_mark = outbox.mark_sent
    refusals = []

    def mark(message_id, now):
        if message_id == 2 and len(refusals) < 2:  # the database restarts just after the second is accepted
            refusals.append(message_id)
            raise OperationalError("UPDATE outbox_messages", {}, Exception("terminating connection"))
        real_mark(message_id, now)

    monkeypatch.setattr(outbox, "mark_sent", mark)
    assert worker.deliver_all() == (3, 0)
    assert len(refusals) == 2
    assert all(r.sent_at is not None and r.claimed_until is None for r in _rows())
    assert sorted(m["To"] for m in smtp_server.wait_for(3)) == [f"reader{i}@example.org" for i in range(3)]


def test_claims_the_database_would_not_take_back_are_given_back_when_it_returns(smtp_app, smtp_server, monkeypatch):
    """Messages claimed just before the database went away do not wait for their claim to run out."""
    _queue(3)
    real_render = outbox.render_claimed
    real_release = outbox.release

    def database_gone(*args):
        raise OperationalError("SELECT outbox_messages", {}, Exception("connection refused"))

    monkeypatch.setattr(outbox, "render_claimed", database_gone)
    monkeypatch.setattr(outbox, "release", database_gone)
    with pytest.raises(OperationalError):
        worker.deliver_all()
    assert all(r.claimed_until is not None for r in _rows())  # stuck for 300 s, were nothing done
    monkeypatch.setattr(outbox, "render_claimed", real_render)
    monkeypatch.setattr(outbox, "release", real_release)
    assert worker.deliver_all() == (3, 0)
    assert worker._unreleased == {}


def test_giving_back_a_claim_leaves_another_workers_claim_alone(smtp_app):
    _queue(1)
    now = utcnow()
    ids, ours = outbox.claim(now, 1, 1, smtp_app.config["MAIL_FROM"])
    db.session.commit()
    # Ours ran out and another worker claimed the message since.
    theirs_ids, theirs = outbox.claim(now + timedelta(seconds=2), 1, 300, smtp_app.config["MAIL_FROM"])
    db.session.commit()
    assert theirs_ids == ids
    outbox.release(ids, ours)
    db.session.commit()
    assert _rows()[0].claimed_until == theirs
