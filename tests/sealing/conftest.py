"""Fixtures for sealed signer data: an organisation whose protection is on."""
import pytest

from petitions.extensions import db
from petitions.organiser.protection import turn_on

PASSPHRASE = "seven wild ravens over the marsh"


@pytest.fixture
def protect(app):
    """Turn protection on for a petition's organisation (committed); returns the private key bytes."""

    def factory(petition, passphrase=PASSPHRASE):
        private, _ = turn_on(petition.organisation, passphrase, "test")
        db.session.commit()
        return private

    return factory


@pytest.fixture
def protected_petition(petition, protect):
    protect(petition)
    return petition


@pytest.fixture(autouse=True)
def _no_straggler_wait(monkeypatch):
    """`keys create` waits for requests in flight; the tests have none."""
    monkeypatch.setattr("petitions.cli.STRAGGLER_SECONDS", 0)
