"""The web export of a protected organisation: a fresh code and the passphrase, refused without a 500, rate-limited."""
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Account, AuditEvent, Signature

from ..helpers import page_text, sign_in, totp_code
from .conftest import PASSPHRASE


def _exporter(app, make_member):
    member = make_member(email="editor@r.example", role="editor", totp=True)
    client = app.test_client()
    sign_in(client, member)
    return client, member


def _post(client, member, passphrase=PASSPHRASE, code=None, **extra):
    data = {"format": "csv", "language": "en", "code": code or totp_code(member, 1), "passphrase": passphrase, **extra}
    return client.post("/organiser/p/free-them/export", data=data)


def test_a_protected_export_gives_the_same_file_as_before_protection(app, petition, add_signatures, make_member,
                                                                     protect):
    add_signatures(petition, 3, city="Brest, BY")
    client, member = _exporter(app, make_member)
    before = client.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en",
                                                                "with_emails": "y"}).get_data()
    protect(petition)
    assert db.session.scalar(select(Signature.email).limit(1)) == ""
    page = page_text(client.get("/organiser/p/free-them/export"))
    assert 'name="passphrase"' in page and 'name="code"' in page
    response = _post(client, member, with_emails="y")
    assert response.status_code == 200, page_text(response)
    assert response.get_data() == before
    unlocks = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "key.unlock")).all()
    assert [u.detail["for"] for u in unlocks] == ["export"]


def test_a_protected_export_without_the_code_or_with_a_wrong_passphrase_is_refused(app, petition, add_signatures,
                                                                                   make_member, protect):
    add_signatures(petition, 1)
    protect(petition)
    client, member = _exporter(app, make_member)
    wrong = _post(client, member, passphrase="not the passphrase at all")
    assert wrong.status_code == 400 and "does not open" in page_text(wrong)
    assert wrong.mimetype == "text/html"
    no_code = _post(client, member, code="000000")
    assert no_code.status_code == 400 and "code is not right" in page_text(no_code)
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "key.unlock_refused" in actions and "export.csv" not in actions


def test_refused_passphrases_are_rate_limited_and_a_right_one_then_waits_too(make_app, petition, add_signatures,
                                                                            make_member, protect):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_UNLOCK="2 per minute")
    add_signatures(petition, 1)
    protect(petition)
    client, member = _exporter(limited, make_member)
    assert _post(client, member, passphrase="wrong passphrase number one").status_code == 400
    assert _post(client, member, passphrase="wrong passphrase number two").status_code == 400
    assert _post(client, member, passphrase="wrong passphrase number three").status_code == 429
    assert _post(client, member).status_code == 429


def _signers_who_want_updates(client_app, names):
    from ..helpers import confirm, last_confirm_path, sign

    client = client_app.test_client()
    for name in names:
        address = name.split()[0].lower() + "@example.org"
        sign(client, full_name=name, email=address, wants_updates="y")
        confirm(client, last_confirm_path(address))


def _draft_update(client):
    """Write an update as a draft (it is mailed only on "Send"); returns the draft's id."""
    from petitions.models import PetitionUpdate

    assert client.post("/organiser/p/free-them/updates", data={
        "language": "en", "title": "We delivered it", "body": "Thank you **all**."}).status_code == 302
    return db.session.scalars(select(PetitionUpdate.id).order_by(PetitionUpdate.id.desc())).first()


def _send(client, update_id, **extra):
    return client.post("/organiser/p/free-them/updates/send", data={"update": update_id, **extra})


def test_an_update_mailing_of_a_protected_organisation_opens_the_addresses_with_the_passphrase(app, petition,
                                                                                           make_member, protect):
    from petitions.models import PetitionUpdate

    from ..helpers import queued_to

    protect(petition)
    _signers_who_want_updates(app, ["Lavon Sealed", "Maryia Sealed"])
    client, member = _exporter(app, make_member)
    update_id = _draft_update(client)
    page = page_text(client.get("/organiser/p/free-them/updates"))
    assert f'id="passphrase-{update_id}"' in page and f'id="code-{update_id}"' in page
    refused = _send(client, update_id, code=totp_code(member, 1), passphrase="wrong wrong wrong wrong")
    assert refused.status_code == 400 and "does not open" in page_text(refused)
    assert not queued_to("lavon@example.org")[1:]  # only the confirmation so far
    assert db.session.get(PetitionUpdate, update_id).is_draft  # nothing was sent
    db.session.get(Account, member.id).totp_last_step = None  # that code was used up by the refused try
    db.session.commit()
    sent = _send(client, update_id, code=totp_code(member, 1), passphrase=PASSPHRASE)
    assert sent.status_code == 302
    for name in ("Lavon Sealed", "Maryia Sealed"):
        update = queued_to(name.split()[0].lower() + "@example.org")[-1]
        assert update.kind == "update" and f"Hello {name}," in update.text_body
        assert "We delivered it" in update.subject
    assert db.session.get(PetitionUpdate, update_id).mailing_done_at is not None  # queued whole, at once
    assert "update" in [e.detail.get("for") for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "key.unlock"))]


def test_sending_a_protected_organisations_update_without_two_factor_is_refused(app, petition, make_member, protect):
    from petitions.models import PetitionUpdate

    protect(petition)
    _signers_who_want_updates(app, ["Lavon Sealed"])
    member = make_member(email="plain@r.example", role="editor")
    client = app.test_client()
    sign_in(client, member)
    update_id = _draft_update(client)
    refused = _send(client, update_id, code="123456", passphrase=PASSPHRASE)
    assert refused.status_code == 400 and "Turn on two-factor" in page_text(refused)
    assert db.session.get(PetitionUpdate, update_id).is_draft


def test_an_update_to_an_unprotected_organisation_needs_no_passphrase(app, petition, make_member):
    from petitions.mail.updates import queue_next_batch

    from ..helpers import queued_to

    _signers_who_want_updates(app, ["Lavon Plain"])
    client, member = _exporter(app, make_member)
    update_id = _draft_update(client)
    assert 'name="passphrase"' not in page_text(client.get("/organiser/p/free-them/updates"))
    queue_next_batch()
    assert queued_to("lavon@example.org")[-1].kind == "confirm"  # a draft is not mailed
    assert _send(client, update_id).status_code == 302
    queue_next_batch()
    assert "Hello Lavon Plain," in queued_to("lavon@example.org")[-1].text_body
