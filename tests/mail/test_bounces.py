"""Return paths, bounces and complaints read from a real Maildir (and a real IMAP server), and the suppression list."""
import mailbox
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from petitions.address_hashes import email_hash
from petitions.config import ConfigError, load
from petitions.extensions import db
from petitions.mail import messages, suppression
from petitions.mail.bounces import read_mailbox
from petitions.mail.worker import deliver_all
from petitions.models import EventKind, OutboxMessage, ReturnPath, Signature, Suppression, utcnow
from petitions.models.events import event_total
from petitions.retention import purge
from petitions.signature_links import withdraw_url

from ..helpers import confirm, last_confirm_path, page_text, queued_to, sign, sign_in

DATA = Path(__file__).parent / "data" / "bounces"
BOUNCE_ADDRESS = "bounces@petitions.example.org"
RETURN_PATH = re.compile(r"bounces\+([a-z2-7]{26})@petitions\.example\.org")


@pytest.fixture
def maildir(tmp_path):
    path = tmp_path / "bounce-mailbox"
    mailbox.Maildir(str(path), create=True)
    return path


@pytest.fixture
def bounce_app(smtp_app, maildir):
    smtp_app.config.update(BOUNCE_ADDRESS=BOUNCE_ADDRESS, BOUNCE_MAILBOX_URL=f"maildir://{maildir}")
    return smtp_app


def report(name, token, recipient):
    """A hand-written report from tests/mail/data/bounces, about the message with ``token`` to ``recipient``."""
    raw = (DATA / name).read_bytes()
    return raw.replace(b"{{token}}", token.encode()).replace(b"{{recipient}}", recipient.encode())


def deliver(path, *raws):
    box = mailbox.Maildir(str(path), create=False)
    for raw in raws:
        box.add(raw)


def left_in(path, folder=None):
    box = mailbox.Maildir(str(path), create=False)
    if folder:
        box = box.get_folder(folder)
    return [box.get_bytes(key) for key in box.keys()]


def signed_and_sent(client, smtp_server, email, slug="free-them", **fields):
    """Sign with ``email``, deliver the confirmation, and return its return-path token."""
    sign(client, slug=slug, email=email, **fields)
    before = len(smtp_server.messages)
    assert deliver_all() == (1, 0)
    smtp_server.wait_for(before + 1)
    return RETURN_PATH.fullmatch(smtp_server.envelope_senders[before]).group(1)


def read_bounces(runner):
    result = runner.invoke(args=["mail", "bounces"])
    assert result.exit_code == 0, result.output
    return result.output


def is_suppressed(address):
    return db.session.get(Suppression, suppression.address_hash(address))


def count(petition, kind):
    return event_total(db.session, petition.id, kind)


# --- return paths --------------------------------------------------------------------------------------

def test_each_message_leaves_with_its_own_return_path_that_names_no_recipient(bounce_app, smtp_server, client,
                                                                              petition):
    tokens = [signed_and_sent(client, smtp_server, f"reader{i}@example.net") for i in range(2)]
    assert len(set(tokens)) == 2
    for message, sender in zip(smtp_server.messages, smtp_server.envelope_senders, strict=True):
        assert RETURN_PATH.fullmatch(sender) and "reader" not in sender and "example.net" not in sender
        assert message["From"] == "Petitions <petitions@localhost>"  # From stays MAIL_FROM
        assert message["Return-Path"] is None  # the receiving server writes it from MAIL FROM
    rows = db.session.scalars(select(ReturnPath)).all()
    assert {row.kind for row in rows} == {"confirm"} and {row.petition_id for row in rows} == {petition.id}
    for row, token in zip(rows, tokens, strict=True):
        # Neither the token nor the recipient's hash is stored readable.
        stored = repr((row.token_digest, row.sealed_address))
        assert token not in stored
        assert bytes.fromhex(email_hash(bounce_app.config["HASH_KEY"], "reader0@example.net")) not in row.sealed_address
    assert count(petition, EventKind.MAIL_SENT) == 2


