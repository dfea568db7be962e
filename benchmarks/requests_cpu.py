"""CPU per request of the reading GETs, the signing POST and the confirmation POST, in-process, one at a time.

What `make bench` measures under load depends on everything sharing the
machine; this isolates the application's own work, to see what a change
saves. Requests are built beforehand and only the WSGI application is timed
(no HTTP server, no test client), against a fresh database with the demo
petition, in the production profile. The confirmation is the press of the
button on the link's page, as a browser sends it (opening the link changes nothing).

The GETs are measured first, each beside the same GET of a bare Flask
application (benchmarks/bare_app.py) built in this process: /healthz, the
petition page and the count endpoint, served as under load, mostly from the
page cache (PUBLIC_CACHE_SECONDS, 2 s by default in production).

    .venv/bin/python benchmarks/requests_cpu.py                       # SQLite in a temporary directory
    .venv/bin/python benchmarks/requests_cpu.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/requests_cpu.py --profile sign         # and where the time goes (cProfile)
    .venv/bin/python benchmarks/requests_cpu.py --profile page         # the same for a cached page
    .venv/bin/python benchmarks/requests_cpu.py --sealed               # the demo organisation's protection on

PostgreSQL: the database ``petitions_cpu_bench`` on that server is dropped and recreated.
"""
import argparse
import cProfile
import os
import secrets
import pstats
import subprocess
import sys
import tempfile
import time

from support import BIN, ROOT, SLUG, migrate_and_load_demo, recreate_postgres, served_stamp

BASE = "http://127.0.0.1:9999"
PAGE = f"/en/p/{SLUG}"
ORGANISATION = "Letters Behind Bars"  # the demo petition's


def prepare(database_url, instance, sealed=False):
    if database_url.startswith("postgresql"):
        database_url = recreate_postgres(database_url, "petitions_cpu_bench")
    os.environ.update(PETITIONS_ENV="production", SECRET_KEY=secrets.token_urlsafe(48), BASE_URL=BASE,
                      MAIL_URL="smtp://127.0.0.1:9", RATELIMIT_ENABLED="false", DATABASE_URL=database_url,
                      PETITIONS_INSTANCE=str(instance))
    migrate_and_load_demo()
    if sealed:
        # The passphrase's Argon2id cost is paid once here and is no part of signing.
        passphrase = os.path.join(instance, "passphrase")
        with open(passphrase, "w") as handle:
            handle.write("requests cpu benchmark passphrase\n")
        subprocess.run([str(BIN / "petitions"), "keys", "create", "--organisation", ORGANISATION,
                        "--passphrase-file", passphrase, "--recovery-file", os.path.join(instance, "kit")],
                       env={**os.environ, "SEALING_KDF_PROFILE": "interactive"}, cwd=ROOT, check=True,
                       capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=5000, help="requests per GET scenario")
    parser.add_argument("--profile", choices=("bare", "hello", "page", "count", "sign", "confirm"),
                        help="print cProfile's top functions for one")
    parser.add_argument("--sealed", action="store_true", help="turn protection on for the demo organisation first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="petitions-cpu-") as tmp:
        prepare(args.database_url or f"sqlite:///{tmp}/cpu.sqlite", tmp, args.sealed)
        measure(args)


def measure(args):
    from sqlalchemy import func, select
    from werkzeug.test import EnvironBuilder

    from petitions import create_app
    from petitions.extensions import db
    from petitions.models import Signature, SignatureStatus
    from petitions.signing.services import confirmation_url

    app = create_app()
    statuses = []

    def call(environ):
        b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))

    stamp = served_stamp(app.test_client().get(PAGE).get_data(as_text=True))
    measure_reads(app, args)
    time.sleep(2.1)  # older than FORM_MIN_SECONDS, as a person's form would be
    headers = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}

    def sign_request(i):
        return EnvironBuilder(path=PAGE, method="POST", base_url=BASE, headers=headers, data={
            "full_name": f"Ада Lovelace {i}", "email": f"signer{i}@example.org", "country": "BY", "city": "Minsk",
            "served": stamp, "website": ""}).get_environ()

    for i in range(-50, 0):  # warm up: templates compiled, statements prepared
        call(sign_request(i))
    n = args.requests
    runs = {"sign": ([sign_request(i) for i in range(n)], "200")}
    for label in ("sign", "confirm"):
        if label == "confirm":
            with app.app_context():
                pending = db.session.scalars(select(Signature).where(Signature.status == SignatureStatus.PENDING)
                                             .order_by(Signature.id)).all()
                links = [confirmation_url(s)[len(BASE):] for s in pending][-n:]
            # The press carries a page's "served at" stamp older than CONFIRM_MIN_SECONDS, as a person's does.
            runs["confirm"] = ([EnvironBuilder(path=link, method="POST", base_url=BASE, headers=headers,
                                               data={"served": stamp}).get_environ() for link in links], "200")
        environs, expected = runs[label]
        statuses.clear()
        profiler = cProfile.Profile() if args.profile == label else None
        server = database_server_cpu(app)
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for environ in environs:
            call(environ)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server = database_server_cpu(app) - server
        if not all(status.startswith(expected) for status in statuses):
            raise SystemExit(f"{label}: unexpected responses {sorted(set(statuses))}")
        if label == "confirm":
            with app.app_context():  # a 200 alone could be the page that only shows the button
                confirmed = db.session.scalar(select(func.count()).select_from(Signature)
                                              .where(Signature.status == SignatureStatus.CONFIRMED))
            if confirmed != len(environs):
                raise SystemExit(f"confirm: {confirmed} signatures confirmed by {len(environs)} presses")
        note = " (profiled: slower)" if profiler else ""
        if server:
            note += f"; PostgreSQL's own CPU {server / len(environs) * 1000:.2f} ms per request"
        print(f"{label:8} {cpu / len(environs) * 1000:6.2f} ms CPU, {wall / len(environs) * 1000:6.2f} ms wall "
              f"per request, {len(environs)} requests{note}")
        if profiler:
            pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)


