"""A rate limit holds across gunicorn worker processes when Redis stores it.

Needs Redis: `.ci/run` sets TEST_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/15.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .helpers import free_port, petition_data

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_RATELIMIT_STORAGE_URI", "")

pytestmark = pytest.mark.skipif(
    not REDIS_URL.startswith("redis://"), reason="needs Redis (TEST_RATELIMIT_STORAGE_URI=redis://…); .ci/run sets it"
)
LIMIT = 4


@pytest.fixture
def gunicorn(tmp_path):
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    port = free_port()
    env = {
        **os.environ,
        "PETITIONS_ENV": "production",
        "SECRET_KEY": "multi-worker-test-secret-0123456789abcdef",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'workers.sqlite'}",
        "MAIL_URL": "mailbox://",
        "MAILBOX_DIR": str(tmp_path / "mailbox"),
        "PETITIONS_INSTANCE": str(tmp_path),
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_SIGN": f"{LIMIT} per minute",
        "RATELIMIT_SIGN_EMAIL": "1000 per minute",
        "FORM_MIN_SECONDS": "0",
    }
    petitions_cli = [sys.executable, "-m", "petitions"]
    subprocess.run([*petitions_cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    (tmp_path / "p.json").write_text(json.dumps(petition_data()))
    subprocess.run([*petitions_cli, "petition", "import", str(tmp_path / "p.json")], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/petitions/free-them/count", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("gunicorn did not start: " + server.stderr.read().decode()[-2000:])
    yield base, server.pid
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=20)
    server.stderr.close()


def _workers(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def test_the_signing_limit_is_shared_by_every_worker(gunicorn):
    base, master = gunicorn
    assert len(_workers(master)) == 2

    page = urllib.request.urlopen(f"{base}/en/p/free-them").read().decode()
    served = re.search(r'name="served" type="hidden" value="([^"]+)"', page).group(1)

    def post(i):
        body = urllib.parse.urlencode({
            "served": served, "full_name": f"Signer {i}", "email": f"worker{i}@example.org", "country": "DE",
        }).encode()
        # What a browser sends from our own page (no cookie: supporters' forms need none, see forgery.py).
        request = urllib.request.Request(f"{base}/en/p/free-them", data=body, headers={
            "Sec-Fetch-Site": "same-origin", "Origin": base, "Connection": "close",
            "Content-Type": "application/x-www-form-urlencoded"})
        opener_no_redirect = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener_no_redirect.open(request, timeout=10)
            return response.status, response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.headers

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(post, range(3 * LIMIT)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * LIMIT + [429] * (2 * LIMIT), statuses
    assert all(int(headers["Retry-After"]) > 0 for status, headers in results if status == 429)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
