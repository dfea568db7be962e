"""Instructions per confirming POST, counted by valgrind's callgrind: a figure a busy machine does not move.

CPU time on a shared machine changes by a third from one minute to the next;
the number of instructions the application's process executes for the same
requests does not (the same figure twice within 0.3%). This prepares a
database with the demo petition as ``requests_cpu.py`` does, signs
``--presses`` + 20 signatures, presses 20 confirmation buttons to warm up,
and counts only the next ``--presses`` (callgrind's instrumentation is
switched on around them with ``callgrind_control``). PostgreSQL's own work is
not in the figure: ``requests_cpu.py --database-url`` reads that.

    .venv/bin/python benchmarks/instructions.py                       # SQLite in a temporary directory
    .venv/bin/python benchmarks/instructions.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Needs valgrind (apt-get install valgrind). PostgreSQL: the database
``petitions_cpu_bench`` on that server is dropped and recreated.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from support import BIN, ROOT, served_stamp

WARM_UP = 20


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)  # the run under valgrind
    args = parser.parse_args()
    if args.inside:
        return measure(args)
    if not shutil.which("valgrind"):
        raise SystemExit("needs valgrind: apt-get install valgrind")
    with tempfile.TemporaryDirectory(prefix="petitions-instructions-") as tmp:
        out = os.path.join(tmp, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                   str(BIN / "python"), __file__, "--inside", "--presses", str(args.presses)]
        if args.database_url:
            command += ["--database-url", args.database_url]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(run.stdout + run.stderr)
        total = re.search(r"^totals:\s+(\d+)", open(out).read(), re.M)
        print(run.stdout.strip())
        print(f"confirm  {int(total.group(1)) / args.presses / 1e6:.2f} M instructions per press "
              f"({args.presses} presses after {WARM_UP} of warm-up, {'PostgreSQL' if args.database_url else 'SQLite'})")


def measure(args):
    import requests_cpu  # prepares the database and the environment as that benchmark does

    from sqlalchemy import select
    from werkzeug.test import EnvironBuilder

    with tempfile.TemporaryDirectory(prefix="petitions-instructions-") as tmp:
        requests_cpu.prepare(args.database_url or f"sqlite:///{tmp}/cpu.sqlite", tmp)
        from petitions import create_app
        from petitions.extensions import db
        from petitions.models import Signature, SignatureStatus
        from petitions.signing.services import confirmation_url

        app = create_app()
        statuses = []

        def call(environ):
            b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))

        base, page = requests_cpu.BASE, requests_cpu.PAGE
        stamp = served_stamp(app.test_client().get(page).get_data(as_text=True))
        time.sleep(2.1)  # older than FORM_MIN_SECONDS and CONFIRM_MIN_SECONDS, as a person's would be
        headers = {"Origin": base, "Sec-Fetch-Site": "same-origin"}
        for i in range(args.presses + WARM_UP):
            call(EnvironBuilder(path=page, method="POST", base_url=base, headers=headers, data={
                "full_name": f"Ада Lovelace {i}", "email": f"signer{i}@example.org", "country": "BY",
                "city": "Minsk", "served": stamp, "website": ""}).get_environ())
        with app.app_context():
            pending = db.session.scalars(select(Signature).where(Signature.status == SignatureStatus.PENDING)
                                         .order_by(Signature.id)).all()
            links = [confirmation_url(signature)[len(base):] for signature in pending]
        presses = [EnvironBuilder(path=link, method="POST", base_url=base, headers=headers,
                                  data={"served": stamp}).get_environ() for link in links]
        for environ in presses[:WARM_UP]:
            call(environ)
        statuses.clear()
        subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
        for environ in presses[WARM_UP:]:
            call(environ)
        subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
        if len(statuses) != args.presses or not all(status.startswith("200") for status in statuses):
            raise SystemExit(f"unexpected answers: {sorted(set(statuses))}, {len(statuses)} of {args.presses}")


if __name__ == "__main__":
    sys.exit(main())
