"""Concurrent signers and confirmations: the database keeps the count exact."""
import pytest
from sqlalchemy import func, select

from petitions import counting
from petitions.extensions import db
from petitions.models import Signature, SignatureStatus
from petitions.signing import services

from ..conftest import run_in_threads
from ..helpers import last_confirm_path


def _details(email):
    return services.SignerDetails(full_name="Concurrent Signer", email=email, country="DE", city=None,
                                  show_name=False, wants_updates=False)


def test_concurrent_submissions_with_one_address_store_one_signature(app, petition):
    petition_id = petition.id

    def submit(i):
        with app.app_context():
            target = db.session.get(type(petition), petition_id)
            services.sign(target, _details("SAME@example.org" if i % 2 else "same@example.org"), "en")
            db.session.commit()

    errors = run_in_threads(submit, 8)
    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 1


@pytest.mark.parametrize("signers", [40])
def test_concurrent_confirmations_keep_the_count_exact(app, petition, signers):
    for i in range(signers):
        services.sign(petition, _details(f"p{i}@example.org"), "en")
    db.session.commit()
    paths = [last_confirm_path(f"p{i}@example.org") for i in range(signers)]
    workers = 8

    def confirm_share(worker):
        client = app.test_client()
        for path in paths[worker::workers]:
            assert client.get(path).status_code == 200

    assert run_in_threads(confirm_share, workers) == []
    db.session.expire_all()
    confirmed = db.session.scalar(
        select(func.count()).select_from(Signature).where(Signature.status == SignatureStatus.CONFIRMED)
    )
    assert confirmed == signers
    assert counting.confirmed_count(petition.id) == signers
