"""Organiser accounts: signing in, second factor, sessions, invitations, roles and the audit log."""
import re

import pytest
from sqlalchemy import select

from petitions.accounts import services as accounts
from petitions.extensions import db
from petitions.models import Account, AuditEvent, Invitation, Membership
from petitions.tokens import erasure_tokens, invitation_tokens

from ..helpers import PASSWORD, page_text, queued_to, sign_in, totp_code


def test_passwords_are_stored_as_argon2id_hashes(app, make_member):
    account = make_member()
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_sign_in_with_the_right_password_opens_the_organiser_pages(client, make_member):
    account = make_member()
    assert client.get("/organiser/").status_code == 302
    response = sign_in(client, account)
    assert response.status_code == 302 and response.location.endswith("/organiser/")
    assert client.get("/organiser/").status_code == 200
    assert db.session.get(Account, account.id).last_sign_in_at is not None


@pytest.mark.parametrize("email,password", [
    ("owner@rights.example", "wrong password entirely"),
    ("nobody@rights.example", PASSWORD),
])
def test_wrong_password_and_unknown_address_get_the_same_answer(client, make_member, email, password):
    make_member()
    response = client.post("/organiser/sign-in", data={"email": email, "password": password})
    assert response.status_code == 200
    assert "That email address and password do not match." in page_text(response)
    assert client.get("/organiser/").status_code == 302


def test_sign_out_ends_the_session(client, make_member):
    sign_in(client, make_member())
    assert client.post("/organiser/sign-out").status_code == 302
    assert client.get("/organiser/").status_code == 302


def test_account_with_totp_needs_a_code_and_a_code_works_once(client, make_member):
    account = make_member(totp=True)
    response = client.post("/organiser/sign-in", data={"email": account.email, "password": PASSWORD})
    assert "/organiser/sign-in/code" in response.location
    assert client.get("/organiser/").status_code == 302  # not signed in before the code
    wrong = client.post("/organiser/sign-in/code", data={"code": "000000" if totp_code(account) != "000000" else "111111"})
    assert "That code is not right" in page_text(wrong)
    code = totp_code(account)
    assert client.post("/organiser/sign-in/code", data={"code": code}).status_code == 302
    assert client.get("/organiser/").status_code == 200
    # The same code a second time (someone who saw it) is refused.
    second = client.application.test_client()
    second.post("/organiser/sign-in", data={"email": account.email, "password": PASSWORD})
    replay = second.post("/organiser/sign-in/code", data={"code": code})
    assert "That code is not right" in page_text(replay)


def test_turning_totp_on_needs_a_valid_code_from_the_shown_secret(client, make_member):
    import pyotp

    account = make_member()
    sign_in(client, account)
    page = page_text(client.get("/organiser/account/two-factor"))
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
    assert "<svg" in page  # the QR code is drawn here, not fetched from anywhere
    assert client.post("/organiser/account/two-factor", data={"code": "12345", "password": PASSWORD}).status_code == 400
    assert db.session.get(Account, account.id).totp_enabled_at is None
    response = client.post("/organiser/account/two-factor", data={"code": pyotp.TOTP(secret).now(), "password": PASSWORD})
    assert response.status_code == 200 and "Your recovery codes" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Account, account.id).totp_secret == secret


