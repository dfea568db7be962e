"""The ``petitions`` command: Flask's CLI plus petition and mail groups.

Each command is the one place that commits its transaction.
"""
import json
import signal
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup

from .extensions import db

petition_cli = AppGroup("petition", help="Create, update and inspect petitions.")
mail_cli = AppGroup("mail", help="Deliver queued email.")
organiser_cli = AppGroup("organiser", help="Manage organiser accounts.")
letter_cli = AppGroup("letter", help="Manage open letters.")
keys_cli = AppGroup("keys", help="Protect signer data: seal it to an organisation's key.")
# How long `keys create` waits for signing requests already under way before sealing once more.
STRAGGLER_SECONDS = 2.0


def _read_secret_file(path):
    """The first line of a passphrase file, without its line ending."""
    with open(path, encoding="utf-8") as handle:
        return handle.readline().rstrip("\r\n")


def _organisation_named(name):
    from sqlalchemy import select

    from .models import Organisation

    organisation = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        raise click.ClickException(f"no organisation named {name!r}")
    return organisation


def _unlock_for_cli(organisation_id, purpose, passphrase_file, recovery_file, petition=None):
    """The organisation's key from a passphrase file or recovery kit, audited; exits non-zero if refused."""

    from . import sealing
    from .organiser.protection import unlock

    actor = _operator()
    try:
        if recovery_file:
            with open(recovery_file, encoding="utf-8") as handle:
                opener = unlock(organisation_id, actor, purpose, kit_text=handle.read(), petition=petition)
        else:
            opener = unlock(organisation_id, actor, purpose, passphrase=_read_secret_file(passphrase_file),
                            petition=petition)
    except (sealing.WrongKey, UnicodeDecodeError):
        db.session.commit()  # the refused attempt stays in the audit log
        raise click.ClickException("the passphrase or recovery kit does not open this organisation's key; "
                                   "nothing was written") from None
    db.session.commit()
    return opener


@petition_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path):
    """Create or update a petition from a JSON file; an invalid file changes nothing."""
    from .organiser.services import InvalidPetition, import_petition

    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} is not valid JSON: {exc}") from None
    try:
        petition, created = import_petition(data, current_app.config["LANGUAGES"])
        db.session.commit()
    except InvalidPetition as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc}; nothing was changed") from None
    click.echo(f"{'created' if created else 'updated'} petition {petition.slug} ({', '.join(petition.languages)})")


@petition_cli.command("show")
@click.argument("slug")
def show_command(slug):
    """Print a petition's status, goals and signature counts."""
    from .organiser.services import petition_summary

    summary = petition_summary(slug)
    if summary is None:
        raise click.ClickException(f"no petition with slug {slug!r}")
    click.echo(f"slug:       {summary['slug']}")
    click.echo(f"status:     {summary['status']}")
    click.echo(f"languages:  {', '.join(summary['languages'])}")
    for lang, missing in summary["missing_text"].items():
        state = "complete" if not missing else "missing " + ", ".join(missing)
        click.echo(f"  {lang}: {state}")
    click.echo(f"goal:       {summary['goal']}")
    click.echo(f"next goal:  {summary['next_goal']}")
    click.echo(f"confirmed:  {summary['confirmed']}")
    click.echo(f"pending:    {summary['pending']}")
    click.echo(f"withdrawn:  {summary['withdrawn']}")
    for goal, reached_at in summary["goals_reached"]:
        click.echo(f"reached {goal} at {reached_at:%Y-%m-%d %H:%M:%S} UTC")


@mail_cli.command("send")
def send_command():
    """Deliver every queued message that is due, then exit (non-zero if any failed)."""
    from .mail.worker import deliver_all

    sent, failed = deliver_all()
    click.echo(f"sent {sent}, failed {failed}")
    if failed:
        sys.exit(1)


@mail_cli.command("worker")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between looks at an empty outbox.")
def worker_command(poll):
    """Keep delivering queued mail until stopped (SIGTERM or Ctrl-C).

    A database or mail server that is down is logged and waited out; the
    worker never exits on its own. Stopping finishes and records the message
    in flight first, so an orderly stop never sends a message twice.
    """
    from .mail.worker import run_forever

    stopping = []

    def stop(signum, frame):
        stopping.append(signum)

    # Ctrl-C too: an interrupt in the middle of a send could lose the record that it went out.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo("delivering queued mail; Ctrl-C to stop")
    run_forever(poll, stop=lambda: bool(stopping), on_batch=lambda s, f: click.echo(f"sent {s}, failed {f}"))
    click.echo("stopped")


