"""Two web machines: two gunicorn instances, each with its own mail worker, on one PostgreSQL and one Redis.

Nothing sits in front of them: the test plays the round-robin, sending each
request to one machine or the other. A form served by one is posted to the
other, and a link mailed after signing on one is confirmed on the other.

Needs PostgreSQL and Redis: TEST_DATABASE_URL and TEST_RATELIMIT_STORAGE_URI
(`.ci/run` and `.ci/multi-machine` set both). The test makes a database of
its own on that server and drops it afterwards. Every process it starts is
stopped in the fixture's teardown; every wait is bounded.
"""
import html
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from petitions.config import normalise_database_url

from .helpers import free_port, petition_data
from .faults.test_outages import _post_sign, _start_worker, _stop, _tail, _wait
from .helpers import CONFIRM_FORM_RE, LINK_RE
from .smtp import SmtpServer, text_part

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("TEST_RATELIMIT_STORAGE_URI", "")
SECRET = "two-machines-test-secret-key-0123456789abcdefXYZ"
SLUG = "free-them"
# Per address; the per-client limit is set far out of reach, since every request here comes from 127.0.0.1.
EMAIL_LIMIT = 4

needs_services = [
    pytest.mark.skipif(not PG_URL.startswith("postgres"),
                       reason="needs PostgreSQL (TEST_DATABASE_URL=postgresql://…); .ci/run sets it"),
    pytest.mark.skipif(not REDIS_URL.startswith("redis://"),
                       reason="needs Redis (TEST_RATELIMIT_STORAGE_URI=redis://…); .ci/run sets it"),
]
pytestmark = needs_services


@contextmanager
def fresh_database(server_url, prefix="machines"):
    """A new, empty database on the server of ``server_url``; its URL, for psycopg 3. Dropped on the way out."""
    url = make_url(normalise_database_url(server_url))
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                # FORCE: a connection a killed process left behind must not keep the database alive.
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


