"""What a person or a program is told while the database or Redis cannot be reached (no servers broken here).

The database is a PostgreSQL address where nothing listens; Redis likewise.
tests/faults/test_outages.py breaks real servers under load.
"""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from petitions import config as config_module
from petitions import create_app
from petitions.extensions import db, limiter
from petitions.models import Signature

from ..helpers import free_port, sign


@pytest.fixture
def database_down(tmp_path):
    """An app whose database does not answer, with rate limits on (in memory)."""
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone",
        "INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "MAIL_URL": "mailbox://",
    })
    yield app
    _forget_dead_storage()
    with app.app_context():
        db.engine.dispose()


def _forget_dead_storage():
    # The limiter is one object for every app of the test run. A rate-limit key
    # that needed the database failed here and Flask-Limiter took that for its
    # storage failing: the next test's app must start with its storage alive.
    limiter._storage_dead = False


def test_signing_while_the_database_is_down_is_a_503_that_says_nothing_was_saved(database_down):
    response = sign(database_down.test_client())
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "your signature has not been counted yet" in page and "try again in a moment" in page
    assert "Nothing you had already sent was lost" not in page


def test_a_page_while_the_database_is_down_says_it_cannot_be_shown(database_down):
    response = database_down.test_client().get("/en/p/free-them")
    assert response.status_code == 503 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "cannot be shown right now" in page and "not been counted" not in page


def _commit_fails(monkeypatch):
    def database_gone():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(db.session, "commit", database_gone)


def test_a_503_carries_our_retry_after_and_no_rate_limit_headers(make_app, monkeypatch):
    from petitions.organiser.services import import_petition

    from ..helpers import petition_data

    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    with app.app_context():
        import_petition(petition_data(), app.config["LANGUAGES"])
        db.session.commit()
        limited = sign(app.test_client(), email="first@example.org")
        assert "X-RateLimit-Limit" in limited.headers  # the limiter does speak on these answers
        _commit_fails(monkeypatch)
        response = sign(app.test_client(), email="second@example.org")
        monkeypatch.undo()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert not [name for name in response.headers.keys() if name.lower().startswith("x-ratelimit")]


def test_the_api_answers_json_while_the_database_is_down(database_down):
    response = database_down.test_client().get("/api/v1/petitions/free-them/count")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"] == "unavailable" and response.get_json()["retry_after"] == 5


def test_readyz_is_503_while_the_database_is_down_and_healthz_stays_200(database_down, client):
    down = database_down.test_client()
    assert down.get("/healthz").status_code == 200
    response = down.get("/readyz")
    assert response.status_code == 503 and response.get_data(as_text=True) == "not ready: database unreachable\n"
    assert (client.get("/readyz").status_code, client.get("/readyz").get_data(as_text=True)) == (200, "ready\n")


def test_a_commit_that_fails_after_the_view_is_a_503_and_stores_nothing(client, petition, monkeypatch):
    _commit_fails(monkeypatch)
    response = sign(client)
    monkeypatch.undo()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "has not been counted" in response.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0


@pytest.fixture
def redis_down(make_app, petition):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
                   RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
                   RATELIMIT_SIGN="3 per minute", RATELIMIT_SIGN_EMAIL="100 per minute")
    yield app
    _forget_dead_storage()
    app.config["RATELIMIT_ENABLED"] = False  # nothing to reset in a Redis that is not there


def test_with_redis_unreachable_signing_goes_on_and_limits_count_in_memory(redis_down, caplog):
    client = redis_down.test_client()
    statuses = [sign(client, email=f"signer{i}@example.org").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert client.get("/api/v1/petitions/free-them/count").status_code == 200
    assert "falling back to in-memory storage" in caplog.text


def test_readyz_reports_redis_without_taking_the_instance_out(redis_down):
    response = redis_down.test_client().get("/readyz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ready; unreachable: redis\n"


def test_the_redis_fallback_and_error_swallowing_can_be_set_from_the_environment(monkeypatch):
    assert config_module.load("testing")["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is True
    monkeypatch.setenv("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", "false")
    monkeypatch.setenv("RATELIMIT_SWALLOW_ERRORS", "no")
    monkeypatch.setenv("MAIL_BATCH_SIZE", "3")
    monkeypatch.setenv("MAIL_CLAIM_SECONDS", "60")
    settings = config_module.load("testing")
    assert (settings["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"], settings["RATELIMIT_SWALLOW_ERRORS"]) == (False, False)
    assert (settings["MAIL_BATCH_SIZE"], settings["MAIL_CLAIM_SECONDS"]) == (3, 60)