def test_without_a_bounce_address_mail_goes_as_before_and_is_still_counted(smtp_app, smtp_server, client, petition):
    sign(client, email="plain@example.net")
    assert deliver_all() == (1, 0)
    smtp_server.wait_for(1)
    assert smtp_server.envelope_senders == ["petitions@localhost"]
    assert db.session.scalar(select(func.count()).select_from(ReturnPath)) == 0
    assert count(petition, EventKind.MAIL_SENT) == 1


def test_a_message_built_by_the_standard_library_carries_its_return_path_too(bounce_app, smtp_server, petition,
                                                                            monkeypatch):
    """A message with headers compose.py cannot write as bytes is an EmailMessage: it keeps its envelope sender."""
    from petitions.mail import compose

    built = []
    monkeypatch.setattr(compose, "build_email_message", _recording(compose.build_email_message, built))
    messages._queue("erase", "ales@example.net", "ru", {"erase_url": "http://petitions.test/x", "count": 1},
                    headers={"List-Unsubscribe": "<http://petitions.test/ü>"})  # not plain ASCII: EmailMessage
    db.session.commit()
    assert deliver_all() == (1, 0)
    smtp_server.wait_for(1)
    assert RETURN_PATH.fullmatch(smtp_server.envelope_senders[0]) and len(built) == 1


def _recording(function, calls):
    def record(*args, **kwargs):
        calls.append(args)
        return function(*args, **kwargs)
    return record


# --- reading reports from a Maildir --------------------------------------------------------------------

def test_a_postfix_hard_bounce_suppresses_the_address_and_counts_for_the_petition(bounce_app, smtp_server, client,
                                                                                  petition, maildir, runner):
    token = signed_and_sent(client, smtp_server, "gone@example.net")
    deliver(maildir, report("postfix-hard.eml", token, "gone@example.net"))
    output = read_bounces(runner)
    assert "hard bounce (status 5.1.1) of a confirm message about petition" in output
    assert "read 1: 1 counted, 1 deleted, 0 moved aside" in output
    assert is_suppressed("gone@example.net").reason == "bounced"
    assert "gone@example.net" not in output  # the output names no one
    assert count(petition, EventKind.MAIL_BOUNCED) == 1 and count(petition, EventKind.MAIL_COMPLAINED) == 0
    assert left_in(maildir) == []


def test_an_exim_bounce_in_its_own_words_is_read_through_flufl_bounce(bounce_app, smtp_server, client, petition,
                                                                      maildir, runner):
    token = signed_and_sent(client, smtp_server, "closed@example.net")
    deliver(maildir, report("exim-hard.eml", token, "closed@example.net"))
    assert "hard bounce (a permanent failure in the mail server's own words)" in read_bounces(runner)
    assert is_suppressed("closed@example.net")
    assert count(petition, EventKind.MAIL_BOUNCED) == 1


def test_a_soft_bounce_suppresses_nothing_and_is_deleted(bounce_app, smtp_server, client, petition, maildir, runner):
    token = signed_and_sent(client, smtp_server, "slow@example.net")
    deliver(maildir, report("postfix-delayed.eml", token, "slow@example.net"))
    assert "soft bounce (status 4.4.1): nothing to do, deleted" in read_bounces(runner)
    assert not is_suppressed("slow@example.net") and count(petition, EventKind.MAIL_BOUNCED) == 0
    assert left_in(maildir) == []


def test_a_spam_complaint_suppresses_the_address(bounce_app, smtp_server, client, petition, maildir, runner):
    token = signed_and_sent(client, smtp_server, "annoyed@gmail.example")
    deliver(maildir, report("gmail-arf.eml", token, "annoyed@gmail.example"))
    assert "complaint (feedback type abuse) of a confirm message" in read_bounces(runner)
    assert is_suppressed("annoyed@gmail.example").reason == "complained"
    assert count(petition, EventKind.MAIL_COMPLAINED) == 1 and count(petition, EventKind.MAIL_BOUNCED) == 0


