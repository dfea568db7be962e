"""gunicorn settings for production: `gunicorn -c python:petitions.gunicorn_conf petitions.wsgi:app`.

Inside the package so that an installed release has them too; the
checkout's gunicorn.conf.py reads this module.

Every value can be overridden from the environment (the names are below),
so the same file serves a laptop, a small VPS and a larger machine. The
README's "Production" section explains the choices; BENCHMARKS.md shows
what they give.
"""
import gc
import multiprocessing
import os


def _int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


def _cores():
    """The cores this process may run on: a container's CPU set, not the host's count (a CPU quota is not
    seen: set WEB_CONCURRENCY there)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return multiprocessing.cpu_count()


# Synchronous workers: each handles one request at a time, so a worker holds
# at most one database connection in use, and a slow client is the reverse
# proxy's problem (nginx buffers requests and responses). One per core plus
# one: the spare keeps the CPU busy while a worker waits on the database.
# gunicorn's usual 2 x cores + 1 was slower: on 2 cores with PostgreSQL on
# the same machine, 5 workers confirmed fewer signatures a second than 3 in
# 12 of 13 paired rounds, each confirmation costing its worker more CPU (more
# processes and PostgreSQL backends taking turns on the same cores, each turn
# starting with cold caches; BENCHMARKS.md, session 10). Raise
# WEB_CONCURRENCY when the database is far away and workers mostly wait.
workers = _int("WEB_CONCURRENCY", _cores() + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _int("GUNICORN_THREADS", 1)

# Recycle workers now and then, so a slow leak can never grow without bound;
# the jitter keeps them from all restarting at once.
# A restart costs a worker about a second of CPU and a cold first page, so
# not too often: at a spike's ~3,000 requests a second over three workers,
# each restarts every minute or two; at ordinary traffic, rarely.
max_requests = _int("GUNICORN_MAX_REQUESTS", 100000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 10000)

timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Build the app in each worker, not in the master: every worker then opens
# its own database connections and Redis client after the fork.
preload_app = False

# Request logs would record who signed what, and when; the reverse proxy's
# logs are the operator's choice. Errors still go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")

# Trust X-Forwarded-* only through the app's TRUSTED_PROXIES (werkzeug's
# ProxyFix), never through gunicorn's own header handling.
forwarded_allow_ips = ""


# Python's cyclic garbage collector now and then walks every object a worker
# holds, and most of them (modules, compiled templates, CLDR data,
# catalogues) live as long as the worker: a full collection took ~50 ms,
# longer on a busy machine, and any request could land on it (it was the p99
# of the petition page under load). Once a worker has served its first
# requests, and so loaded what pages need, those objects are moved out of the
# collector's sight. Anything freed later is still freed by reference counting.
SETTLE_AFTER_REQUESTS = _int("GUNICORN_GC_FREEZE_AFTER", 500)


def post_request(worker, req, environ, resp):
    # ">=" and a mark, not "==": with threads (gthread) two requests may count past the number together.
    if worker.nr >= SETTLE_AFTER_REQUESTS and not getattr(worker, "petitions_settled", False):
        worker.petitions_settled = True
        gc.collect()
        gc.freeze()