@mail_cli.command("bounces")
def bounces_command():
    """Read bounces and complaints from BOUNCE_MAILBOX_URL, once, and say what each was.

    A hard bounce or a spam complaint about one of our messages puts its
    recipient's keyed hash on the suppression list: no more mail they did not
    ask for. Each report is committed, then deleted from the mailbox; one that
    cannot be used (malformed, no or an unknown return path, not a report)
    changes nothing and is moved to the folder petitions-unrecognised. Run it
    every few minutes (cron or a systemd timer).
    """
    from .mail.bounces import read_mailbox
    from .mail.mailboxes import MailboxError

    config = current_app.config
    if not config["BOUNCE_ADDRESS"]:
        raise click.ClickException("BOUNCE_ADDRESS is not set: our messages carry no return path to read bounces by")
    if not config["BOUNCE_MAILBOX_URL"]:
        raise click.ClickException("BOUNCE_MAILBOX_URL is not set: there is no mailbox to read")
    try:
        summary = read_mailbox(config["BOUNCE_MAILBOX_URL"], echo=click.echo)
    except MailboxError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"read {summary.read}: {summary.counted} counted, {summary.deleted} deleted, "
               f"{summary.set_aside} moved aside")


@mail_cli.command("reminders")
def reminders_command():
    """Queue the one reminder of every signature still pending after CONFIRM_REMINDER_HOURS, then exit.

    The mail worker does this by itself once a minute; this is for sites that
    deliver with `petitions mail send` from cron. It commits each batch as it
    goes; `mail send` (or the worker) delivers what it queued.
    """
    from .mail.reminders import BATCH, queue_due

    if current_app.config["CONFIRM_REMINDER_HOURS"] <= 0:
        click.echo("reminders are off (CONFIRM_REMINDER_HOURS=0)")
        return
    total = 0
    while True:
        try:
            queued = queue_due(limit=BATCH)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        total += queued
        if queued < BATCH:
            break
    click.echo(f"signatures reminded: {total}")


@click.command("purge")
def purge_command():
    """Apply the retention rules: delete stale unconfirmed signatures and letter sign-ons, anonymise ended
    petitions' signers and letters' co-signers, then make the deleted data unreadable in the database files.

    Run it daily (cron or a systemd timer). Periods come from the configuration:
    UNCONFIRMED_RETENTION_DAYS (7) and ANONYMISE_AFTER_DAYS (180).
    """
    from .retention import purge, reclaim_space

    config = current_app.config
    try:
        done = purge(unconfirmed_days=config["UNCONFIRMED_RETENTION_DAYS"],
                     anonymise_after_days=config["ANONYMISE_AFTER_DAYS"],
                     sent_mail_days=config["SENT_MAIL_RETENTION_DAYS"])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    for name, count in done.items():
        click.echo(f"{name.replace('_', ' ')}: {count}")
    # After the commit: VACUUM cannot run inside a transaction.
    click.echo(f"database: {reclaim_space()}")


def _operator():
    """How the audit log names whoever runs a command."""
    import getpass

    return f"command line ({getpass.getuser()})"


def _organiser_account(email):
    from .accounts.services import find_account

    account = find_account(email)
    if account is None:
        raise click.ClickException(f"no organiser account uses the address {email!r}; nothing was changed")
    return account


def _weak_password():
    return click.ClickException(
        f"the password must have at least {current_app.config['MIN_PASSWORD_LENGTH']} characters; nothing was changed")


@organiser_cli.command("create")
@click.option("--email", required=True, help="The owner's email address (their sign-in).")
@click.option("--name", required=True, help="The owner's name, as other members see it.")
@click.option("--organisation", required=True, help="The organisation's name; created if it does not exist.")
@click.option("--language", default="en", show_default=True, help="Language of the organiser pages for this account.")
@click.option("--promote", is_flag=True,
              help="If the account is already an editor or viewer of the organisation, make it an owner without asking.")
