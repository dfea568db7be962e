"""Paired runs of the confirming POST: two or more variants under load, taking turns with a bare Flask app.

A load run's figure moves by ±10% from one minute to the next on a shared
machine, more than most changes are worth, so comparing two ``load.py`` runs
says little. This starts every variant at once (each its own gunicorn, all on
one database), then runs short rounds in which the bare Flask app and each
variant take turns, in a rotating order, each pressing fresh confirmation
links. A variant that is ahead in every round is ahead; the medians give the
size. A variant is a checkout of the project (a ``git worktree`` of another
commit, with its catalogues compiled) and environment variables:

    git worktree add /tmp/before <commit> && .venv/bin/pybabel -q compile -d /tmp/before/translations
    .venv/bin/python benchmarks/paired.py --variant before=/tmp/before --variant after=.
    .venv/bin/python benchmarks/paired.py --variant five=.,WEB_CONCURRENCY=5 --variant three=.,WEB_CONCURRENCY=3

Every variant runs with this checkout's virtualenv, so dependencies are the
same. The pending signatures are a few signed through the form and copies of
one of them with fresh address hashes (then VACUUM ANALYZE, as autovacuum
would in time), so there are enough links for every round. Besides requests a
second it reads, from /proc, the CPU per request of each variant's workers and
of all PostgreSQL processes. PostgreSQL: the database ``petitions_paired`` on
--postgres-url's server is dropped and recreated. Needs wrk.
"""
import argparse
import collections
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import load
from support import BIN, ROOT, SLUG, free_port, migrate_and_load_demo, recreate_postgres, served_stamp

LINKS_PER_SECOND = 1500  # more than a variant presses in a second on a 2-core machine


