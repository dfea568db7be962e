"""Reading at 100 and at 1,000,000 signatures: the petition page rendered afresh, the dashboard, the API.

    .venv/bin/python benchmarks/scale_read.py [--database URL] [--sizes 100,1000000] [--repeat 20]

Without --database it uses a fresh SQLite file. With a PostgreSQL URL it drops and recreates every
table in that database, so give it one of its own. Each scenario seeds one petition with confirmed
signatures in a single INSERT ... SELECT, with the tally triggers off and the tallies recounted
afterwards as a restore would (--through-triggers fires them for every row instead), and reports the seeding time and the median of ``--repeat`` reads of each kind.

Scenarios are the worst cases for the two reads that used to scan: nobody chose to show their name,
all on one day; everybody did, spread over a year.
"""
import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from petitions import create_app  # noqa: E402
from petitions.extensions import db  # noqa: E402
from petitions.models import tally, utcnow  # noqa: E402
from petitions.organiser import stats  # noqa: E402
from petitions.organiser.services import import_petition  # noqa: E402

SCENARIOS = {
    # name: (show_name, days the signatures are spread over)
    "nobody listed, one day": (False, 1),
    "everybody listed, a year": (True, 365),
}
COUNTRIES = ("DE", "BY", "RU", "GB", "UA", "FR", "PL", "GE")


def _seed_sql(dialect):
    # confirmed_at moves back one day per signature modulo the spread, and one second per signature.
    if dialect == "postgresql":
        numbers = "generate_series(1, :count) AS n(i)"
        moment = "CAST(:base AS timestamp) - (i % :days) * interval '1 day' - (i % 86400) * interval '1 second'"
        prefix = ""
    else:
        numbers = "n"
        moment = "datetime(:base, '-' || (i % :days) || ' days', '-' || (i % 86400) || ' seconds')"
        prefix = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    return f"""{prefix}
        INSERT INTO signatures (petition_id, email, full_name, country, language, show_name, shown_name,
            public_name, wants_updates, status, confirmation_sends, created_at, confirmed_at)
        SELECT :pid, '', '', substr('{"".join(COUNTRIES)}', 1 + 2 * (i % 8), 2),
            CASE i % 4 WHEN 0 THEN 'en' WHEN 1 THEN 'ru' WHEN 2 THEN 'be' ELSE 'de' END, :show,
            CASE WHEN :show THEN 'Signer ' || i END, 'full', i % 2 = 0, 'confirmed', 1, {moment}, {moment}
        FROM {numbers}"""


def _median_ms(action, repeat):
    """Median wall time, and median CPU time of this process (which includes SQLite's work, not PostgreSQL's)."""
    action()  # warm: templates compiled, statements cached
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        action()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def run(url, size, show, days, repeat, through_triggers=False):
    engine = create_engine(url)
    with engine.begin() as conn:
        db.metadata.drop_all(conn)
        db.metadata.create_all(conn)
    engine.dispose()
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "PUBLIC_CACHE_SECONDS": 0,
                                 "INSTANCE_DIR": tempfile.mkdtemp(prefix="scale-read-")})
    with app.app_context():
        from tests.helpers import petition_data
        petition, _ = import_petition(petition_data(slug="scale", languages=("en", "ru")), app.config["LANGUAGES"])
        db.session.commit()
        now = utcnow()
        base = (now - timedelta(minutes=1)).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
        start = time.perf_counter()
        dialect = db.engine.dialect.name
        if not through_triggers:
            # A bulk load as an operator's restore would do it: triggers off, then one recount.
            for statement in tally.DROP_TRIGGERS[dialect]:
                db.session.execute(text(statement))
        db.session.execute(text(_seed_sql(dialect)), {
            "pid": petition.id, "count": size, "show": show, "days": days, "base": base})
        if not through_triggers:
            tally.rebuild_tallies(db.session, petition.id)
            for statement in tally.TRIGGERS[dialect]:
                db.session.execute(text(statement))
        db.session.commit()
        seeded = time.perf_counter() - start
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        client = app.test_client()

        def page():
            assert client.get("/en/p/scale").status_code == 200

        def api():
            assert client.get("/api/v1/petitions/scale").status_code == 200

        def dashboard():
            figures = stats.dashboard(petition, utcnow())
            assert figures.online == size
            db.session.rollback()

        result = {"seed_s": seeded, "page_ms": _median_ms(page, repeat),
                  "dashboard_ms": _median_ms(dashboard, repeat), "api_ms": _median_ms(api, repeat)}
        db.session.remove()
        db.engine.dispose()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="PostgreSQL URL (its tables are dropped); default a fresh SQLite file")
    parser.add_argument("--sizes", default="100,1000000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--through-triggers", action="store_true",
                        help="seed through the tally triggers, as signers would (slow: minutes per million on SQLite);"
                             " by default they are off during the load and the tallies recounted once")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # Each read as "wall/cpu" milliseconds, medians: on a shared machine the CPU time is the steadier figure.
    print(f"{'scenario':26} {'signatures':>10} {'seed s':>7} {'page ms':>12} {'dashboard ms':>12} {'api ms':>12}")
    for name, (show, days) in SCENARIOS.items():
        for size in sizes:
            with tempfile.TemporaryDirectory() as folder:
                url = args.database or f"sqlite:///{folder}/scale.sqlite"
                r = run(url, size, show, days, args.repeat, args.through_triggers)
            reads = " ".join(f"{r[k][0]:>6.1f}/{r[k][1]:<5.1f}" for k in ("page_ms", "dashboard_ms", "api_ms"))
            print(f"{name:26} {size:>10,} {r['seed_s']:>7.1f} {reads}", flush=True)


if __name__ == "__main__":
    main()
