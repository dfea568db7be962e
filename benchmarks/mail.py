"""How fast confirmation emails leave during a spike: mail workers draining a full outbox.

Signing queues each confirmation as facts (petitions/mail/messages.py); the
mail workers render and send them. This fills the outbox with real
signatures (the signing service, as a request would), starts a real SMTP
server on 127.0.0.1 (aiosmtpd, accepting everything), then runs 1, 2 and 4
senders at once, each doing what `petitions mail send` does (deliver_all),
and times how long they take to empty it. Afterwards it checks that every
message arrived exactly once. Each sender also reports its CPU per message:
the whole process (start-up included), delivery alone, and delivery split
into claim, render, build, send (SMTP I/O) and record (petitions/mail/stats.py).
CPU per message is the figure to compare on a busy machine: wall-clock rates
there measure the neighbours.

    .venv/bin/python benchmarks/mail.py                                  # SQLite and PostgreSQL
    .venv/bin/python benchmarks/mail.py --databases sqlite --messages 1000
    .venv/bin/python benchmarks/mail.py --messages 200 --smtp-delay 0.05   # a slow relay
    .venv/bin/python benchmarks/mail.py --compare-builds                 # EmailMessage, email.mime, compose.py

PostgreSQL: the database ``petitions_mail_bench`` (or --postgres-db) on
--postgres-url's server is dropped and recreated for every run.
"""
import argparse
import asyncio
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from support import BIN, ROOT, free_port, migrate_and_load_demo, recreate_postgres



class Sink:
    """An SMTP server that accepts every message and remembers only its recipients; ``delay`` mimics a slow relay."""

    def __init__(self, delay=0.0):
        self.recipients = []
        self.lock = threading.Lock()
        self.delay = delay

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


FILL = """
import sys
from petitions import create_app
from petitions.extensions import db
from petitions import texts
from petitions.signing import services
from petitions.signing.services import SignerDetails
app = create_app()
count, languages = int(sys.argv[1]), ("en", "ru", "be", "de")
with app.test_request_context():
    petition = texts.find_public_petition("letters-behind-bars")
    for i in range(count):
        details = SignerDetails(full_name=f"Signer {i}", email=f"signer{i}@example.org", country="BY",
                                city=None, show_name=bool(i % 2), wants_updates=False)
        services.sign(petition, details, languages[i % 4])
        if i % 500 == 499:
            db.session.commit()
    db.session.commit()
"""


# What `petitions mail send` does (deliver_all), plus what this process's CPU went on, as JSON on the last line.
SEND = """
import json, resource, sys, time
from petitions import create_app
from petitions.mail.worker import deliver_all
app = create_app()
with app.app_context():
    started = time.process_time()
    sent, failed = deliver_all()
    delivering = time.process_time() - started
    try:
        from petitions.mail.stats import CPU
        split = CPU.seconds
    except ImportError:  # code from before the split was counted
        split = {}
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"sent": sent, "failed": failed, "delivering": delivering, "split": split,
                  "process": usage.ru_utime + usage.ru_stime}))
sys.exit(1 if failed else 0)
"""


