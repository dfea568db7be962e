"""The petitions command: import, show, mail delivery and organiser accounts."""
import json

from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Petition

from .helpers import petition_data, sign


def write(tmp_path, data, name="petition.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_import_creates_then_updates_a_petition(runner, tmp_path):
    result = runner.invoke(args=["petition", "import", write(tmp_path, petition_data(languages=("en", "ru")))])
    assert result.exit_code == 0 and "created petition free-them" in result.output
    changed = petition_data(languages=("en", "ru", "de"), goal=5000)
    result = runner.invoke(args=["petition", "import", write(tmp_path, changed)])
    assert result.exit_code == 0 and "updated petition free-them" in result.output
    petition = db.session.scalar(select(Petition))
    assert petition.goal == 5000 and petition.languages == ["en", "de", "ru"]


def test_demo_petition_imports(runner):
    result = runner.invoke(args=["petition", "import", "petitions/demo/petition.json"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Petition)).languages == ["en", "be", "de", "ru"]


def test_invalid_file_is_refused_by_name_and_changes_nothing(runner, tmp_path):
    runner.invoke(args=["petition", "import", write(tmp_path, petition_data())])
    cases = [
        ("{not json", "is not valid JSON"),
        (petition_data(goal="many"), "'goal' must be a int"),
        (petition_data(status="archived"), "'status' must be one of"),
        (petition_data(primary="de"), "'primary_language' 'de' has no entry"),
        (petition_data(slug="Not A Slug"), "slug 'Not A Slug'"),
        ({**petition_data(), "translations": {"en": {"title": ""}}}, "translations.en.title must not be empty"),
        ({**petition_data(), "translations": {"xx": {"title": "t"}}}, "language 'xx' is not configured"),
    ]
    for data, problem in cases:
        result = runner.invoke(args=["petition", "import", write(tmp_path, data)])
        assert result.exit_code != 0 and problem in result.output, (problem, result.output)
    petition = db.session.scalar(select(Petition))
    assert petition.goal == 1000


def test_show_prints_goals_and_counts(runner, client, petition):
    sign(client)
    result = runner.invoke(args=["petition", "show", "free-them"])
    assert result.exit_code == 0
    assert "next goal:  1000" in result.output and "confirmed:  0" in result.output and "pending:    1" in result.output
    assert runner.invoke(args=["petition", "show", "nope"]).exit_code != 0


def test_mail_send_delivers_the_queue(runner, client, petition, tmp_path, app):
    sign(client)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output
    assert len(list((tmp_path / "mailbox").glob("*.eml"))) == 1


def test_show_tells_which_languages_are_complete(runner, tmp_path):
    data = petition_data(languages=("en", "ru", "de"))
    data["translations"]["ru"]["summary"] = ""
    data["translations"]["de"]["demands"] = ["Nur eine"]
    runner.invoke(args=["petition", "import", write(tmp_path, data)])
    output = runner.invoke(args=["petition", "show", "free-them"]).output
    assert "  en: complete" in output
    assert "  ru: missing summary" in output
    assert "  de: missing demands" in output


# --- organiser accounts ---------------------------------------------------------------------------

def _audit_lines():
    from petitions.models import AuditEvent

    return db.session.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.detail).order_by(AuditEvent.id)).all()