def test_the_same_report_read_twice_counts_once(bounce_app, smtp_server, client, petition, maildir, runner):
    token = signed_and_sent(client, smtp_server, "twice@example.net")
    raw = report("postfix-hard.eml", token, "twice@example.net")
    deliver(maildir, raw, raw)
    output = read_bounces(runner)
    assert "read 2: 1 counted, 2 deleted" in output and "counted before" in output
    deliver(maildir, raw)  # and again later, say after a crash between the commit and the deletion
    assert "counted before" in read_bounces(runner)
    assert count(petition, EventKind.MAIL_BOUNCED) == 1
    assert db.session.scalar(select(Suppression)).dropped == 0


def test_a_report_with_a_made_up_return_path_changes_nothing(bounce_app, smtp_server, client, petition, maildir,
                                                             runner):
    signed_and_sent(client, smtp_server, "victim@example.net")
    forged = report("postfix-hard.eml", "a" * 26, "victim@example.net")
    deliver(maildir, forged)
    output = read_bounces(runner)
    assert "unknown return path" in output and "nothing changed, moved aside" in output
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0
    assert count(petition, EventKind.MAIL_BOUNCED) == 0
    assert left_in(maildir) == [] and len(left_in(maildir, "petitions-unrecognised")) == 1


def test_malformed_reports_and_other_mail_are_reported_and_moved_aside(bounce_app, smtp_server, client, petition,
                                                                      maildir, runner):
    token = signed_and_sent(client, smtp_server, "someone@example.net")
    deliver(maildir, report("malformed.eml", token, "someone@example.net"),
            report("not-a-report.eml", token, "someone@example.net"),
            report("out-of-office.eml", token, "someone@example.net"),
            b"\x00\xff not even headers \r\n\r\n")
    output = read_bounces(runner)
    assert "malformed report (a delivery report without delivery-status fields): nothing changed, moved aside" in output
    assert "not a report (a text/plain message): nothing changed, moved aside" in output
    assert "notice (an automatic reply): nothing to do, deleted" in output
    assert "read 4: 0 counted, 1 deleted, 3 moved aside" in output
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0
    assert len(left_in(maildir, "petitions-unrecognised")) == 3
    assert read_bounces(runner).strip() == "read 0: 0 counted, 0 deleted, 0 moved aside"  # not read twice


def test_what_was_set_aside_is_deleted_after_the_bounce_window(bounce_app, smtp_server, client, petition, maildir):
    # A bounce quotes the message it returns (name, petition, links): kept no longer than a return path is.
    token = signed_and_sent(client, smtp_server, "someone@example.net")
    deliver(maildir, report("malformed.eml", token, "someone@example.net"))
    read_mailbox(f"maildir://{maildir}")
    assert len(left_in(maildir, "petitions-unrecognised")) == 1
    days = bounce_app.config["BOUNCE_WINDOW_DAYS"]
    assert read_mailbox(f"maildir://{maildir}", now=utcnow() + timedelta(days=days - 1)).pruned == 0
    assert read_mailbox(f"maildir://{maildir}", now=utcnow() + timedelta(days=days, minutes=1)).pruned == 1
    assert left_in(maildir, "petitions-unrecognised") == []


def test_the_command_says_what_is_missing_and_refuses_a_path_that_is_no_maildir(smtp_app, runner, tmp_path):
    result = runner.invoke(args=["mail", "bounces"])
    assert result.exit_code != 0 and "BOUNCE_ADDRESS is not set" in result.output
    smtp_app.config.update(BOUNCE_ADDRESS=BOUNCE_ADDRESS, BOUNCE_MAILBOX_URL=f"maildir://{tmp_path}/nothing")
    result = runner.invoke(args=["mail", "bounces"])
    assert result.exit_code != 0 and "is not a Maildir" in result.output


