"""`petitions keys create/status` and `petitions export` for a protected organisation."""
import os
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import AuditEvent, LetterSignatory, Signature

from .conftest import PASSPHRASE

FROZEN = datetime(2026, 12, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def passphrase_file(tmp_path):
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def signed(petition, add_signatures):
    add_signatures(petition, 3)
    add_signatures(petition, 1, full_name="=Formula, \"Quoted\"", city="Minsk, Belarus", email="q@example.org",
                   email_hash="f" * 64)
    add_signatures(petition, 1, status="withdrawn", email="", full_name="", city=None, email_hash=None)
    return petition


def exported(runner, tmp_path, name, *args):
    path = tmp_path / name
    result = runner.invoke(args=["export", "free-them", "-o", str(path), *args])
    return result, path


def create_keys(runner, passphrase_file, tmp_path):
    kit = tmp_path / "kit.txt"
    result = runner.invoke(args=["keys", "create", "--organisation", "Test Rights Group",
                                 "--passphrase-file", passphrase_file, "--recovery-file", str(kit)])
    assert result.exit_code == 0, result.output
    return result, kit


@pytest.mark.commits
def test_keys_create_seals_every_existing_row_and_status_counts_no_plain_row(runner, signed, passphrase_file, tmp_path):
    before = runner.invoke(args=["keys", "status", "--organisation", "Test Rights Group"]).output
    assert "protection off" in before and "plain rows:  4" in before
    result, kit = create_keys(runner, passphrase_file, tmp_path)
    assert "fingerprint:" in result.output and "sealed 4 signatures" in result.output
    assert oct(os.stat(kit).st_mode & 0o777) == "0o600"
    assert "BEGIN PETITIONS ORGANISATION KEY" in kit.read_text()
    rows = db.session.scalars(select(Signature).where(Signature.status == "confirmed")).all()
    assert all((r.email, r.full_name, r.city) == ("", "", None) and r.sealed for r in rows)
    status = runner.invoke(args=["keys", "status", "--organisation", "Test Rights Group"]).output
    assert "protection on" in status and "sealed rows: 4" in status and "plain rows:  0" in status
    fingerprint = result.output.split("fingerprint: ")[1].split()[0:8]
    assert " ".join(fingerprint) in status


@pytest.mark.commits
def test_keys_create_twice_is_refused(runner, signed, passphrase_file, tmp_path):
    create_keys(runner, passphrase_file, tmp_path)
    again = runner.invoke(args=["keys", "create", "--organisation", "Test Rights Group",
                                "--passphrase-file", passphrase_file])
    assert again.exit_code != 0 and "already protected" in again.output


def test_a_short_passphrase_changes_nothing(runner, signed, tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("too short\n")
    result = runner.invoke(args=["keys", "create", "--organisation", "Test Rights Group", "--passphrase-file", str(short)])
    assert result.exit_code != 0 and "at least" in result.output
    assert db.session.scalar(select(Signature.sealed).limit(1)) is None


@pytest.mark.commits
def test_keys_create_asks_the_passphrase_twice_without_a_file(runner, signed):
    result = runner.invoke(args=["keys", "create", "--organisation", "Test Rights Group"],
                           input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert result.exit_code == 0, result.output
    assert "BEGIN PETITIONS ORGANISATION KEY" in result.output  # no --recovery-file: the kit is printed


@pytest.mark.commits
@pytest.mark.parametrize("fmt", ["csv", "pdf"])
def test_a_protected_export_is_byte_for_byte_the_unprotected_one(runner, signed, passphrase_file, tmp_path, fmt,
                                                                 monkeypatch):
    monkeypatch.setattr("petitions.organiser.exports.utcnow", lambda: FROZEN)
    extra = ["--format", fmt] + (["--with-emails"] if fmt == "csv" else [])
    plain, plain_path = exported(runner, tmp_path, "plain", *extra)
    assert plain.exit_code == 0, plain.output
    _, kit = create_keys(runner, passphrase_file, tmp_path)
    with_passphrase, sealed_path = exported(runner, tmp_path, "sealed", *extra, "--passphrase-file", passphrase_file)
    assert with_passphrase.exit_code == 0, with_passphrase.output
    with_kit, kit_path = exported(runner, tmp_path, "kit", *extra, "--recovery-file", str(kit))
    assert with_kit.exit_code == 0, with_kit.output
    assert plain_path.read_bytes() == sealed_path.read_bytes() == kit_path.read_bytes()
    if fmt == "csv":
        assert "Minsk, Belarus" in plain_path.read_text(encoding="utf-8-sig")
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("key.unlock") == 2


@pytest.mark.commits
def test_a_protected_export_without_passphrase_or_kit_writes_nothing(runner, signed, passphrase_file, tmp_path):
    create_keys(runner, passphrase_file, tmp_path)
    result, path = exported(runner, tmp_path, "out.csv")
    assert result.exit_code != 0 and "protected organisation" in result.output
    assert not path.exists()


@pytest.mark.commits
def test_a_wrong_passphrase_exits_non_zero_writes_nothing_and_is_audited(runner, signed, passphrase_file, tmp_path):
    create_keys(runner, passphrase_file, tmp_path)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("seven wild ravens over the sea\n")
    result, path = exported(runner, tmp_path, "out.csv", "--passphrase-file", str(wrong))
    assert result.exit_code != 0 and "does not open" in result.output
    assert not path.exists()
    assert "key.unlock_refused" in db.session.scalars(select(AuditEvent.action)).all()


@pytest.mark.commits
def test_another_organisation_kit_does_not_open_this_one(runner, signed, passphrase_file, tmp_path):
    from petitions import sealing
    from petitions.sealing import crypto

    create_keys(runner, passphrase_file, tmp_path)
    stranger = tmp_path / "stranger.txt"
    stranger.write_text(sealing.recovery_kit("Other", crypto.new_key_pair()[0]))
    result, path = exported(runner, tmp_path, "out.csv", "--recovery-file", str(stranger))
    assert result.exit_code != 0 and not path.exists()


@pytest.mark.commits
def test_keys_create_seals_letter_sign_ons_and_keeps_their_moderation_flag(runner, make_petition, passphrase_file,
                                                                          tmp_path):
    letter = make_petition(slug="open-letter", kind="letter")
    db.session.add(LetterSignatory(
        petition_id=letter.id, kind="organisation", name="Human Rights House", name_key="human rights house",
        country="LT", website="https://humanrightshouse.example", contact_name="Marta Contact",
        contact_role="Director", email="marta@gmail.com", email_hash="e" * 64, language="en", status="awaiting"))
    db.session.commit()
    create_keys(runner, passphrase_file, tmp_path)
    row = db.session.scalar(select(LetterSignatory))
    assert (row.contact_name, row.contact_role, row.email, row.mail_flag) == ("", "", "", "free_mail")
    assert row.name == "Human Rights House" and row.website == "https://humanrightshouse.example"
    from petitions.letters.services import flags

    assert flags(row) == ["free_mail"]


def test_a_row_stored_plain_by_a_request_that_missed_the_switch_is_sealed_afterwards(app, signed, protect,
                                                                                     add_signatures):
    from petitions.organiser.protection import seal_stragglers, status

    protect(signed)
    add_signatures(signed, 1, email="late@example.org", email_hash="a" * 64)  # as a request in flight would
    assert status(signed.organisation)["plain"] == 1
    assert seal_stragglers(signed.organisation) == 1
    db.session.commit()
    assert status(signed.organisation)["plain"] == 0