def test_reset_password_from_a_file_ends_sessions_and_is_audited(app, runner, make_member, tmp_path):
    from .helpers import sign_in

    account = make_member()
    client = app.test_client()
    sign_in(client, account)
    secret = tmp_path / "password"
    secret.write_text("a new and long passphrase\n", encoding="utf-8")
    result = runner.invoke(args=["organiser", "reset-password", "--email", "Owner@Rights.example",
                                 "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert "set a new password for owner@rights.example" in result.output
    action, actor, detail = _audit_lines()[-1]
    assert action == "password.set" and actor.startswith("command line (") and detail == {"member": account.email}
    assert client.get("/organiser/").status_code == 302
    assert sign_in(app.test_client(), account, password="a new and long passphrase").status_code == 302


def test_reset_password_asks_twice_and_refuses_a_short_one(app, runner, make_member):
    from .helpers import PASSWORD, sign_in

    account = make_member()
    result = runner.invoke(args=["organiser", "reset-password", "--email", account.email], input="short\nshort\n")
    assert result.exit_code != 0 and "at least 12 characters; nothing was changed" in result.output
    assert sign_in(app.test_client(), account, password=PASSWORD).status_code == 302
    typed = "typed in twice, long enough"
    result = runner.invoke(args=["organiser", "reset-password", "--email", account.email], input=f"{typed}\n{typed}\n")
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), account, password=typed).status_code == 302


def test_organiser_commands_refuse_an_unknown_address(runner):
    for command in ("reset-password", "disable-two-factor"):
        result = runner.invoke(args=["organiser", command, "--email", "nobody@rights.example"], input="x\nx\n")
        assert result.exit_code != 0 and "no organiser account uses the address" in result.output


def test_disable_two_factor_turns_it_off_deletes_recovery_codes_and_is_audited(app, runner, make_member):
    from petitions.accounts import services as accounts
    from petitions.models import Account

    account = make_member(totp=True)
    accounts.new_recovery_codes(account)
    db.session.commit()
    result = runner.invoke(args=["organiser", "disable-two-factor", "--email", account.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not db.session.get(Account, account.id).has_totp
    assert accounts.recovery_codes_left(account) == 0
    assert _audit_lines()[-1][0] == "two_factor.off"
    again = runner.invoke(args=["organiser", "disable-two-factor", "--email", account.email])
    assert again.exit_code != 0 and "has no two-factor authentication" in again.output


def _create(runner, *extra, input=None):
    from .helpers import PASSWORD

    return runner.invoke(args=["organiser", "create", "--email", "ed@rights.example", "--name", "Ed",
                               "--organisation", "Test Rights Group", "--password", PASSWORD, *extra], input=input)


def test_organiser_create_says_what_it_did_and_asks_before_raising_a_role(runner, make_member):
    from petitions.accounts import services as accounts

    make_member()  # the organisation exists, with its owner
    editor = make_member(email="ed@rights.example", role="editor")
    org_id = editor.memberships[0].organisation_id

    declined = _create(runner, input="n\n")
    assert declined.exit_code != 0 and "already a member of 'Test Rights Group' with the role editor" in declined.output
    assert accounts.role_in(accounts.find_account("ed@rights.example"), org_id) == "editor"

    accepted = _create(runner, input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "changed its role in 'Test Rights Group' from editor to owner" in accepted.output
    assert accounts.role_in(accounts.find_account("ed@rights.example"), org_id) == "owner"

    again = _create(runner)
    assert again.exit_code == 0 and "was already an owner of 'Test Rights Group'; nothing was changed" in again.output
    assert [line[0] for line in _audit_lines()] == ["member.role"]


def test_organiser_create_promotes_with_the_flag_and_adds_an_existing_account_elsewhere(runner, make_member):
    from petitions.accounts import services as accounts

    make_member()
    make_member(email="ed@rights.example", role="viewer")
    promoted = _create(runner, "--promote")
    assert promoted.exit_code == 0 and "from viewer to owner" in promoted.output
    added = runner.invoke(args=["organiser", "create", "--email", "ed@rights.example", "--name", "Ed",
                                "--organisation", "Another Group", "--password", "ignored but long enough"])
    assert added.exit_code == 0 and "existed (its name and password are unchanged); added it as an owner" in added.output
    account = accounts.find_account("ed@rights.example")
    assert sorted((m.organisation.name, m.role) for m in account.memberships) == [
        ("Another Group", "owner"), ("Test Rights Group", "owner")]
    assert [line[0] for line in _audit_lines()] == ["member.role", "member.join"]
