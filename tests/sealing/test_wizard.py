"""The owner's protection wizard on the web: turn protection on, the recovery kit shown once, grants, a member's copy."""
import base64
import html
import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from petitions import sealing
from petitions.extensions import db
from petitions.models import Account, AuditEvent, Signature
from petitions.organiser import protection

from ..helpers import PASSWORD, page_text, sign_in, totp_code

PASSPHRASE = "nine quiet herons by the river"
EDITOR_PASSPHRASE = "the editor's own long passphrase"


@pytest.fixture(autouse=True)
def _no_straggler_wait(monkeypatch):
    """Turning protection on waits for signing requests in flight; the tests have none."""
    monkeypatch.setattr("petitions.organiser.protection_views.STRAGGLER_SECONDS", 0)


def _path(account):
    return f"/organiser/org/{_org_id(account)}/protection"


def _org_id(account):
    return account.memberships[0].organisation_id


def _fresh_code(account):
    """A code not yet used: the sign-in used the current step, and each code is accepted once."""
    db.session.get(Account, account.id).totp_last_step = None
    db.session.commit()
    return totp_code(account, 1)


def _owner(app, make_member, totp=True):
    owner = make_member(totp=totp)
    client = app.test_client()
    sign_in(client, owner)
    return client, owner


def _turn_on(client, owner, password=PASSWORD, passphrase=PASSPHRASE, again=None):
    return client.post(_path(owner), data={"password": password, "code": _fresh_code(owner),
                                           "passphrase": passphrase, "passphrase_again": again or passphrase})


def _kit(response):
    found = re.search(r'<pre class="recovery-kit">(.*?)</pre>', response.get_data(as_text=True), re.S)
    return html.unescape(found.group(1))


def _actions():
    return db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()


