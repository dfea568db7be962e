"""A viral spike on one machine: the real server under load, against SQLite and PostgreSQL.

Starts gunicorn exactly as the README's production section does
(``gunicorn -c gunicorn.conf.py wsgi:app``, PETITIONS_ENV=production,
rate limits off with RATELIMIT_ENABLED=false), loads it with wrk from
another process on 127.0.0.1, and prints requests per second, p50 and p99
latency and errors for:

    bare     a bare Flask app (benchmarks/bare_app.py) under the same gunicorn.conf.py:
             the baseline other projects are compared against (run first and last)
    hello    /healthz inside petitions, which touches nothing
    page     the petition page
    count    the count endpoint of the JSON API
    sign     the full signing POST: a fresh address each time, as a browser sends it
    confirm  the button of the confirmation links those signatures were sent
             (a POST: opening a link only shows the button)

Every figure is also given as a share of the bare app measured in the same
run, which is what to compare between machines. Afterwards it checks that
the count shown equals the confirmed rows.

    .venv/bin/python benchmarks/load.py                       # both databases, 10 s per scenario
    .venv/bin/python benchmarks/load.py --databases sqlite --seconds 5

PostgreSQL: the database ``petitions_bench`` on --postgres-url's server is
dropped and recreated. Needs wrk (apt-get install wrk).
"""
import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from support import BIN, DEMO_ORGANISATION, ROOT, SLUG, free_port, migrate_and_load_demo, recreate_postgres, served_stamp

LUA = Path(__file__).resolve().parent / "wrk" / "load.lua"
# Shares of the bare Flask app (issue 19).
TARGETS = {"page": 0.50, "count": 0.70, "sign": 0.12, "confirm": 0.12}


def environment(database_url, instance, port):
    return {
        **os.environ,
        "PETITIONS_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "PETITIONS_INSTANCE": instance,
        "BASE_URL": f"http://127.0.0.1:{port}",
        "MAIL_URL": "smtp://127.0.0.1:9",  # nothing is sent: confirmations queue in the outbox
        "RATELIMIT_ENABLED": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }


def run_python(env, code):
    result = subprocess.run([str(BIN / "python"), "-c", code], env=env, cwd=ROOT, check=True,
                            capture_output=True, text=True)
    return result.stdout


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def wait_until_up(base, path="/healthz"):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(base + path).strip() == "ok":
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start; see its output above")


def wrk(url, seconds, connections, threads, **bench_env):
    env = {**os.environ, "BENCH_THREADS": str(threads), **{f"BENCH_{k.upper()}": str(v) for k, v in bench_env.items()}}
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(LUA), url],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("BENCH "))
    result = json.loads(line[len("BENCH "):])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def workers_rss_mb(master_pid):
    """Resident memory of each gunicorn worker (children of the master), in MB."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master_pid}$", text, re.M):
            rss = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
            if rss:
                sizes.append(int(rss.group(1)) / 1024)
    return sizes


LINKS_CODE = """
from sqlalchemy import select
from petitions import create_app
from petitions.extensions import db
from petitions.models import Signature, SignatureStatus
from petitions.signing.services import confirmation_url
app = create_app()
with app.app_context():
    rows = db.session.scalars(select(Signature).where(Signature.status == SignatureStatus.PENDING)
                              .order_by(Signature.id)).all()
    base = app.config["BASE_URL"]
    print("\\n".join(confirmation_url(s)[len(base):] for s in rows))
"""

CONFIRMED_CODE = """
from sqlalchemy import func, select
from petitions import create_app
from petitions.extensions import db
from petitions.models import Signature, SignatureStatus
app = create_app()
with app.app_context():
    print(db.session.scalar(select(func.count()).select_from(Signature)
                            .where(Signature.status == SignatureStatus.CONFIRMED)))
"""


def start_bare(workdir):
    """The bare Flask app under the project's gunicorn.conf.py, on a port of its own; (process, base URL)."""
    port = free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--pythonpath", "benchmarks",
                               "bare_app:app"], env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, "/")
    except BaseException:
        server.terminate()
        raise
    return server, base