@click.password_option(help="The password (asked for when not given; at least MIN_PASSWORD_LENGTH characters).")
@click.option("--protect", is_flag=True, help="Turn protection of signer data on, as `keys create` does.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
              help="With --protect: the key's passphrase, on this file's first line (asked for twice when not given).")
@click.option("--recovery-file", type=click.Path(dir_okay=False, writable=True),
              help="With --protect: write the recovery kit to this file (printed when not given).")
@click.pass_context
def organiser_create_command(ctx, email, name, organisation, language, promote, password, protect, passphrase_file,
                             recovery_file):
    """Bootstrap an owner: create (or reuse) the account and make it an owner of the organisation.

    An existing account keeps its name and password. Raising an existing member's role to owner
    needs --promote or a yes at the prompt. The command says which of these it did. With --protect,
    the organisation's signer data is sealed from the start (see `keys create`).
    """
    from email_validator import EmailNotValidError, validate_email

    from .accounts.services import Bootstrap, WeakPassword, WouldPromote, bootstrap_owner

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.ClickException(f"{email!r} is not a valid email address: {exc}") from None
    if language not in current_app.config["LANGUAGES"]:
        raise click.ClickException(f"language must be one of {', '.join(current_app.config['LANGUAGES'])}")
    actor = _operator()
    try:
        try:
            account, org, outcome, previous = bootstrap_owner(email, name, password, organisation, language,
                                                              actor=actor, promote=promote)
        except WouldPromote as exc:
            db.session.rollback()
            click.confirm(f"{email} is already a member of {organisation!r} with the role {exc.role}. "
                          "Make them an owner?", abort=True)
            account, org, outcome, previous = bootstrap_owner(email, name, password, organisation, language,
                                                              actor=actor, promote=True)
        db.session.commit()
    except WeakPassword:
        db.session.rollback()
        raise _weak_password() from None
    except BaseException:
        db.session.rollback()
        raise
    click.echo({
        Bootstrap.CREATED: f"created the account {email}, an owner of {org.name!r}",
        Bootstrap.ADDED: f"the account {email} existed (its name and password are unchanged); "
                         f"added it as an owner of {org.name!r}",
        Bootstrap.ALREADY: f"the account {email} was already an owner of {org.name!r}; nothing was changed",
        Bootstrap.PROMOTED: f"the account {email} existed (its name and password are unchanged); "
                            f"changed its role in {org.name!r} from {previous} to owner",
    }[outcome])
    click.echo(f"sign in at {current_app.config['BASE_URL']}/organiser/sign-in")
    if protect:
        from .organiser.protection import is_protected

        if is_protected(org.id):
            click.echo(f"{org.name!r} is already protected; its key was not changed", err=True)
        else:
            ctx.invoke(keys_create_command, organisation_name=org.name, passphrase_file=passphrase_file,
                       recovery_file=recovery_file)


@organiser_cli.command("reset-password")
@click.option("--email", required=True, help="The account's email address.")
@click.option("--password-file", type=click.File("r", encoding="utf-8"),
              help="Read the new password from the first line of this file instead of asking for it twice.")
def organiser_reset_password_command(email, password_file):
    """Set a new password for an organiser account; every session of the account ends.

    Two-factor authentication stays on: the member still needs a code (or a recovery code) to
    sign in. Written to the audit log as done from the command line.
    """
    from .accounts.services import WeakPassword, reset_password

    account = _organiser_account(email)
    if password_file is not None:
        password = password_file.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        reset_password(account, password, actor=_operator())
        db.session.commit()
    except WeakPassword:
        db.session.rollback()
        raise _weak_password() from None
    click.echo(f"set a new password for {account.email}; every session of the account has ended")


@organiser_cli.command("disable-two-factor")
@click.option("--email", required=True, help="The account's email address.")
def organiser_disable_two_factor_command(email):
    """Turn off an organiser's two-factor authentication and delete their recovery codes.

    For a member who lost both their phone and their recovery codes. Written to the audit log as
    done from the command line.
    """
    from .accounts.services import disable_totp_for

    account = _organiser_account(email)
    if not account.has_totp:
        raise click.ClickException(f"{account.email} has no two-factor authentication; nothing was changed")
    disable_totp_for(account, _operator())
    db.session.commit()
    click.echo(f"turned off two-factor authentication for {account.email} and deleted their recovery codes")