def database_server_cpu(app):
    """CPU seconds used so far by the PostgreSQL backends serving this benchmark's database (0.0 on SQLite).

    Read from /proc, so other work on the machine does not count, unlike wall time.
    """
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from petitions.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return 0.0
        url = db.engine.url
    # A connection of its own: the app's pool would hand back the very backend being measured.
    with create_engine(url, poolclass=NullPool).connect() as conn:
        pids = conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()")).all()
    ticks = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a backend on another machine, or gone
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def timed(label, app, environs, profile):
    """CPU and wall time per request of ``app`` over ``environs`` (fresh copies: WSGI may change them)."""
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    profiler = cProfile.Profile() if profile == label else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for environ in environs:
        b"".join(app(environ, start_response))
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if not all(status.startswith("200") for status in statuses):
        raise SystemExit(f"{label}: unexpected responses {sorted(set(statuses))}")
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(40)
    return cpu / len(environs), wall / len(environs)


def measure_reads(app, args):
    """The GETs, each beside a bare Flask app's: what petitions adds to a request Flask answers anyway."""
    from werkzeug.test import EnvironBuilder

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bare_app import app as bare

    def environs(path, n):
        # A browser's GET: no cookie, the headers of a first visit.
        template = EnvironBuilder(path=path, base_url=BASE, headers={
            "Accept": "text/html", "Accept-Language": "en-GB,en;q=0.8", "User-Agent": "bench"}).get_environ()
        return [dict(template) for _ in range(n)]

    n = args.reads
    for label, target, path in (("bare", bare, "/"), ("hello", app, "/healthz"), ("page", app, PAGE),
                                ("count", app, f"/api/v1/petitions/{SLUG}/count")):
        timed(label, target, environs(path, 200), None)  # warm up
        cpu, wall = timed(label, target, environs(path, n), args.profile)
        if label == "bare":
            bare_cpu = cpu
        note = " (profiled: slower)" if args.profile == label else ""
        print(f"{label:8} {cpu * 1e6:6.0f} µs CPU, {wall * 1e6:6.0f} µs wall per request, {n} requests, "
              f"{cpu / bare_cpu:4.1f}× bare Flask's CPU{note}")


if __name__ == "__main__":
    main()
