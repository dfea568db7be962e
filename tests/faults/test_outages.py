"""Real servers broken on purpose under load: PostgreSQL, Redis, a mail worker, a slow or flaky SMTP server.

Marked ``faults``: each starts throwaway servers (tests/faults/servers.py)
and real processes (gunicorn, `petitions mail worker`). Every loop is
bounded in count and time; every process is stopped in a finally block.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from petitions.extensions import db
from petitions.mail import messages as mail
from petitions.models import OutboxMessage
from petitions.address_hashes import petition_email_hash

from ..helpers import free_port, petition_data, sign
from .servers import FaultySmtpServer, PostgresCluster, RedisServer

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET = "faults-test-secret-key-0123456789abcdef-xyz"


def _wait(condition, seconds, step=0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def _stop(process, sig=signal.SIGTERM, timeout=15):
    if process is not None and process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _start_worker(env, log):
    """A real `petitions mail worker`; its log goes to a file (a full pipe would stall it)."""
    with open(log, "a") as stderr:
        return subprocess.Popen([str(BIN / "petitions"), "mail", "worker", "--poll", "0.2"], env=env, cwd=ROOT,
                                start_new_session=True, stdout=subprocess.PIPE, stderr=stderr, text=True)


def _tail(path):
    return Path(path).read_text(errors="replace")[-3000:] if Path(path).exists() else ""


# --- PostgreSQL stopped under a signing load ---------------------------------------------------

@pytest.fixture
def postgres():
    cluster = PostgresCluster().create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def slow_smtp():
    servers = []

    def start(**faults):
        server = FaultySmtpServer("127.0.0.1", free_port(), **faults)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _post_sign(port, stamp, email):
    body = urllib.parse.urlencode({"full_name": "Load Signer", "email": email, "country": "BY", "served": stamp,
                                   "website": ""})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/en/p/free-them", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode(errors="replace")
    finally:
        conn.close()


def test_postgres_stopped_under_load_gives_503s_then_recovers_and_mail_goes_out_once(
        postgres, slow_smtp, tmp_path):
    smtp = slow_smtp(delay=0.02)  # the mail worker is mid-claim most of the time
    port = free_port()
    env = {**os.environ, "PETITIONS_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": postgres.url,
           "PETITIONS_INSTANCE": str(tmp_path), "BASE_URL": "http://127.0.0.1", "MAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
           "FORM_MIN_SECONDS": "0", "PUBLIC_CACHE_SECONDS": "0", "GUNICORN_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "RATELIMIT_SIGN": "100000 per minute", "RATELIMIT_SIGN_EMAIL": "100 per minute",
           "MAIL_RETRY_PAUSE_MAX": "1", "MAIL_BATCH_SIZE": "5"}
    cli = [str(BIN / "petitions")]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
    (tmp_path / "p.json").write_text(json.dumps(petition_data()))
    subprocess.run([*cli, "petition", "import", str(tmp_path / "p.json")], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    server = worker = None
    results = []  # (email, status, headers, body, monotonic time)
    stop = threading.Event()
    try:
        with open(tmp_path / "gunicorn.log", "a") as log:
            server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env=env,
                                      cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log)
        worker = _start_worker(env, tmp_path / "worker.log")

        def page_stamp():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/en/p/free-them")
                return re.search(r'name="served" type="hidden" value="([^"]+)"', conn.getresponse().read().decode())
            except OSError:
                return None
            finally:
                conn.close()

        assert _wait(lambda: page_stamp() is not None, 60), "gunicorn did not start"
        stamp = page_stamp().group(1)

        def signer(n):
            for i in range(10_000):
                if stop.is_set():
                    return
                email = f"load{n}-{i}@example.org"
                try:
                    status, headers, body = _post_sign(port, stamp, email)
                except OSError as exc:
                    results.append((email, repr(exc), {}, "", time.monotonic()))
                    continue
                results.append((email, status, headers, body, time.monotonic()))

        threads = [threading.Thread(target=signer, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            assert _wait(lambda: sum(r[1] == 200 for r in results) >= 30, 60), \
                ("the load never got going", Counter(r[1] for r in results), _tail(tmp_path / "gunicorn.log"))
            postgres.stop()
            time.sleep(4)
            postgres.start()
            restarted = time.monotonic()
            # Signing works again within seconds, without restarting anything.
            assert _wait(lambda: any(r[1] == 200 and r[4] > restarted for r in results), 30), (
                Counter(r[1] for r in results if r[4] > restarted), [r[3][:300] for r in results if r[4] > restarted][-1:])
            recovered = min(r[4] for r in results if r[1] == 200 and r[4] > restarted) - restarted
            time.sleep(1)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=20)

        statuses = Counter(r[1] for r in results)
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[503] > 0, "the outage never met a request"
        assert recovered < 15, recovered
        unavailable = [r for r in results if r[1] == 503]
        assert all(r[2].get("Retry-After") == "5" for r in unavailable)
        assert not any(name.lower().startswith("x-ratelimit") for r in unavailable for name in r[2])
        assert all("has not been counted" in r[3] for r in unavailable)

        engine = create_engine(postgres.url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                stored = set(conn.execute(text("SELECT petition_id, email_hash FROM signatures")))
                signers = sorted(conn.scalars(text("SELECT email FROM signatures")))
            # Every "thank you" is a stored signature (hashes are keyed per petition).
            [petition_id] = {petition for petition, _ in stored}
            assert all((petition_id, petition_email_hash(SECRET, petition_id, r[0])) in stored
                       for r in results if r[1] == 200)

            # The mail worker outlived the outage and sends each confirmation exactly once.
            def all_sent():
                with engine.connect() as conn:
                    return conn.scalar(text("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL")) == 0
            assert _wait(all_sent, 90, step=0.5), ("the mail worker did not empty the outbox",
                                                   _tail(tmp_path / "worker.log"))
        finally:
            engine.dispose()
        assert worker.poll() is None, _tail(tmp_path / "worker.log")
        smtp.wait_for(len(signers), timeout=10)
        assert sorted(smtp.recipients()) == signers
    finally:
        stop.set()
        _stop(worker)
        _stop(server)
        if worker is not None:
            worker.stdout.close()


# --- Redis stopped under load ------------------------------------------------------------------

@pytest.fixture
def redis_server():
    server = RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


def test_redis_stopped_under_load_signing_goes_on_and_limits_resume_when_it_returns(redis_server, make_app):
    from petitions.extensions import limiter
    from petitions.organiser.services import import_petition

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_server.url,
                   RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
                   RATELIMIT_SIGN="4 per minute", RATELIMIT_SIGN_EMAIL="100 per minute")
    clients = iter(range(1, 10_000))

    def sign_from(address, email):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return sign(client, email=email).status_code

    def a_new_signer():
        n = next(clients)
        return sign_from(f"198.51.{n // 250}.{n % 250 + 1}", f"crowd{n}@example.org")

    try:
        with app.app_context():
            import_petition(petition_data(), app.config["LANGUAGES"])
            db.session.commit()
            assert [sign_from("203.0.113.1", f"a{i}@example.org") for i in range(5)] == [200] * 4 + [429]
            assert redis_server.keys()

            redis_server.stop()
            crowd = [a_new_signer() for _ in range(40)]
            assert crowd == [200] * 40  # nobody is turned away while Redis is gone
            # Limits still hold meanwhile, counted in this process's memory.
            assert [sign_from("203.0.113.2", f"b{i}@example.org") for i in range(5)] == [200] * 4 + [429]

            redis_server.start()  # back, and empty
            # Flask-Limiter looks for its storage again after 1, 2, 4 … seconds.
            assert _wait(lambda: a_new_signer() == 200 and bool(redis_server.keys()), 40, step=0.5), \
                "the limits never went back to Redis"
            assert [sign_from("203.0.113.3", f"c{i}@example.org") for i in range(5)] == [200] * 4 + [429]
            assert len(redis_server.keys()) >= 2  # the signing limit and the address limit, in Redis again
    finally:
        limiter._storage_dead = False  # one limiter for the whole test run


# --- mail workers killed, stopped, and sharing a slow relay ------------------------------------

def _queue(count):
    for i in range(count):
        mail.queue_erasure_request(f"reader{i}@example.org", "en", f"https://example.org/en/erase/{i}", count=1)
    db.session.commit()


def _worker_env(app, database_url, tmp_path, smtp, **settings):
    return {**os.environ, "PETITIONS_ENV": "testing", "DATABASE_URL": database_url,
            "PETITIONS_INSTANCE": str(tmp_path / "instance"), "MAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "SECRET_KEY": app.config["SECRET_KEY"], **{k: str(v) for k, v in settings.items()}}


def _unsent():
    db.session.remove()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None)))


def test_a_worker_killed_mid_claim_repeats_at_most_one_message(app, database_url, slow_smtp, tmp_path):
    smtp = slow_smtp(delay=0.1)
    _queue(30)
    env = _worker_env(app, database_url, tmp_path, smtp, MAIL_BATCH_SIZE=5, MAIL_CLAIM_SECONDS=1, MAIL_TIMEOUT=1,
                      MAIL_RECONNECTS=0)
    first = second = None
    try:
        first = _start_worker(env, tmp_path / "worker.log")
        assert _wait(lambda: len(smtp.messages) >= 8, 30)
        _stop(first, signal.SIGKILL)
        second = _start_worker(env, tmp_path / "worker.log")
        assert _wait(lambda: _unsent() == 0, 60, step=0.3), "the rest was never sent"
    finally:
        _stop(first, signal.SIGKILL)
        _stop(second)
        for process in (first, second):
            if process is not None:
                process.stdout.close()
    arrived = Counter(smtp.recipients())
    assert set(arrived) == {f"reader{i}@example.org" for i in range(30)}
    assert sum(arrived.values()) - 30 <= 1, arrived.most_common(3)


def test_a_worker_told_to_stop_finishes_the_message_in_flight_and_exits(app, database_url, slow_smtp, tmp_path):
    smtp = slow_smtp(delay=0.3)
    _queue(30)
    env = _worker_env(app, database_url, tmp_path, smtp, MAIL_BATCH_SIZE=10)
    worker = _start_worker(env, tmp_path / "worker.log")
    try:
        assert _wait(lambda: len(smtp.messages) >= 3, 30)
        arrived_before = len(smtp.messages)
        asked = time.monotonic()
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=10)
        took = time.monotonic() - asked
        out = worker.stdout.read()
    finally:
        _stop(worker, signal.SIGKILL)
        worker.stdout.close()
    assert worker.returncode == 0 and "stopped" in out, _tail(tmp_path / "worker.log")
    assert took < 2, took  # one message (0.3 s) and its record, not the rest of the claim
    assert len(smtp.messages) - arrived_before <= 1
    # Everything that went out is recorded, and nothing is left claimed.
    db.session.remove()
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert sum(r.sent_at is not None for r in rows) == len(smtp.messages) < 30
    assert all(r.claimed_until is None for r in rows if r.sent_at is None)


def test_two_workers_share_a_slow_relay(app, database_url, slow_smtp, tmp_path):
    smtp = slow_smtp(delay=0.25)
    _queue(16)
    env = _worker_env(app, database_url, tmp_path, smtp, MAIL_BATCH_SIZE=2)
    workers = []
    try:
        workers = [_start_worker(env, tmp_path / f"worker{n}.log") for n in range(2)]
        assert _wait(lambda: _unsent() == 0, 60, step=0.3)
        for worker in workers:
            _stop(worker)
        outputs = [worker.stdout.read() for worker in workers]
    finally:
        for worker in workers:
            _stop(worker, signal.SIGKILL)
            worker.stdout.close()
    sent_by = [sum(int(n) for n in re.findall(r"sent (\d+)", out)) for out in outputs]
    assert sum(sent_by) == 16 and min(sent_by) > 0, sent_by
    assert sorted(smtp.recipients()) == sorted(f"reader{i}@example.org" for i in range(16))
