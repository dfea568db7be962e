"""Rows that many tests need, made quickly and committed (the flows that make them have their own tests)."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import text

from petitions.extensions import db

from .helpers import PASSWORD, petition_data


def create_petition(config=None, **kwargs):
    """A petition (or, with ``kind="letter"``, an open letter) through the service the CLI uses.

    ``config`` is the app's whose languages it takes: the current one by default.
    """
    from petitions.organiser.services import import_petition

    config = config or current_app.config
    petition, _ = import_petition(petition_data(**kwargs), config["LANGUAGES"])
    db.session.commit()
    return petition


def create_member(email="owner@rights.example", role="owner", organisation="Test Rights Group", name="Olga Owner",
                  totp=False, language="en"):
    """An account with ``role`` in the organisation named ``organisation`` (created if need be)."""
    from petitions.accounts import services as accounts
    from petitions.models import Membership

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


def add_signatures(petition, count=1, status="confirmed", at=None, **fields):
    """``count`` signatures stored directly, bypassing the signing flow (the tally triggers count them)."""
    from petitions.models import Signature, utcnow

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
    db.session.commit()


def add_signatory(letter, name, kind="organisation", status="awaiting", country="DE", language="en", **fields):
    """One co-signer of an open letter, as if it had come through the form."""
    from petitions.models import LetterSignatory

    row = LetterSignatory(petition_id=letter.id, kind=kind, name=name, name_key=name.casefold(), country=country,
                          language=language, status=status, **fields)
    db.session.add(row)
    db.session.commit()
    return row