def run(database, url, workers, messages, smtp_port, workdir):
    """Fill a fresh database's outbox with ``messages`` confirmations; time ``workers`` senders emptying it.

    Returns (seconds, reports): each sender's JSON report (SEND above).
    """
    env = {**os.environ, "PETITIONS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "DATABASE_URL": url, "PETITIONS_INSTANCE": str(workdir), "BASE_URL": "https://petitions.example.org",
           "MAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "RATELIMIT_ENABLED": "false"}
    migrate_and_load_demo(env)
    subprocess.run([str(BIN / "python"), "-c", FILL, str(messages)], env=env, cwd=ROOT, check=True)
    started = time.monotonic()
    senders = [subprocess.Popen([str(BIN / "python"), "-c", SEND], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    outputs = [s.communicate(timeout=1800) for s in senders]
    seconds = time.monotonic() - started
    if any(s.returncode for s in senders):
        raise SystemExit(f"a sender failed: {outputs}")
    return seconds, [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]


def cpu_columns(reports, messages):
    """CPU milliseconds per message: the whole sender processes, delivery alone, and delivery's stages."""
    def per_message(seconds):
        return f"{seconds * 1000 / messages:.2f}"
    process = sum(r["process"] for r in reports)
    delivering = sum(r["delivering"] for r in reports)
    stages = [per_message(sum(r["split"].get(stage, 0.0) for r in reports)) if reports[0]["split"] else "–"
              for stage in STAGES]
    return [per_message(process), per_message(delivering), *stages]


STAGES = ("claim", "render", "build", "send", "record")


# The ways to build a message compared, on confirmations rendered in en/ru/be/de (--compare-builds).
COMPARE = """
import json, sys, time
from email import generator, policy
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from io import BytesIO
from sqlalchemy import select
from petitions import create_app
from petitions.extensions import db
from petitions.mail import messages
from petitions.mail.compose import build_email_message, compose
from petitions.models import OutboxMessage
app = create_app()
rounds = int(sys.argv[1])
SENDER = app.config["MAIL_FROM"]

def flattened(message):  # what smtplib.send_message does before sending
    out = BytesIO()
    generator.BytesGenerator(out, policy=message.policy.clone(linesep="\\r\\n")).flatten(message)
    return out.getvalue()

def email_message(policy_):
    def build(to, subject, text, html, mid):
        m = build_email_message(SENDER, to, subject, text, html, mid)
        m.policy = policy_
        return flattened(m)
    return build

def mime(to, subject, text, html, mid):
    m = MIMEMultipart("alternative")
    m["From"], m["To"], m["Subject"], m["Message-ID"] = SENDER, to, subject, mid
    m.attach(MIMEText(text, "plain", "utf-8"))
    m.attach(MIMEText(html, "html", "utf-8"))
    return m.as_bytes()

def ours(to, subject, text, html, mid):
    return compose(SENDER, to, subject, text, html, mid).data

with app.app_context():
    rows = db.session.scalars(select(OutboxMessage).limit(8)).all()
    started = time.process_time()
    rendered = [(r.recipient, *messages.render(r), f"<{r.id}@example.org>") for r in rows for _ in range(rounds)]
    figures = {"render": (time.process_time() - started) / len(rendered)}
    for name, build in (("EmailMessage, default policy", email_message(policy.default)),
                        ("EmailMessage, policy=SMTP", email_message(policy.SMTP)),
                        ("email.mime", mime), ("compose.py", ours)):
        started = time.process_time()
        for args in rendered:
            build(*args)
        figures[name] = (time.process_time() - started) / len(rendered)
print(json.dumps(figures))
"""


def compare_builds(rounds):
    """CPU per message of each way to build it, in one process on SQLite; the render of the same messages beside."""
    with tempfile.TemporaryDirectory(prefix="petitions-mail-bench-") as tmp:
        env = {**os.environ, "PETITIONS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
               "DATABASE_URL": f"sqlite:///{tmp}/mail.sqlite", "PETITIONS_INSTANCE": tmp,
               "BASE_URL": "https://petitions.example.org", "MAIL_URL": "smtp://127.0.0.1:25",
               "RATELIMIT_ENABLED": "false"}
        migrate_and_load_demo(env)
        subprocess.run([str(BIN / "python"), "-c", FILL, "8"], env=env, cwd=ROOT, check=True)
        out = subprocess.run([str(BIN / "python"), "-c", COMPARE, str(rounds)], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
    print("| step | CPU ms per message |")
    print("| --- | ---: |")
    for name, seconds in json.loads(out.strip().splitlines()[-1]).items():
        print(f"| {name} | {seconds * 1000:.3f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--postgres-db", default="petitions_mail_bench",
                        help="the database on --postgres-url's server that each run drops and recreates")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--smtp-delay", type=float, default=0.0,
                        help="seconds the SMTP server takes per message, as a slow relay does")
    parser.add_argument("--compare-builds", action="store_true",
                        help="only compare the ways to build a message (CPU per message, in one process)")
    args = parser.parse_args()
    if args.compare_builds:
        compare_builds(rounds=40)
        return
    sink = Sink(args.smtp_delay)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
          f"{args.messages} confirmation emails (en/ru/be/de) to an SMTP server on 127.0.0.1"
          + (f" taking {args.smtp_delay} s per message" if args.smtp_delay else ""))
    print("CPU: ms per message, summed over the senders; process includes start-up, the stages are delivery's "
          "(claim: claiming and reading rows; send: SMTP I/O; record: the commit after each acceptance)")
    print("| database | mail workers | seconds | messages/s | each arrived once | CPU process | CPU delivering | "
          + " | ".join(STAGES) + " |")
    print("| --- | ---: | ---: | ---: | --- |" + " ---: |" * (2 + len(STAGES)))
    try:
        for database in args.databases.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                with tempfile.TemporaryDirectory(prefix="petitions-mail-bench-") as tmp:
                    url = f"sqlite:///{tmp}/mail.sqlite" if database == "sqlite" else recreate_postgres(args.postgres_url, args.postgres_db)
                    with sink.lock:
                        sink.recipients.clear()
                    seconds, reports = run(database, url, workers, args.messages, port, Path(tmp))
                    with sink.lock:
                        arrived = list(sink.recipients)
                    once = len(arrived) == args.messages and len(set(arrived)) == args.messages
                    print(f"| {database} | {workers} | {seconds:.1f} | {args.messages / seconds:,.0f} | "
                          f"{'yes' if once else f'NO ({len(arrived)} arrived, {len(set(arrived))} distinct)'} | "
                          + " | ".join(cpu_columns(reports, args.messages)) + " |", flush=True)
    finally:
        controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
