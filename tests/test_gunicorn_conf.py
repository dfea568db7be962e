"""The production gunicorn settings (gunicorn.conf.py) do what the README says."""
import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    monkeypatch.setenv("GUNICORN_MAX_REQUESTS", "123")
    settings = runpy.run_path(str(CONF))
    assert (settings["workers"], settings["max_requests"], settings["preload_app"]) == (7, 123, False)
    assert settings["accesslog"] is None  # no record of who signed what, and when


def test_a_worker_freezes_its_long_lived_objects_once_after_its_first_requests(monkeypatch):
    monkeypatch.setenv("GUNICORN_GC_FREEZE_AFTER", "3")
    post_request = runpy.run_path(str(CONF))["post_request"]
    worker = SimpleNamespace(nr=0)
    assert gc.get_freeze_count() == 0
    try:
        for worker.nr in (1, 2):
            post_request(worker, None, {}, None)
        assert gc.get_freeze_count() == 0
        worker.nr = 4  # with threads, two requests can count past 3 before either finishes
        post_request(worker, None, {}, None)
        frozen = gc.get_freeze_count()
        assert frozen > 1000
        gc.unfreeze()
        worker.nr = 5
        post_request(worker, None, {}, None)
        assert gc.get_freeze_count() == 0  # once only
    finally:
        gc.unfreeze()


def test_by_default_one_worker_per_core_the_process_may_use_plus_one(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3, 4}, raising=False)  # five cores
    assert runpy.run_path(str(CONF))["workers"] == 6  # an even number: never 2 x cores + 1