@keys_cli.command("create")
@click.option("--organisation", "organisation_name", required=True, help="The organisation's name.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
              help="Read the passphrase from the first line of this file (asked for twice when not given).")
@click.option("--recovery-file", type=click.Path(dir_okay=False, writable=True),
              help="Write the recovery kit to this file (printed to standard output when not given).")
def keys_create_command(organisation_name, passphrase_file, recovery_file):
    """Turn protection on: make the organisation's key, seal every existing row, leave no plaintext behind.

    Prints the public key's fingerprint. Losing both the passphrase and the recovery kit loses the data.
    """
    import os

    from . import sealing
    from .organiser.protection import erase_leftovers, seal_stragglers, turn_on

    organisation = _organisation_named(organisation_name)
    if passphrase_file:
        passphrase = _read_secret_file(passphrase_file)
    else:
        passphrase = click.prompt("Passphrase", hide_input=True, confirmation_prompt=True)
    try:
        private, counts = turn_on(organisation, passphrase, _operator())
        kit = sealing.recovery_kit(organisation.name, private)
        del private
        fingerprint = sealing.organisation_key(organisation.id).fingerprint
        if recovery_file:
            # Written before the commit: protection is never on without its kit on disk.
            descriptor = os.open(recovery_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(kit)
        db.session.commit()
    except sealing.AlreadyProtected:
        db.session.rollback()
        raise click.ClickException(f"{organisation.name!r} is already protected; nothing was changed") from None
    except sealing.WeakPassphrase:
        db.session.rollback()
        raise click.ClickException(f"the passphrase must have at least {sealing.MIN_PASSPHRASE_LENGTH} characters; "
                                   "nothing was changed") from None
    except Exception:
        db.session.rollback()
        raise
    # A signing request that read "protection off" just before the commit may still store a plain row.
    time.sleep(STRAGGLER_SECONDS)
    counts["signatures"] += seal_stragglers(organisation)
    db.session.commit()
    db.session.remove()
    for step in erase_leftovers(db.engine):
        click.echo(f"database: {step}", err=True)
    if not recovery_file:
        click.echo(kit)
    del kit
    click.echo(f"sealed {counts['signatures']} signatures and {counts['sign-ons']} letter sign-ons", err=True)
    click.echo(f"protection is on for {organisation_name!r}; fingerprint: {fingerprint}")
    click.echo("Keep the recovery kit away from this server. Losing both the passphrase and the kit loses the data.",
               err=True)


@keys_cli.command("status")
@click.option("--organisation", "organisation_name", default=None, help="Only this organisation (default: all).")
def keys_status_command(organisation_name):
    """Print whether protection is on, the fingerprint, and how many rows are sealed and still plain."""
    from sqlalchemy import select

    from .models import Organisation
    from .organiser.protection import status

    if organisation_name:
        organisations = [_organisation_named(organisation_name)]
    else:
        organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    for organisation in organisations:
        found = status(organisation)
        click.echo(f"{organisation.name}: protection {'on' if found['protected'] else 'off'}")
        if found["protected"]:
            click.echo(f"  fingerprint: {found['fingerprint']}")
            click.echo(f"  key copies:  {found['holders']}")
        click.echo(f"  sealed rows: {found['sealed']}")
        click.echo(f"  plain rows:  {found['plain']}")


@click.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), default="csv", show_default=True)
@click.option("--lang", "language", default=None, help="Language of the PDF delivery pack (default: the petition's).")
@click.option("--with-emails", is_flag=True, help="CSV only: add the signers' email addresses.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="File to write ('-' for standard output).")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False),
              help="A protected organisation: unlock its key with the passphrase on this file's first line.")
@click.option("--recovery-file", type=click.Path(exists=True, dir_okay=False),
              help="A protected organisation: unlock its key with this recovery kit.")