class Site:
    """Two machines (gunicorn and a mail worker each) and the SMTP server that takes their mail."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.processes = []
        self.ports = []
        self.smtp = SmtpServer("127.0.0.1", free_port())
        # Addresses no earlier run used: per-address limits in Redis outlive a run.
        self.run = secrets.token_hex(4)

    def env(self, database_url, machine, extra=None):
        return {
            **os.environ, "PETITIONS_ENV": "production", "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
            "PETITIONS_INSTANCE": str(self.tmp_path / f"machine-{machine}"), "BASE_URL": "http://petitions.test",
            "MAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}", "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_SIGN": "100000 per minute", "RATELIMIT_SIGN_EMAIL": f"{EMAIL_LIMIT} per hour",
            # Counts read straight after a confirmation must not come from a rendering kept for 2 seconds.
            "FORM_MIN_SECONDS": "0", "CONFIRM_MIN_SECONDS": "0", "PUBLIC_CACHE_SECONDS": "0",
            "MAIL_RETRY_PAUSE_MAX": "1", "WEB_CONCURRENCY": "2", "GUNICORN_BIND": f"127.0.0.1:{self.ports[machine]}",
            **(extra or {}),
        }

    def start(self, database_url, web_database_url=None, extra_env=None, machines=2):
        """Migrate ``database_url``, add a petition, and start the machines on ``web_database_url`` (or the same)."""
        self.ports = [free_port() for _ in range(machines)]
        setup = self.env(database_url, 0)
        cli = [str(BIN / "petitions")]
        subprocess.run([*cli, "db", "upgrade"], env=setup, cwd=ROOT, check=True, capture_output=True, timeout=120)
        (self.tmp_path / "p.json").write_text(json.dumps(petition_data(slug=SLUG)))
        subprocess.run([*cli, "petition", "import", str(self.tmp_path / "p.json")], env=setup, cwd=ROOT,
                       check=True, capture_output=True, timeout=60)
        self.smtp.start()
        for machine in range(machines):
            env = self.env(web_database_url or database_url, machine, extra_env)
            Path(env["PETITIONS_INSTANCE"]).mkdir()
            with open(self.log(machine), "a") as log:
                self.processes.append(subprocess.Popen(
                    [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env=env, cwd=ROOT,
                    start_new_session=True, stdout=subprocess.DEVNULL, stderr=log))
            self.processes.append(_start_worker(env, self.tmp_path / f"mail-{machine}.log"))
        for machine in range(machines):
            assert _wait(lambda m=machine: self.stamp(m) is not None, 60), \
                f"machine {machine} did not start: {_tail(self.log(machine))}"
        return self

    def stop(self):
        for process in self.processes:
            _stop(process)
            if process.stdout is not None:
                process.stdout.close()
        self.smtp.stop()

    def log(self, machine):
        return self.tmp_path / f"gunicorn-{machine}.log"

    def logs(self):
        return "\n".join(_tail(self.log(m)) for m in range(len(self.ports)))

    def get(self, machine, path):
        conn = _connection(self.ports[machine])
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read().decode(errors="replace")
        finally:
            conn.close()

    def stamp(self, machine):
        """The "served" stamp of the sign form, as machine ``machine`` serves the petition page; None if it cannot."""
        try:
            status, body = self.get(machine, f"/en/p/{SLUG}")
        except OSError:
            return None
        match = re.search(r'name="served" type="hidden" value="([^"]+)"', body)
        return match.group(1) if status == 200 and match else None

    def sign(self, machine, email, stamp):
        status, _headers, _body = _post_sign(self.ports[machine], stamp, email)
        return status

    def address(self, label):
        return f"{label}-{self.run}@example.org"

    def confirmation_path(self, address, timeout=60):
        """The path of the confirmation link mailed to ``address``, once a mail worker (either one) sent it."""
        found = []

        def arrived():
            with self.smtp.lock:
                messages = [m for m in self.smtp.messages if address in str(m["To"])]
            for message in messages:
                match = LINK_RE.search(text_part(message))
                if match:
                    found.append(match.group(1))
                    return True
            return False

        assert _wait(arrived, timeout, step=0.2), f"no confirmation mail for {address}"
        return found[0]

    def confirm(self, machine, path):
        """Open the link and press its button on ``machine``, as a person does. Returns the press's status."""
        return self.press(machine, self.open_confirmation(machine, path))

    def open_confirmation(self, machine, path):
        """Open a confirmation link on ``machine``: its button's (action, served stamp)."""
        status, page = self.get(machine, path)
        button = CONFIRM_FORM_RE.search(page)
        assert status == 200 and button, (status, page[:500])
        return html.unescape(button.group(1)), re.search(r'name="served" value="([^"]+)"', page).group(1)

    def press(self, machine, opened):
        """Press a button opened before, on ``machine``. Returns the press's status and page."""
        action, served = opened
        conn = _connection(self.ports[machine])
        try:
            conn.request("POST", action, urllib.parse.urlencode({"served": served}),
                         {"Content-Type": "application/x-www-form-urlencoded"})
            response = conn.getresponse()
            body = response.read().decode(errors="replace")
            return response.status, body
        finally:
            conn.close()

    def counts(self):
        """The petition's public count as each machine's API gives it."""
        counts = []
        for machine in range(len(self.ports)):
            status, body = self.get(machine, f"/api/v1/petitions/{SLUG}/count")
            assert status == 200, body[:300]
            counts.append(json.loads(body)["signature_count"])
        return counts


def _connection(port):
    import http.client

    return http.client.HTTPConnection("127.0.0.1", port, timeout=20)