# --- what the suppression list stops -------------------------------------------------------------------

def _bounced(client, smtp_server, maildir, runner, address, **fields):
    """A confirmed signer whose address then hard-bounced."""
    sign(client, email=address, wants_updates="y", **fields)
    confirm(client, last_confirm_path(address))
    deliver_all()
    token = RETURN_PATH.fullmatch(smtp_server.envelope_senders[-1]).group(1)
    deliver(maildir, report("postfix-hard.eml", token, address))
    read_bounces(runner)
    assert is_suppressed(address)
    return db.session.scalar(select(Signature).where(Signature.email == address))


def _queue_update(signature, petition):
    return messages.queue_update(signature, "Free them", "We delivered it", "<p>Done.</p>", "Done.",
                                 "http://petitions.test/en/p/free-them", withdraw_url(signature),
                                 "http://petitions.test/en/unsubscribe/x", "en")


def test_a_suppressed_address_gets_no_update_or_reminder_but_a_new_confirmation(bounce_app, smtp_server, client,
                                                                                petition, make_petition, maildir,
                                                                                runner):
    signature = _bounced(client, smtp_server, maildir, runner, "dead@example.net")
    assert _queue_update(signature, petition) is False
    assert messages._queue("reminder", "dead@example.net", "en", {"petition_id": petition.id}) is False
    assert messages._queue("subscriber_mailing", "DEAD@example.net", "en", {}) is False  # the hash ignores case
    assert queued_to("dead@example.net") == []
    assert is_suppressed("dead@example.net").dropped == 3
    # What its owner asks for still goes: signing another petition sends its confirmation.
    make_petition(slug="second")
    sent_before = len(smtp_server.messages)
    sign(client, slug="second", email="dead@example.net")
    assert deliver_all() == (1, 0)
    assert smtp_server.wait_for(sent_before + 1)[-1]["To"] == "dead@example.net"


def test_a_message_queued_before_the_bounce_arrived_is_dropped_when_sending(bounce_app, smtp_server, client, petition,
                                                                           maildir, runner):
    sign(client, email="late@example.net", wants_updates="y")
    confirm(client, last_confirm_path("late@example.net"))
    signature = db.session.scalar(select(Signature).where(Signature.email == "late@example.net"))
    assert deliver_all() == (1, 0)
    token = RETURN_PATH.fullmatch(smtp_server.envelope_senders[-1]).group(1)
    assert _queue_update(signature, petition) is True  # queued while the address still looked fine
    db.session.commit()
    deliver(maildir, report("gmail-arf.eml", token, "late@example.net"))
    read_bounces(runner)
    assert deliver_all() == (0, 0)
    assert len(smtp_server.messages) == 1
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "update")) == 0
    assert is_suppressed("late@example.net").dropped == 1


def test_asked_for_mail_still_goes_to_a_suppressed_address(bounce_app, smtp_server, client, petition, maildir, runner):
    _bounced(client, smtp_server, maildir, runner, "asks@example.net")
    for kind in suppression.ASKED_FOR:
        assert messages._queue(kind, "asks@example.net", "en", {}) is True, kind
    assert is_suppressed("asks@example.net").dropped == 0


def test_confirming_a_signature_again_lifts_the_suppression(bounce_app, smtp_server, client, petition, make_petition,
                                                            maildir, runner):
    _bounced(client, smtp_server, maildir, runner, "back@example.net")
    make_petition(slug="second")
    sign(client, slug="second", email="back@example.net")
    assert is_suppressed("back@example.net")  # signing alone lifts nothing: anyone can type an address
    confirm(client, last_confirm_path("back@example.net"))
    assert not is_suppressed("back@example.net")