def export_command(slug, fmt, language, with_emails, output, passphrase_file, recovery_file):
    """Export a petition's verified signatures (confirmed, not withdrawn) as CSV or as a PDF delivery pack.

    The export is written to the organisation's audit log as done from the command line. A protected
    organisation's export needs --passphrase-file or --recovery-file; its key is unlocked for this export only.
    """

    from sqlalchemy import select

    from .models import Petition
    from .organiser import exports

    petition = db.session.scalar(select(Petition).where(Petition.slug == slug))
    if petition is None:
        raise click.ClickException(f"no petition with slug {slug!r}")
    language = language or petition.primary_language
    if language not in current_app.config["LANGUAGES"]:
        raise click.ClickException(f"--lang must be one of {', '.join(current_app.config['LANGUAGES'])}")
    if passphrase_file and recovery_file:
        raise click.ClickException("give --passphrase-file or --recovery-file, not both; nothing was written")
    opener = None
    if exports.is_protected(petition.organisation_id):
        if not (passphrase_file or recovery_file):
            raise click.ClickException(
                f"{slug!r} belongs to a protected organisation: give --passphrase-file or --recovery-file; "
                "nothing was written")
        opener = _unlock_for_cli(petition.organisation_id, "export", passphrase_file, recovery_file, petition)
    total = exports.count(petition)
    to_stdout = output == "-"
    with click.progressbar(length=total, label=f"exporting {slug}", file=sys.stderr) as bar:
        export = exports.start(petition, fmt, language, with_emails, _operator(),
                               progress=bar.update, opener=opener)
        db.session.commit()  # the audit line stands even if writing the file fails
        handle = sys.stdout.buffer if to_stdout else open(output, "wb")
        try:
            for chunk in export.chunks:
                handle.write(chunk)
        finally:
            if not to_stdout:
                handle.close()
            if opener is not None:
                opener.close()  # the key was unlocked for this export only
    db.session.rollback()
    click.echo(f"wrote {export.rows} signatures to {output}", err=to_stdout)


@letter_cli.command("import")
@click.argument("slug")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(["organisation", "individual"]), default="organisation", show_default=True)
@click.option("--dry-run", is_flag=True, help="Print what would be imported, and how; store nothing.")
@click.option("--accept-suggestions", is_flag=True,
              help="For lines that need a decision, take the first suggestion (as the preview page would).")
def letter_import_command(slug, path, kind, dry_run, accept_suggestions):
    """Import signatories from a text file, one per line ("Name – Country", "Name, Country", "Name", numbered or not).

    Prints every line: as it is listed and how its country was recognised, or why it was not imported.
    Lines that need a decision are reported and not imported, unless --accept-suggestions is given.
    Imported signatories count as approved by the organiser. Nothing already listed changes.
    """
    from flask_babel import force_locale
    from sqlalchemy import select

    from .letters import importing
    from .letters.importing_labels import shown
    from .letters.services import LetterError
    from .models import Petition

    letter = db.session.scalar(select(Petition).where(Petition.slug == slug))
    if letter is None or not letter.is_letter:
        raise click.ClickException(f"no open letter with slug {slug!r}")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text; nothing was imported") from None
    try:
        if dry_run:
            lines = importing.preview(letter, text, kind)
            ready = [line for line in lines if line.status == "ready"]
            reported = [line for line in lines if line.status != "ready"]
        else:
            outcome = importing.save(letter, text, kind, take_suggestions=accept_suggestions)
            db.session.commit()
            ready, reported = outcome.saved, outcome.reported
    except LetterError as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc.code}; nothing was imported") from None
    with force_locale("en"):
        for line in sorted(ready + reported, key=lambda line: line.number):
            item = shown(line, "en")
            if line.status == "ready":
                click.echo(f"line {item.number}: {item.listed_as} [{'; '.join(item.how)}]")
            else:
                click.echo(f"line {item.number}: {item.problem}: {item.text}")
                for number, choice in enumerate(item.choices, 1):
                    click.echo(f"    {'suggested' if number == 1 else 'or'}: {choice.label}")
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {len(ready)} signatories")
    if reported:
        click.echo(f"{len(reported)} lines not imported")


def register(app):
    app.cli.add_command(petition_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(organiser_cli)
    app.cli.add_command(letter_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(export_command)
    app.cli.add_command(purge_command)


def _create_app():
    from . import create_app

    return create_app()


def main():
    """Entry point of the ``petitions`` command."""
    FlaskGroup(create_app=_create_app, help="Run and manage a petitions site.")(prog_name="petitions")
