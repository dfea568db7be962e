"""How fast confirmation emails leave during a spike: mail workers draining a full outbox.

Signing queues each confirmation as facts (petitions/mail/messages.py); the
mail workers render and send them. This fills the outbox with real
signatures (the signing service, as a request would), starts a real SMTP
server on 127.0.0.1 (aiosmtpd, accepting everything), then runs 1, 2 and 4
`petitions mail send` processes at once and times how long they take to
empty it. Afterwards it checks that every message arrived exactly once.

    .venv/bin/python benchmarks/mail.py                                  # SQLite and PostgreSQL
    .venv/bin/python benchmarks/mail.py --databases sqlite --messages 1000
    .venv/bin/python benchmarks/mail.py --messages 200 --smtp-delay 0.05   # a slow relay

PostgreSQL: the database ``petitions_mail_bench`` on --postgres-url's server
is dropped and recreated for every run.
"""
import argparse
import asyncio
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
from petitions.signing import services
from petitions.signing.services import SignerDetails
app = create_app()
count, languages = int(sys.argv[1]), ("en", "ru", "be", "de")
with app.test_request_context():
    petition = services.find_public_petition("letters-behind-bars")
    for i in range(count):
        details = SignerDetails(full_name=f"Signer {i}", email=f"signer{i}@example.org", country="BY",
                                city=None, show_name=bool(i % 2), wants_updates=False)
        services.sign(petition, details, languages[i % 4])
        if i % 500 == 499:
            db.session.commit()
    db.session.commit()
"""


def run(database, url, workers, messages, smtp_port, workdir):
    """Fill a fresh database's outbox with ``messages`` confirmations; time ``workers`` senders emptying it."""
    env = {**os.environ, "PETITIONS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
           "DATABASE_URL": url, "PETITIONS_INSTANCE": str(workdir), "BASE_URL": "https://petitions.example.org",
           "MAIL_URL": f"smtp://127.0.0.1:{smtp_port}", "RATELIMIT_ENABLED": "false"}
    migrate_and_load_demo(env)
    subprocess.run([str(BIN / "python"), "-c", FILL, str(messages)], env=env, cwd=ROOT, check=True)
    started = time.monotonic()
    senders = [subprocess.Popen([str(BIN / "petitions"), "mail", "send"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    outputs = [s.communicate(timeout=600) for s in senders]
    seconds = time.monotonic() - started
    if any(s.returncode for s in senders):
        raise SystemExit(f"a sender failed: {outputs}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--smtp-delay", type=float, default=0.0,
                        help="seconds the SMTP server takes per message, as a slow relay does")
    args = parser.parse_args()
    sink = Sink(args.smtp_delay)
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
          f"{args.messages} confirmation emails (en/ru/be/de) to an SMTP server on 127.0.0.1"
          + (f" taking {args.smtp_delay} s per message" if args.smtp_delay else ""))
    print("| database | mail workers | seconds | messages/s | each arrived once |")
    print("| --- | ---: | ---: | ---: | --- |")
    try:
        for database in args.databases.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                with tempfile.TemporaryDirectory(prefix="petitions-mail-bench-") as tmp:
                    url = f"sqlite:///{tmp}/mail.sqlite" if database == "sqlite" else recreate_postgres(args.postgres_url, "petitions_mail_bench")
                    with sink.lock:
                        sink.recipients.clear()
                    seconds = run(database, url, workers, args.messages, port, Path(tmp))
                    with sink.lock:
                        arrived = list(sink.recipients)
                    once = len(arrived) == args.messages and len(set(arrived)) == args.messages
                    print(f"| {database} | {workers} | {seconds:.1f} | {args.messages / seconds:,.0f} | "
                          f"{'yes' if once else f'NO ({len(arrived)} arrived, {len(set(arrived))} distinct)'} |",
                          flush=True)
    finally:
        controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