def confirmed_rows(database_url):
    engine = create_engine(normalise_database_url(database_url))
    try:
        with engine.connect() as conn:
            return conn.scalar(text("SELECT count(*) FROM signatures WHERE status = 'confirmed'"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def database():
    with fresh_database(PG_URL) as url:
        yield url


@pytest.fixture(scope="module")
def site(database, tmp_path_factory):
    """One site for the module: starting two machines costs more than every test here together."""
    running = Site(tmp_path_factory.mktemp("machines"))
    try:
        yield running.start(database)
    finally:
        running.stop()


# --- what the PgBouncer tests run too --------------------------------------------------------------

def sign_alternately_and_confirm_on_the_other(site, signers, label="alternate"):
    """Sign on machine 0, 1, 0, 1 …, each with the form as the other machine served it; confirm on the other one."""
    stamps = [site.stamp(0), site.stamp(1)]
    before = site.counts()[0]
    for i in range(signers):
        machine = i % 2
        assert site.sign(machine, site.address(f"{label}{i}"), stamps[1 - machine]) == 200, site.logs()
    for i in range(signers):
        other = 1 - i % 2
        status, body = site.confirm(other, site.confirmation_path(site.address(f"{label}{i}")))
        assert status == 200, body[:500]
        # Every confirmation is counted at once, and both machines say so.
        assert site.counts() == [before + i + 1] * 2
    return before + signers


def sign_and_confirm_concurrently(site, signers, label="crowd"):
    """``signers`` people at once, spread over both machines; each presses the button on both machines at once."""
    before = site.counts()[0]
    stamps = [site.stamp(0), site.stamp(1)]

    def sign(i):
        return site.sign(i % 2, site.address(f"{label}{i}"), stamps[(i + 1) % 2])

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(sign, range(signers)))
    assert statuses == [200] * signers, (statuses, site.logs())
    paths = [site.confirmation_path(site.address(f"{label}{i}")) for i in range(signers)]

    # A double press landing on both machines together still counts once. Every page is opened first:
    # a page opened after the other machine's press has confirmed shows "already confirmed", no button.
    presses = [(machine, site.open_confirmation(machine, path)) for path in paths for machine in (0, 1)]
    barrier = threading.Barrier(min(8, len(presses)))

    def press(job):
        machine, opened = job
        try:
            barrier.wait(timeout=5)
        except threading.BrokenBarrierError:
            pass  # the last few presses have fewer partners; they still run
        return site.press(machine, opened)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        pressed = list(pool.map(press, presses))
    assert pressed == [200] * len(presses), (pressed, site.logs())
    assert site.counts() == [before + signers] * 2
    return before + signers


# --- the tests ---------------------------------------------------------------------------------------

def test_signing_on_one_machine_and_confirming_on_the_other_counts_each_signature_once(site, database):
    before = site.counts()[0]
    sign_alternately_and_confirm_on_the_other(site, 6)
    total = sign_and_confirm_concurrently(site, 24)
    assert total == before + 30
    assert confirmed_rows(database) == total
    # The two mail workers shared one outbox and sent each confirmation once.
    signers = sorted([site.address(f"alternate{i}") for i in range(6)] + [site.address(f"crowd{i}") for i in range(24)])
    with site.smtp.lock:
        mailed = sorted(str(m["To"]) for m in site.smtp.messages if str(m["To"]) in signers)
    assert mailed == signers


def test_a_rate_limit_hit_on_both_machines_trips_at_the_same_total_as_on_one(site):
    stamp = site.stamp(0)
    one = site.address("one-machine")
    on_one = [site.sign(0, one, stamp) for _ in range(2 * EMAIL_LIMIT)]
    both = site.address("both-machines")
    on_both = [site.sign(i % 2, both, stamp) for i in range(2 * EMAIL_LIMIT)]
    assert on_one == [200] * EMAIL_LIMIT + [429] * EMAIL_LIMIT
    assert on_both == on_one
    # The limit is per address: someone else still signs, on either machine.
    assert site.sign(1, site.address("someone-else"), stamp) == 200
    assert site.sign(0, site.address("and-another"), stamp) == 200