def test_owner_turns_protection_on_and_the_kit_is_shown_once_and_opens_the_key(app, petition, add_signatures,
                                                                               make_member, runner, tmp_path):
    add_signatures(petition, 3, full_name="Alesia Wizardtest", city="Hrodna")
    client, owner = _owner(app, make_member)
    before = page_text(client.get(_path(owner)))
    assert "Protection is off" in before and "lost for good" in before

    response = _turn_on(client, owner)
    assert response.status_code == 200, page_text(response)
    assert response.headers["Cache-Control"].startswith("no-store")
    kit = _kit(response)
    assert "PETITIONS RECOVERY KIT" in kit and "lost for good" in page_text(response)
    # The download is the same text, in a data: URL: nothing is stored on the server for it.
    link = re.search(r'<a class="button" download="([^"]+)" href="data:text/plain;charset=utf-8,([^"]+)"',
                     response.get_data(as_text=True))
    assert link.group(1).startswith("recovery-kit-") and unquote(html.unescape(link.group(2))) == kit

    # Every row sealed, nothing plain; the owner holds the first copy.
    org_id = _org_id(owner)
    assert db.session.scalars(select(Signature.email)).all() == ["", "", ""]
    status = protection.status(petition.organisation)
    assert (status["protected"], status["sealed"], status["plain"]) == (True, 3, 0)
    assert sealing.wrap_holders(org_id) == {owner.id}
    assert _actions()[-1] == "key.create"

    # The kit is in neither the session cookie nor the database, and the page does not show it again.
    cookie = client.get_cookie("session")
    payload = cookie.value.lstrip(".").split(".")[0] if cookie else ""
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) if payload else b""
    key_line = kit.split(sealing.crypto.KIT_BEGIN)[1].split()[0]
    assert key_line.encode() not in decoded
    again = page_text(client.get(_path(owner)))
    assert key_line not in again and status["fingerprint"] in again and "Olga Owner" in again

    # The kit opens the key: an export with --recovery-file gives the sealed names back.
    kit_file = tmp_path / "kit.txt"
    kit_file.write_text(kit, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["export", "free-them", "--recovery-file", str(kit_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count("Alesia Wizardtest") == 3


def test_turning_protection_on_twice_changes_nothing(app, petition, make_member):
    client, owner = _owner(app, make_member)
    assert _turn_on(client, owner).status_code == 200
    fingerprint = protection.status(petition.organisation)["fingerprint"]
    second = _turn_on(client, owner, passphrase="another passphrase entirely")
    assert second.status_code == 302
    assert protection.status(petition.organisation)["fingerprint"] == fingerprint


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_the_protection_page_is_not_found_for_members_who_are_not_owners(app, petition, make_member, role):
    member = make_member(email=f"{role}@r.example", role=role, totp=True)
    client = app.test_client()
    sign_in(client, member)
    assert client.get(_path(member)).status_code == 404
    assert client.post(_path(member), data={"password": PASSWORD, "code": totp_code(member, 1),
                                            "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE}).status_code == 404
    assert not protection.is_protected(_org_id(member))


def test_the_protection_page_of_another_organisation_is_not_found(app, petition, make_member):
    other = make_member(email="other@elsewhere.example", organisation="Another Group")
    client, _owner_here = _owner(app, make_member)
    assert client.get(_path(other)).status_code == 404


def test_turning_on_needs_two_factor_authentication(app, petition, make_member):
    client, owner = _owner(app, make_member, totp=False)
    page = page_text(client.get(_path(owner)))
    assert "Turn on two-factor authentication" in page and 'name="passphrase"' not in page
    response = client.post(_path(owner), data={"password": PASSWORD, "code": "123456",
                                               "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE})
    assert response.status_code == 200 and not protection.is_protected(_org_id(owner))


@pytest.mark.parametrize("field, value, message, reason", [
    ("password", "not my password at all", "password is not right", "password"),
    ("code", "000000", "code is not right", "code"),
    ("passphrase", "too short", "at least 12 characters", "weak passphrase"),
])
def test_a_wrong_password_or_code_or_a_weak_passphrase_is_refused_and_audited(app, petition, add_signatures,
                                                                              make_member, field, value, message,
                                                                              reason):
    add_signatures(petition, 1, full_name="Still Plain")
    client, owner = _owner(app, make_member)
    data = {"password": PASSWORD, "code": _fresh_code(owner), "passphrase": PASSPHRASE, "passphrase_again": PASSPHRASE}
    data[field] = value
    if field == "passphrase":
        data["passphrase_again"] = value
    response = client.post(_path(owner), data=data)
    assert response.status_code == 400 and message in page_text(response)
    assert not protection.is_protected(_org_id(owner))
    assert db.session.scalar(select(Signature.full_name)) == "Still Plain"
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "key.create_refused")).all()
    assert [r.detail["reason"] for r in refused] == [reason]


def test_two_different_passphrases_are_refused(app, petition, make_member):
    client, owner = _owner(app, make_member)
    response = _turn_on(client, owner, again="nine quiet herons by the sea")
    assert response.status_code == 400 and "not the same" in page_text(response)
    assert not protection.is_protected(_org_id(owner))


def test_refused_turn_ons_are_rate_limited_with_the_unlock_limit(make_app, petition, make_member):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_UNLOCK="2 per minute")
    client, owner = _owner(limited, make_member)
    assert _turn_on(client, owner, password="wrong password one").status_code == 400
    assert _turn_on(client, owner, password="wrong password two").status_code == 400
    assert _turn_on(client, owner).status_code == 429
    assert not protection.is_protected(_org_id(owner))


def _protected_with_editor(app, make_member, editor_totp=True):
    client, owner = _owner(app, make_member)
    assert _turn_on(client, owner).status_code == 200
    editor = make_member(email="editor@r.example", role="editor", name="Eryk Editor", totp=editor_totp)
    return client, owner, editor


def _grant(client, owner, editor, passphrase=PASSPHRASE, new=EDITOR_PASSPHRASE):
    return client.post(_path(owner) + "/grant", data={
        "member": editor.id, "code": _fresh_code(owner), "passphrase": passphrase,
        "new_passphrase": new, "new_passphrase_again": new})


def _export(client, member, passphrase):
    return client.post("/organiser/p/free-them/export", data={
        "format": "csv", "language": "en", "code": _fresh_code(member), "passphrase": passphrase})


def test_an_owner_grants_an_editor_a_copy_and_the_editor_exports_with_their_own_passphrase(app, petition,
                                                                                         add_signatures,
                                                                                         make_member):
    add_signatures(petition, 2, full_name="Pavel Granted")
    client, owner, editor = _protected_with_editor(app, make_member)
    editor_client = app.test_client()
    sign_in(editor_client, editor)
    # Before the grant the editor has no copy: their passphrase opens nothing.
    assert _export(editor_client, editor, EDITOR_PASSPHRASE).status_code == 400

    response = _grant(client, owner, editor)
    assert response.status_code == 302, page_text(response)
    assert sealing.wrap_holders(_org_id(owner)) == {owner.id, editor.id}
    assert "Eryk Editor" in page_text(client.get(_path(owner)))

    export = _export(editor_client, editor, EDITOR_PASSPHRASE)
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.get_data(as_text=True).count("Pavel Granted") == 2
    grant = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "key.grant"))
    assert grant.account_id == owner.id and grant.detail == {"member": "Eryk Editor"}


def test_a_grant_with_a_wrong_passphrase_or_a_weak_new_one_is_refused_and_audited(app, petition, make_member):
    client, owner, editor = _protected_with_editor(app, make_member)
    wrong = _grant(client, owner, editor, passphrase="not the owner's passphrase")
    assert wrong.status_code == 400 and "does not open" in page_text(wrong)
    weak = _grant(client, owner, editor, new="short")
    assert weak.status_code == 400 and "at least 12 characters" in page_text(weak)
    assert sealing.wrap_holders(_org_id(owner)) == {owner.id}
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("%refused"))).all()
    assert [(e.action, e.detail.get("for") or e.detail.get("reason")) for e in refused] == [
        ("key.unlock_refused", "grant"), ("key.grant_refused", "weak passphrase")]