def test_erasing_my_data_removes_the_address_from_the_list(bounce_app, smtp_server, client, petition, maildir, runner):
    from petitions.erasure import erase_everything

    _bounced(client, smtp_server, maildir, runner, "erase-me@example.net")
    erase_everything(email_hash(bounce_app.config["HASH_KEY"], "erase-me@example.net"))
    assert not is_suppressed("erase-me@example.net")


# --- the dashboard -------------------------------------------------------------------------------------

def test_the_dashboard_shows_bounce_and_complaint_rates(bounce_app, smtp_server, client, petition, maildir, runner,
                                                       make_member):
    tokens = {address: signed_and_sent(client, smtp_server, address)
              for address in ("a@example.net", "b@example.net", "c@example.net", "d@example.net")}
    deliver(maildir, report("postfix-hard.eml", tokens["a@example.net"], "a@example.net"),
            report("gmail-arf.eml", tokens["b@example.net"], "b@example.net"))
    read_bounces(runner)
    organiser = bounce_app.test_client()
    sign_in(organiser, make_member())
    page = page_text(organiser.get("/organiser/p/free-them/"))
    assert "Email delivery" in page and "4 emails about this petition were accepted by mail servers." in page
    assert "<dd>25.0%</dd>" in page  # one bounce and one complaint in four
    assert "1 came back because the address does not work." in page and "1 was reported as spam" in page
    assert "These rates are high." in page
    german = bounce_app.test_client()
    sign_in(german, make_member(email="de@rights.example", language="de"))
    assert "25,0" in page_text(german.get("/organiser/p/free-them/"))


def test_the_dashboard_says_when_bounces_are_not_read(smtp_app, smtp_server, client, petition, make_member):
    sign(client, email="x@example.net")
    deliver_all()
    organiser = smtp_app.test_client()
    sign_in(organiser, make_member())
    page = page_text(organiser.get("/organiser/p/free-them/"))
    assert "1 email about this petition was accepted by a mail server." in page
    assert "does not read bounces" in page and "Bounce rate" not in page


# --- retention -----------------------------------------------------------------------------------------

def test_purge_forgets_return_paths_after_the_window_and_lets_suppressions_lapse(bounce_app, smtp_server, client,
                                                                               petition, maildir, runner):
    token = signed_and_sent(client, smtp_server, "old@example.net")
    signed_and_sent(client, smtp_server, "new@example.net")
    deliver(maildir, report("postfix-hard.eml", token, "old@example.net"))
    read_bounces(runner)
    now = utcnow()
    old = db.session.scalars(select(ReturnPath).order_by(ReturnPath.sent_at)).first()
    old.sent_at = now - timedelta(days=8)
    is_suppressed("old@example.net").suppressed_at = now - timedelta(days=366)
    db.session.commit()
    done = purge(now=now)
    assert done["return_paths_forgotten"] == 1 and done["suppressions_lapsed"] == 1
    assert db.session.scalar(select(func.count()).select_from(ReturnPath)) == 1
    assert db.session.scalar(select(func.count()).select_from(Suppression)) == 0
    # A bounce for a message whose return path was forgotten is not understood.
    deliver(maildir, report("postfix-hard.eml", token, "old@example.net"))
    assert "unknown return path" in read_bounces(runner)


# --- configuration -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["imap://bounces:pw@mail.example.org/INBOX", "imap://bounces:pw@192.0.2.1/INBOX"])
def test_production_refuses_a_password_over_plain_imap(monkeypatch, tmp_path, url):
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(32))
    monkeypatch.setenv("MAIL_URL", "smtp://127.0.0.1:25")
    monkeypatch.setenv("PETITIONS_INSTANCE", str(tmp_path))
    monkeypatch.setenv("BOUNCE_MAILBOX_URL", url)
    with pytest.raises(ConfigError, match="plain IMAP"):
        load("production")
    monkeypatch.setenv("BOUNCE_MAILBOX_URL", "imap://bounces:pw@127.0.0.1:143/INBOX")
    assert load("production")["BOUNCE_MAILBOX_URL"].startswith("imap://")