def cpu_seconds(matches):
    """CPU seconds used so far by the live processes whose (command line, name) ``matches``."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_text()
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if matches(command, stat[stat.index("(") + 1:stat.rindex(")")]):
            fields = stat.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def copy_pending(url, count):
    """``count`` more pending signatures, copies of the first pending one with fresh address hashes."""
    others = ("id", "email_hash", "email")
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            columns = ", ".join(row[0] for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'signatures' "
                "AND column_name NOT IN ('id', 'email_hash', 'email')"))
            conn.execute(f"INSERT INTO signatures (email_hash, email, {columns}) "
                         f"SELECT md5(random()::text || n::text) || md5(n::text), 'paired' || n || '@example.org', "
                         f"{columns} FROM (SELECT * FROM signatures WHERE status = 'pending' ORDER BY id LIMIT 1) s "
                         f"CROSS JOIN generate_series(1, {count}) n")
            conn.execute("VACUUM ANALYZE signatures")
        return
    conn = sqlite3.connect(url[len("sqlite:///"):])
    columns = ", ".join(row[1] for row in conn.execute("PRAGMA table_info(signatures)") if row[1] not in others)
    conn.execute(f"WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {count}) "
                 f"INSERT INTO signatures (email_hash, email, {columns}) "
                 f"SELECT lower(hex(randomblob(32))), 'paired' || n || '@example.org', {columns} "
                 f"FROM (SELECT * FROM signatures WHERE status = 'pending' ORDER BY id LIMIT 1) s CROSS JOIN g")
    conn.commit()
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=CHECKOUT[,VAR=VALUE...]")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=6, help="of each turn")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    variants = []
    for spec in args.variant:
        name, _, rest = spec.partition("=")
        checkout, *settings = rest.split(",")
        variants.append((name, Path(checkout).resolve(), dict(setting.split("=", 1) for setting in settings)))
    with tempfile.TemporaryDirectory(prefix="petitions-paired-") as tmp:
        run(args, variants, Path(tmp))


def run(args, variants, tmp):
    url = (recreate_postgres(args.postgres_url, "petitions_paired") if args.database == "postgresql"
           else f"sqlite:///{tmp / 'paired.sqlite'}")
    secret = secrets.token_urlsafe(48)  # shared: a link made for one variant is pressed on another
    servers, bases, envs = [], {}, {}
    port = free_port()
    servers.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--pythonpath", "benchmarks",
                                     "--name", "paired-bare", "bare_app:app"],
                                    env={**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}"}, cwd=ROOT))
    bases["bare"] = f"http://127.0.0.1:{port}"
    try:
        for name, checkout, settings in variants:
            port = free_port()
            envs[name] = {**load.environment(url, str(tmp / name), port), "SECRET_KEY": secret,
                          "PYTHONPATH": str(checkout), **settings}
            if len(envs) == 1:
                migrate_and_load_demo(envs[name])
            servers.append(subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--name",
                                             f"paired-{name}", "wsgi:app"], env=envs[name], cwd=checkout))
            bases[name] = f"http://127.0.0.1:{port}"
        load.wait_until_up(bases["bare"], "/")
        for name, *_ in variants:
            load.wait_until_up(bases[name])
        first = variants[0][0]
        page = f"/en/p/{SLUG}"
        stamp = served_stamp(load.get(bases[first] + page))
        time.sleep(2.1)  # older than FORM_MIN_SECONDS
        load.wrk(bases[first] + page, seconds=2, connections=4, threads=1, mode="sign", path=page, stamp=stamp,
                 origin=bases[first], run=1)
        copy_pending(url, args.rounds * len(variants) * args.seconds * LINKS_PER_SECOND)
        links = load.run_python(envs[first], load.LINKS_CODE).split()
        press = served_stamp(load.get(bases[first] + links.pop(0)))
        time.sleep(1.1)  # older than CONFIRM_MIN_SECONDS
        for name in bases:  # each worker's first pages load templates and CLDR data: not counted
            load.wrk(bases[name] + ("/" if name == "bare" else page), seconds=2, connections=16, threads=2)
        results = collections.defaultdict(list)
        order = list(bases)
        for round_ in range(args.rounds):
            for name in order[round_ % len(order):] + order[:round_ % len(order)]:
                results[name].append(turn(args, name, bases[name], links, press, tmp))
                rps, worker, database, errors = results[name][-1]
                print(f"round {round_} {name:12} {rps:7.0f}/s  workers {worker:.3f} ms, PostgreSQL {database:.3f} ms "
                      f"CPU per request; errors {errors}", file=sys.stderr)
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    report(args, variants, results)


def turn(args, name, base, links, press, tmp):
    """One variant's turn (or the bare app's): (requests/s, workers' and PostgreSQL's CPU ms per request, errors)."""
    tag = f"paired-{name}"
    workers = cpu_seconds(lambda command, _: tag in command)
    database = cpu_seconds(lambda _, process: process.startswith("postgres"))
    if name == "bare":
        out = load.wrk(base + "/", seconds=args.seconds, connections=16, threads=2)
    else:
        mine = tmp / "links.txt"
        mine.write_text("\n".join(links[:args.seconds * LINKS_PER_SECOND]))
        del links[:args.seconds * LINKS_PER_SECOND]  # fresh links for every turn
        out = load.wrk(base + "/", seconds=args.seconds, connections=16, threads=2, mode="confirm", links=mine,
                       origin=base, stamp=press)
    n = out["requests"]
    return (out["rps"], (cpu_seconds(lambda command, _: tag in command) - workers) / n * 1000,
            (cpu_seconds(lambda _, process: process.startswith("postgres")) - database) / n * 1000, out["errors"])


def report(args, variants, results):
    bare = statistics.median(r[0] for r in results["bare"])
    print(f"\n{args.database}, {args.rounds} rounds of {args.seconds} s; bare Flask median {bare:,.0f}/s "
          f"(runs {', '.join(f'{r[0]:,.0f}' for r in results['bare'])})")
    print("| variant | confirming, median | share of bare | each round | workers' CPU ms | PostgreSQL CPU ms "
          "| errors |")
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: |")
    for name, *_ in variants:
        rows = results[name]
        rps = statistics.median(r[0] for r in rows)
        print(f"| {name} | {rps:,.0f}/s | {rps / bare:.1%} | {', '.join(f'{r[0]:,.0f}' for r in rows)} | "
              f"{statistics.median(r[1] for r in rows):.2f} | {statistics.median(r[2] for r in rows):.2f} | "
              f"{sum(r[3] for r in rows)} |")


if __name__ == "__main__":
    main()