def test_changing_the_password_ends_other_sessions(app, make_member):
    account = make_member()
    first, second = app.test_client(), app.test_client()
    sign_in(first, account)
    sign_in(second, account)
    response = first.post("/organiser/account", data={"password-current": PASSWORD,
                                                      "password-new": "a new and long passphrase"})
    assert response.status_code == 302
    assert first.get("/organiser/").status_code == 200
    assert second.get("/organiser/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, account, password="a new and long passphrase").status_code == 302


def test_short_new_password_is_refused_and_the_old_one_still_works(app, client, make_member):
    account = make_member()
    sign_in(client, account)
    response = client.post("/organiser/account", data={"password-current": PASSWORD, "password-new": "short"})
    assert response.status_code == 400 and "Use at least 12 characters." in page_text(response)
    assert sign_in(app.test_client(), account).location.endswith("/organiser/")


def _invitation_link(address):
    message = queued_to(address)[-1]
    return re.search(r"https?://[^/\s]+(/organiser/invitation/[A-Za-z0-9_.\-]+)", message.text_body).group(1)


def test_owner_invites_by_email_and_the_invitee_joins_with_that_role(app, client, make_member):
    owner = make_member()
    org_id = owner.memberships[0].organisation_id
    sign_in(client, owner)
    response = client.post(f"/organiser/org/{org_id}/members", data={"email": "Eve@Rights.example", "role": "editor"})
    assert response.status_code == 302
    link = _invitation_link("eve@rights.example")
    newcomer = app.test_client()
    page = newcomer.get(link)
    assert page.status_code == 200 and "Test Rights Group" in page_text(page)
    response = newcomer.post(link, data={"name": "Eve Editor", "password": "eve's long passphrase"})
    assert response.status_code == 302
    eve = accounts.find_account("eve@rights.example")
    assert accounts.role_in(eve, org_id) == "editor"
    # The link is spent.
    assert app.test_client().get(link).status_code == 404
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [action for action in actions if action.startswith("member.")] == ["member.invite", "member.join"]


def test_only_owners_invite(app, make_member):
    owner = make_member()
    org_id = owner.memberships[0].organisation_id
    editor = make_member(email="ed@rights.example", role="editor")
    client = app.test_client()
    sign_in(client, editor)
    response = client.post(f"/organiser/org/{org_id}/members", data={"email": "x@rights.example", "role": "owner"})
    assert response.status_code == 404
    assert db.session.scalar(select(Invitation.id)) is None


def test_invitation_token_is_not_an_erasure_token_and_vice_versa(app, client, make_member):
    owner = make_member()
    org = owner.memberships[0].organisation
    invitation = accounts.invite(org, "new@rights.example", "viewer", owner, "en")
    db.session.commit()
    forged = erasure_tokens(app).make([invitation.id, invitation.email_hash[:16]])
    assert client.get(f"/organiser/invitation/{forged}").status_code == 404
    genuine = invitation_tokens(app).make([invitation.id, invitation.email_hash[:16]])
    assert client.get(f"/organiser/invitation/{genuine}").status_code == 200


def test_revoked_invitation_cannot_be_used(app, client, make_member):
    owner = make_member()
    org = owner.memberships[0].organisation
    sign_in(client, owner)
    client.post(f"/organiser/org/{org.id}/members", data={"email": "late@rights.example", "role": "viewer"})
    link = _invitation_link("late@rights.example")
    invitation = db.session.scalar(select(Invitation))
    client.post(f"/organiser/org/{org.id}/invitations/{invitation.id}/revoke")
    response = app.test_client().post(link, data={"name": "Late", "password": "a long enough password"})
    assert response.status_code == 404
    assert accounts.find_account("late@rights.example") is None


def test_existing_account_must_sign_in_to_accept_and_only_for_its_own_address(app, make_member):
    owner = make_member()
    other_org_owner = make_member(email="eve@rights.example", organisation="Another Group", name="Eve")
    org = owner.memberships[0].organisation
    accounts.invite(org, "eve@rights.example", "editor", owner, "en")
    db.session.commit()
    link = _invitation_link("eve@rights.example")
    anonymous = app.test_client()
    assert "Sign in first" in page_text(anonymous.get(link))
    # Someone else signed in cannot take Eve's invitation.
    intruder = app.test_client()
    sign_in(intruder, make_member(email="mallory@rights.example", organisation="Mallory Org", name="M"))
    assert intruder.post(link).status_code == 403
    eve = app.test_client()
    sign_in(eve, other_org_owner)
    assert eve.post(link).status_code == 302
    assert accounts.role_in(accounts.find_account("eve@rights.example"), org.id) == "editor"


def test_the_last_owner_can_neither_leave_nor_step_down(client, make_member):
    owner = make_member()
    membership = owner.memberships[0]
    sign_in(client, owner)
    client.post(f"/organiser/org/{membership.organisation_id}/members/{membership.id}/role", data={"role": "viewer"})
    client.post(f"/organiser/org/{membership.organisation_id}/members/{membership.id}/remove")
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role == "owner"


def test_owner_changes_a_role_and_removes_a_member(client, make_member):
    owner = make_member()
    viewer = make_member(email="v@rights.example", role="viewer")
    org_id = owner.memberships[0].organisation_id
    target = viewer.memberships[0]
    sign_in(client, owner)
    client.post(f"/organiser/org/{org_id}/members/{target.id}/role", data={"role": "editor"})
    db.session.expire_all()
    assert db.session.get(Membership, target.id).role == "editor"
    client.post(f"/organiser/org/{org_id}/members/{target.id}/remove")
    db.session.expire_all()
    assert db.session.get(Membership, target.id) is None


def test_audit_log_is_for_owners_only(app, make_member):
    owner = make_member()
    org_id = owner.memberships[0].organisation_id
    editor = make_member(email="ed@rights.example", role="editor")
    accounts.audit(org_id, "command line (root)", "export.csv", detail={"rows": 3})
    db.session.commit()
    as_owner, as_editor = app.test_client(), app.test_client()
    sign_in(as_owner, owner)
    sign_in(as_editor, editor)
    page = as_owner.get(f"/organiser/org/{org_id}/audit")
    assert page.status_code == 200 and "command line (root)" in page_text(page) and "rows: 3" in page_text(page)
    assert as_editor.get(f"/organiser/org/{org_id}/audit").status_code == 404


def test_organiser_create_command_bootstraps_an_owner_and_refuses_short_passwords(app, runner):
    result = runner.invoke(args=["organiser", "create", "--email", "first@rights.example", "--name", "First",
                                 "--organisation", "New Group", "--password", "short"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    assert accounts.find_account("first@rights.example") is None
    result = runner.invoke(args=["organiser", "create", "--email", "First@Rights.example", "--name", "First",
                                 "--organisation", "New Group", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    account = accounts.find_account("first@rights.example")
    assert [(m.organisation.name, m.role) for m in account.memberships] == [("New Group", "owner")]
    assert sign_in(app.test_client(), account).location.endswith("/organiser/")


def test_failed_sign_ins_are_limited_per_account_and_successes_are_not(make_app, make_member):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN_ACCOUNT="3 per hour", RATELIMIT_SIGN_IN="100 per hour")
    with app.app_context():
        account = make_member()
        for _ in range(5):
            assert sign_in(app.test_client(), account).status_code == 302  # successes use up nothing
        client = app.test_client()
        statuses = [client.post("/organiser/sign-in", data={"email": account.email, "password": "nope nope nope"}
                                ).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        # Another client, same account: still limited; the right password too, until the window passes.
        assert sign_in(app.test_client(), account).status_code == 429


def test_failed_sign_ins_are_limited_per_client_address(make_app, make_member):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_SIGN_IN="3 per hour", RATELIMIT_SIGN_IN_ACCOUNT="100 per hour")
    with app.app_context():
        make_member()
        client = app.test_client()
        statuses = [client.post("/organiser/sign-in", data={"email": f"u{i}@x.example", "password": "nope nope"}
                                ).status_code for i in range(4)]
        assert statuses == [200, 200, 200, 429]


def test_an_unknown_role_changes_nothing_and_says_so(client, make_member):
    owner = make_member()
    viewer = make_member(email="v@rights.example", role="viewer")
    org_id = owner.memberships[0].organisation_id
    target = viewer.memberships[0]
    sign_in(client, owner)
    response = client.post(f"/organiser/org/{org_id}/members/{target.id}/role", data={"role": "superuser"},
                           follow_redirects=True)
    assert "Nothing was changed" in page_text(response)
    db.session.expire_all()
    assert db.session.get(Membership, target.id).role == "viewer"


def test_audit_details_are_shown_in_the_members_language(app, make_member):
    owner = make_member(language="de")
    org_id = owner.memberships[0].organisation_id
    accounts.audit(org_id, owner, "export.csv", detail={"rows": 1204, "with_emails": True, "language": "ru"})
    db.session.commit()
    client = app.test_client()
    sign_in(client, owner)
    page = page_text(client.get(f"/organiser/org/{org_id}/audit"))
    assert "Zeilen: 1.204" in page and "mit E-Mail-Adressen: ja" in page and "Sprache: Русский" in page
