"""Shared fixtures: an app per test on SQLite (or TEST_DATABASE_URL), a real SMTP server.

Tables are created once per session and emptied after every test, which
keeps each test independent and the suite fast on PostgreSQL too.
"""
import os
import socket
import threading

import pytest
from sqlalchemy import create_engine, text

from petitions import create_app, models, sealing  # noqa: F401  (registers every table)
from petitions.config import normalise_database_url
from petitions.extensions import db, limiter

from .smtp import SmtpServer

LANGS = ["en", "ru", "be", "de"]


def pytest_configure(config):
    os.environ.setdefault("PETITIONS_ENV", "testing")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def _schema(database_url):
    """Create every table once for the session (the migrations have their own tests)."""
    engine = create_engine(database_url)
    with engine.begin() as conn:
        db.metadata.drop_all(conn)
        db.metadata.create_all(conn)
    yield
    engine.dispose()


@pytest.fixture
def make_app(database_url, _schema, tmp_path):
    """Build an app with extra settings; every app made in a test is cleaned up after it."""
    apps = []

    def factory(**overrides):
        settings = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_DIR": str(tmp_path / "instance"),
            "MAILBOX_DIR": str(tmp_path / "mailbox"),
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "BASE_URL": "http://petitions.test",
            "MAIL_URL": "mailbox://",
            # Off whatever the shell exports: the tests about limits switch them on themselves.
            "RATELIMIT_ENABLED": False,
        }
        if os.environ.get("TEST_RATELIMIT_STORAGE_URI"):
            settings["RATELIMIT_STORAGE_URI"] = os.environ["TEST_RATELIMIT_STORAGE_URI"]
        settings.update(overrides)
        app = create_app("testing", settings)
        apps.append(app)
        return app

    yield factory
    sealing.forget_process_keys()  # their rows go with the tables
    for app in apps:
        with app.app_context():
            _empty_tables()
            if app.config.get("RATELIMIT_ENABLED"):
                limiter.reset()
            db.session.remove()
            db.engine.dispose()


def _empty_tables():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def petition_data(slug="free-them", goal=1000, languages=("en",), status="open", primary="en", **extra):
    """An import document for a petition written in ``languages``."""
    texts = {
        "en": ("Free the prisoners of conscience", "the Minister of Justice", ["Release them", "Drop the charges"]),
        "ru": ("Освободите узников совести", "министру юстиции", ["Освободить их", "Снять обвинения"]),
        "be": ("Вызваліце вязняў сумлення", "міністру юстыцыі", ["Вызваліць іх", "Зняць абвінавачванні"]),
        "de": ("Freiheit für die gewaltlosen politischen Gefangenen", "den Justizminister", ["Freilassung", "Anklagen fallen lassen"]),
    }
    translations = {}
    for lang in languages:
        title, addressee, demands = texts[lang]
        translations[lang] = {
            "title": title, "addressee": addressee, "summary": f"{title}: summary ({lang}).",
            "body": f"Body in **{lang}** with a [link](https://example.org/{lang}).", "demands": demands,
        }
    data = {"slug": slug, "goal": goal, "primary_language": primary, "organisation": "Test Rights Group",
            "status": status, "translations": translations}
    data.update(extra)
    return data


@pytest.fixture
def make_petition(app):
    """Create (and commit) a petition through the same service the CLI uses."""
    from petitions.organiser.services import import_petition

    def factory(**kwargs):
        petition, _ = import_petition(petition_data(**kwargs), app.config["LANGUAGES"], app.config["COUNTER_SHARDS"])
        db.session.commit()
        return petition

    return factory


@pytest.fixture
def petition(make_petition):
    return make_petition(languages=tuple(LANGS))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback; ``.messages`` holds what it accepted."""
    server = SmtpServer("127.0.0.1", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_app(app, smtp_server):
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{smtp_server.port}"
    return app


def run_in_threads(target, count):
    """Run ``target(i)`` in ``count`` threads started together; returns the exceptions raised."""
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # collected for the test to assert on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_member(app):
    """An account with ``role`` in the organisation named ``organisation`` (created if need be), committed."""
    from petitions.accounts import services as accounts
    from petitions.models import Membership

    def factory(email="owner@rights.example", role="owner", organisation="Test Rights Group", name="Olga Owner",
                totp=False, language="en"):
        org = accounts.find_or_create_organisation(organisation)
        account = accounts.find_account(email) or accounts.create_account(email, name, PASSWORD, language)
        db.session.add(Membership(organisation=org, account=account, role=role))
        if totp:
            import pyotp

            secret = pyotp.random_base32()
            accounts.enable_totp(account, secret, pyotp.TOTP(secret).now())
            account.totp_last_step = None
        db.session.commit()
        return account

    return factory


def totp_code(account, offset_steps=0):
    import time as _time

    import pyotp

    return pyotp.TOTP(account.totp_secret).at(_time.time() + 30 * offset_steps)


def sign_in(client, account, password=PASSWORD, code=None):
    """Sign in through the real pages (and the code step when the account has TOTP)."""
    response = client.post("/organiser/sign-in", data={"email": account.email, "password": password})
    if account.has_totp:
        assert response.status_code == 302 and "/sign-in/code" in response.location, response.status_code
        response = client.post(response.location, data={"code": code or totp_code(account)})
    return response


@pytest.fixture
def add_signatures(app):
    """Store ``count`` confirmed signatures quickly (bypassing the flow, which has its own tests)."""
    from datetime import timedelta

    from petitions import counting
    from petitions.models import Signature, utcnow

    def factory(petition, count=1, status="confirmed", at=None, **fields):
        at = at or (utcnow() - timedelta(seconds=count + 1))  # all in the past
        start = db.session.scalar(text("SELECT COALESCE(MAX(id), 0) FROM signatures")) or 0
        rows = []
        for i in range(count):
            n = start + i + 1
            row = {"petition_id": petition.id, "email": f"s{n}@example.org", "email_hash": f"{n:064x}",
                   "full_name": f"Signer {n}", "country": "DE", "city": "Berlin", "language": "en",
                   "status": status, "created_at": at + timedelta(seconds=i), "show_name": False,
                   "wants_updates": False, "public_name": "full", "confirmation_sends": 1}
            if status == "confirmed":
                row["confirmed_at"] = at + timedelta(seconds=i)
            row.update(fields)
            rows.append(row)
        db.session.execute(Signature.__table__.insert(), rows)
        if status == "confirmed":
            counting.add_to_count(petition.id, 1, delta=count)
        db.session.commit()

    return factory