def bench_database(name, database_url, args, workdir, bare_base):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    instance = str(workdir / name)
    env = environment(database_url, instance, port)
    migrate_and_load_demo(env)
    if args.sealed:
        # Protection on: every signature is sealed to the demo organisation's key while it is signed.
        passphrase = workdir / f"{name}-passphrase.txt"
        passphrase.write_text("a passphrase for the benchmark only\n")
        subprocess.run([str(BIN / "petitions"), "keys", "create", "--organisation", DEMO_ORGANISATION,
                        "--passphrase-file", str(passphrase), "--recovery-file", str(workdir / f"{name}-kit.txt")],
                       env=env, cwd=ROOT, check=True, capture_output=True)
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"], env=env, cwd=ROOT)
    results = {}
    try:
        wait_until_up(base)
        page_path = f"/en/p/{SLUG}"
        stamp = served_stamp(get(base + page_path))
        time.sleep(2.1)  # the form must look filled by a person: older than FORM_MIN_SECONDS
        common = dict(seconds=args.seconds, connections=args.connections, threads=args.threads)
        runs = [("hello", "/healthz", {}), ("page", page_path, {}),
                ("count", f"/api/v1/petitions/{SLUG}/count", {}),
                ("sign", page_path, dict(mode="sign", path=page_path, stamp=stamp, origin=base, run=port))]
        warm = dict(common, seconds=args.warmup)
        wrk(bare_base + "/", **warm)
        bare = [wrk(bare_base + "/", **common)]
        print(f"  {name:10} bare     {bare[0]['rps']:8.0f}/s  errors {bare[0]['errors']}", file=sys.stderr)
        hello = []
        rss = []  # (after which scenario, the workers' median RSS): memory must stay flat through the run
        for label, path, extra in runs:
            if not extra:
                # Not counted: each worker's first pages load templates and CLDR data, seconds on a busy machine.
                wrk(base + path, **warm)
            result = wrk(base + path, **common, **extra)
            (hello.append(result) if label == "hello" else results.__setitem__(label, result))
            rss.append((label, statistics.median(workers_rss_mb(server.pid))))
            print(f"  {name:10} {label:8} {result['rps']:8.0f}/s  errors {result['errors']}", file=sys.stderr)
        links = workdir / f"{name}-links.txt"
        links.write_text(run_python(env, LINKS_CODE))
        fresh = len(links.read_text().split())
        # A press carries the confirm page's "served at" stamp, older than CONFIRM_MIN_SECONDS, as a person's does.
        press_stamp = served_stamp(get(base + links.read_text().split()[0]))
        time.sleep(1.1)
        results["confirm"] = wrk(base + "/", **common, mode="confirm", links=links, origin=base, stamp=press_stamp)
        results["confirm"]["fresh_links"] = fresh
        rss.append(("confirm", statistics.median(workers_rss_mb(server.pid))))
        print(f"  {name:10} confirm  {results['confirm']['rps']:8.0f}/s  ({fresh} links)", file=sys.stderr)
        hello.append(wrk(base + "/healthz", **common))
        results["hello"] = dict(hello[-1])
        results["hello"]["runs"] = [round(r["rps"]) for r in hello]
        results["hello"]["rps"] = statistics.median(r["rps"] for r in hello)
        bare.append(wrk(bare_base + "/", **common))
        print(f"  {name:10} bare     {bare[-1]['rps']:8.0f}/s  errors {bare[-1]['errors']}", file=sys.stderr)
        results["bare"] = dict(bare[-1])
        results["bare"]["runs"] = [round(r["rps"]) for r in bare]
        results["bare"]["rps"] = statistics.median(r["rps"] for r in bare)
        results["rss_mb"] = workers_rss_mb(server.pid)
        rss.append(("hello", statistics.median(results["rss_mb"])))
        results["rss_steps"] = rss
        time.sleep(float(os.environ.get("PUBLIC_CACHE_SECONDS", 2)) + 0.5)
        shown = json.loads(get(base + f"/api/v1/petitions/{SLUG}/count"))["online_count"]
        results["count_check"] = {"shown": shown, "confirmed_rows": int(run_python(env, CONFIRMED_CODE))}
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def report(name, results):
    bare = results["bare"]["rps"]
    print(f"\n{name} (baseline, bare Flask: {bare:,.0f}/s, runs {results['bare']['runs']}; "
          f"/healthz runs {results['hello']['runs']})")
    print("| scenario | requests/s | p50 ms | p99 ms | errors | bare Flask, requests/s | share of bare | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label in ("bare", "hello", "page", "count", "sign", "confirm"):
        r = results[label]
        share = r["rps"] / bare
        target = TARGETS.get(label)
        verdict = "" if target is None else f"≥ {target:.0%} {'ok' if share >= target else 'MISSED'}"
        print(f"| {label} | {r['rps']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | "
              f"{bare:,.0f} | {share:.0%} | {verdict} |")
    check = results["count_check"]
    print(f"count shown {check['shown']}, confirmed rows {check['confirmed_rows']}: "
          f"{'exact' if check['shown'] == check['confirmed_rows'] else 'WRONG'}; "
          f"confirm used {results['confirm']['fresh_links']} fresh links; "
          f"worker RSS MB: {', '.join(f'{x:.0f}' for x in sorted(results['rss_mb']))}")
    print("workers' median RSS MB after each scenario: "
          + ", ".join(f"{label} {mb:.0f}" for label, mb in results["rss_steps"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--postgres-database", default="petitions_bench", help="dropped and recreated")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of each GET before it is measured")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sealed", action="store_true",
                        help="turn protection on for the demo organisation first, so signatures are sealed")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    print(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}; "
          f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s; "
          f"gunicorn workers: {os.environ.get('WEB_CONCURRENCY', 'default (cores + 1)')}")
    with tempfile.TemporaryDirectory(prefix="petitions-bench-") as tmp:
        workdir = Path(tmp)
        bare_server, bare_base = start_bare(workdir)
        try:
            for name in args.databases.split(","):
                if name == "sqlite":
                    url = f"sqlite:///{workdir / 'bench.sqlite'}"
                elif name == "postgresql":
                    url = recreate_postgres(args.postgres_url, args.postgres_database)
                else:
                    raise SystemExit(f"unknown database {name!r}")
                report(name, bench_database(name, url, args, workdir, bare_base))
        finally:
            bare_server.terminate()
            bare_server.wait(timeout=30)


if __name__ == "__main__":
    main()