def test_a_viewer_cannot_be_given_a_copy(app, petition, make_member):
    client, owner = _owner(app, make_member)
    assert _turn_on(client, owner).status_code == 200
    viewer = make_member(email="viewer@r.example", role="viewer", name="Vera Viewer")
    assert "Vera Viewer" not in page_text(client.get(_path(owner)))
    assert _grant(client, owner, viewer).status_code == 400
    assert viewer.id not in sealing.wrap_holders(_org_id(owner))


def test_a_member_changes_the_passphrase_of_their_copy(app, petition, add_signatures, make_member):
    add_signatures(petition, 1, full_name="Nina Changed")
    client, owner, editor = _protected_with_editor(app, make_member)
    assert _grant(client, owner, editor).status_code == 302
    editor_client = app.test_client()
    sign_in(editor_client, editor)
    page = f"/organiser/org/{_org_id(editor)}/protection/my-copy"
    assert "You hold your own copy" in page_text(editor_client.get(page))
    new = "a passphrase only the editor knows"

    wrong = editor_client.post(page, data={"current": "not the current one", "new_passphrase": new,
                                           "new_passphrase_again": new})
    assert wrong.status_code == 400 and "does not open" in page_text(wrong)
    changed = editor_client.post(page, data={"current": EDITOR_PASSPHRASE, "new_passphrase": new,
                                             "new_passphrase_again": new})
    assert changed.status_code == 302

    assert _export(editor_client, editor, EDITOR_PASSPHRASE).status_code == 400
    export = _export(editor_client, editor, new)
    assert export.status_code == 200 and "Nina Changed" in export.get_data(as_text=True)
    assert "key.passphrase" in _actions()
    # The audit page names every step in words.
    audit = page_text(client.get(f"/organiser/org/{_org_id(owner)}/audit"))
    for label in ("Turned protection of signer data on", "Gave a member a copy of the key",
                  "Changed the passphrase of their copy of the key", "Refused to unlock the organisation's key"):
        assert label in audit


def test_a_member_without_a_copy_is_told_so(app, petition, make_member):
    client, owner, editor = _protected_with_editor(app, make_member)
    editor_client = app.test_client()
    sign_in(editor_client, editor)
    page = editor_client.get(f"/organiser/org/{_org_id(editor)}/protection/my-copy")
    assert page.status_code == 200 and "You hold no copy" in page_text(page)


@pytest.mark.commits
def test_a_new_organisation_is_created_with_protection_on_from_the_start(app, runner, tmp_path, monkeypatch):
    monkeypatch.setattr("petitions.cli.STRAGGLER_SECONDS", 0)
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text(PASSPHRASE + "\n", encoding="utf-8")
    kit = tmp_path / "kit.txt"
    result = runner.invoke(args=["organiser", "create", "--email", "new@rights.example", "--name", "Nadia New",
                                 "--organisation", "Brand New Group", "--password", PASSWORD, "--protect",
                                 "--passphrase-file", str(passphrase), "--recovery-file", str(kit)])
    assert result.exit_code == 0, result.output
    owner = db.session.scalar(select(Account).where(Account.name == "Nadia New"))
    org_id = _org_id(owner)
    assert protection.is_protected(org_id) and "fingerprint:" in result.output
    assert protection.unlock(org_id, "test", "check", kit_text=kit.read_text()).public_key == \
        sealing.public_key_of(org_id)