@pytest.mark.parametrize("variable, text", [
    ("BOUNCE_ADDRESS", "bounces+x@example.org"),
    ("BOUNCE_ADDRESS", "no-at-sign"),
    ("BOUNCE_ADDRESS", "a" * 38 + "@example.org"),
    ("BOUNCE_MAILBOX_URL", "maildir://relative/path"),
    ("BOUNCE_MAILBOX_URL", "pop3://user:pw@host"),
    ("BOUNCE_WINDOW_DAYS", "0"),
])
def test_bounce_settings_are_checked_at_startup(monkeypatch, variable, text):
    monkeypatch.setenv(variable, text)
    with pytest.raises(ConfigError, match=variable):
        load("testing")


def test_the_imap_reader_refuses_plain_imap_to_another_machine_in_every_profile(bounce_app):
    from petitions.mail.mailboxes import MailboxError

    with pytest.raises(MailboxError, match="plain IMAP"):
        read_mailbox("imap://bounces:pw@mail.example.org/INBOX")


# --- IMAP, through a real Dovecot ----------------------------------------------------------------------

@pytest.fixture
def dovecot():
    from .dovecot import DovecotServer

    server = DovecotServer().start()
    yield server
    server.stop()


@pytest.mark.imap
def test_reports_are_read_from_an_imap_server(bounce_app, smtp_server, client, petition, runner, dovecot):
    bounce_app.config["BOUNCE_MAILBOX_URL"] = dovecot.url
    hard = signed_and_sent(client, smtp_server, "imap-gone@example.net")
    complained = signed_and_sent(client, smtp_server, "imap-annoyed@example.net")
    soft = signed_and_sent(client, smtp_server, "imap-slow@example.net")
    dovecot.append(report("postfix-hard.eml", hard, "imap-gone@example.net"))
    dovecot.append(report("gmail-arf.eml", complained, "imap-annoyed@example.net"))
    dovecot.append(report("postfix-delayed.eml", soft, "imap-slow@example.net"))
    dovecot.append(report("malformed.eml", soft, "imap-slow@example.net"))
    output = read_bounces(runner)
    assert "read 4: 2 counted, 3 deleted, 1 moved aside" in output, output
    assert is_suppressed("imap-gone@example.net").reason == "bounced"
    assert is_suppressed("imap-annoyed@example.net").reason == "complained"
    assert not is_suppressed("imap-slow@example.net")
    assert count(petition, EventKind.MAIL_BOUNCED) == 1 and count(petition, EventKind.MAIL_COMPLAINED) == 1
    assert dovecot.messages("INBOX") == []
    (aside,) = dovecot.messages("petitions-unrecognised")
    assert b"broken-mta.example.net" in aside
    # The same report again (a second copy delivered late) counts nothing more.
    dovecot.append(report("postfix-hard.eml", hard, "imap-gone@example.net"))
    assert "counted before" in read_bounces(runner)
    assert count(petition, EventKind.MAIL_BOUNCED) == 1
    # What was set aside goes after BOUNCE_WINDOW_DAYS (IMAP searches by day).
    later = utcnow() + timedelta(days=bounce_app.config["BOUNCE_WINDOW_DAYS"] + 1)
    assert read_mailbox(dovecot.url, now=later).pruned == 1
    assert dovecot.messages("petitions-unrecognised") == [] and dovecot.messages("INBOX") == []


@pytest.mark.imap
def test_a_wrong_imap_password_is_a_clear_error(bounce_app, runner, dovecot):
    bounce_app.config["BOUNCE_MAILBOX_URL"] = dovecot.url.replace(dovecot.password, "wrong")
    result = runner.invoke(args=["mail", "bounces"])
    assert result.exit_code != 0 and "refused the user name and password" in result.output
    assert "wrong" not in result.output
