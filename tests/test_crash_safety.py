"""The server killed outright (SIGKILL) in the middle of a signing rush loses nothing it had promised.

The real gunicorn, as production runs it, on the test database (SQLite, or
PostgreSQL with TEST_DATABASE_URL). Clients sign and confirm over HTTP from
threads; the whole server is killed mid-load; then the database must agree
with every answer the clients were given, and a restarted server must show
the exact count.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from sqlalchemy import func, select

from petitions.extensions import db
from petitions.models import OutboxMessage, Signature, SignatureStatus
from petitions.address_hashes import petition_email_hash
from petitions.signing import services

from .helpers import free_port, last_confirm_path, served_stamp

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _start_server(env):
    server = subprocess.Popen([GUNICORN, "-c", "gunicorn.conf.py", "wsgi:app"], env=env, cwd=ROOT,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    port = int(env["GUNICORN_BIND"].rsplit(":", 1)[1])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    server.kill()
    raise AssertionError("gunicorn did not start: " + server.stderr.read().decode()[-2000:])


def _details(email):
    return services.SignerDetails(full_name="Before Rush", email=email, country="DE", city=None,
                                  show_name=False, wants_updates=False)


@pytest.mark.commits
def test_a_killed_server_keeps_every_signature_it_acknowledged_and_the_count_stays_exact(
        app, petition, database_url, tmp_path):
    # Signatures waiting for confirmation before the rush, whose links clients follow during it.
    for i in range(120):
        services.sign(petition, _details(f"early{i}@example.org"), "en")
    db.session.commit()
    links = [last_confirm_path(f"early{i}@example.org") for i in range(120)]
    petition_id = petition.id

    port = free_port()
    env = {**os.environ, "PETITIONS_ENV": "testing", "DATABASE_URL": database_url,
           "PETITIONS_INSTANCE": str(tmp_path / "instance"), "SECRET_KEY": app.config["SECRET_KEY"],
           "BASE_URL": app.config["BASE_URL"], "MAIL_URL": "smtp://127.0.0.1:9", "FORM_MIN_SECONDS": "0",
           "PUBLIC_CACHE_SECONDS": "0", "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "3",
           # Workers freeze their start-up objects early, so the rush runs through that hook too.
           "GUNICORN_GC_FREEZE_AFTER": "2"}
    server = _start_server(env)
    acknowledged, confirmed_ok = [], []
    stop = threading.Event()
    stamp = served_stamp(app)

    def signer(worker):
        n = 0
        while not stop.is_set():
            n += 1
            email = f"rush{worker}-{n}@example.org"
            body = urllib.parse.urlencode({"full_name": "Rush Signer", "email": email, "country": "BY",
                                           "served": stamp, "website": ""})
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("POST", "/en/p/free-them", body, {"Content-Type": "application/x-www-form-urlencoded"})
                if conn.getresponse().status == 200:
                    acknowledged.append(email)
            except OSError:
                return  # the server is gone
            finally:
                conn.close()

    def confirmer(worker):
        for path in links[worker::3]:
            if stop.is_set():
                return
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("POST", path)  # the confirmation page's button
                if conn.getresponse().status == 200:
                    confirmed_ok.append(path)
            except OSError:
                return
            finally:
                conn.close()

    threads = [threading.Thread(target=signer, args=(i,)) for i in range(6)]
    threads += [threading.Thread(target=confirmer, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while (len(acknowledged) < 40 or len(confirmed_ok) < 20) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)  # master and workers, mid-request
    server.wait(timeout=10)
    server.stderr.close()
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acknowledged) >= 40 and len(confirmed_ok) >= 20, "the load never got going"

    db.session.remove()
    key = app.config["HASH_KEY"]
    stored = set(db.session.scalars(select(Signature.email_hash).where(Signature.petition_id == petition_id)))
    # Every "thank you" a client saw is a stored signature.
    assert all(petition_email_hash(key, petition_id, email) in stored for email in acknowledged)
    # Every stored signature has exactly one confirmation email, queued or sent.
    per_signature = dict(db.session.execute(
        select(Signature.id, func.count(OutboxMessage.id))
        .outerjoin(OutboxMessage, (OutboxMessage.signature_id == Signature.id) & (OutboxMessage.kind == "confirm"))
        .group_by(Signature.id)).all())
    assert per_signature and set(per_signature.values()) == {1}, [
        (row.email, row.status, row.created_at, row.confirmation_sends) for row in db.session.scalars(
            select(Signature).where(Signature.id.in_([k for k, v in per_signature.items() if v != 1])))]
    confirmed_rows = db.session.scalar(select(func.count()).select_from(Signature).where(
        Signature.petition_id == petition_id, Signature.status == SignatureStatus.CONFIRMED))
    assert confirmed_rows >= len(confirmed_ok)

    server = _start_server(env)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/api/v1/petitions/free-them/count")
        shown = json.loads(conn.getresponse().read())["signature_count"]
    finally:
        conn.close()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        server.stderr.close()
    assert shown == confirmed_rows
