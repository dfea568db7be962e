"""The ``petitions`` command: Flask's CLI plus petition and mail groups.

Each command is the one place that commits its transaction.
"""
import json
import signal
import sys

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup

from .extensions import db

petition_cli = AppGroup("petition", help="Create, update and inspect petitions.")
mail_cli = AppGroup("mail", help="Deliver queued email.")


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
        petition, created = import_petition(data, current_app.config["LANGUAGES"], current_app.config["COUNTER_SHARDS"])
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
    """Keep delivering queued mail until stopped (SIGTERM or Ctrl-C)."""
    from .mail.worker import run_forever

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    click.echo("delivering queued mail; Ctrl-C to stop")
    try:
        run_forever(poll, stop=lambda: bool(stopping), on_batch=lambda s, f: click.echo(f"sent {s}, failed {f}"))
    except KeyboardInterrupt:
        pass


@click.command("purge")
def purge_command():
    """Apply the retention rules: delete stale unconfirmed signatures, anonymise ended petitions' signers.

    Run it daily (cron or a systemd timer). Periods come from the configuration:
    UNCONFIRMED_RETENTION_DAYS (7) and ANONYMISE_AFTER_DAYS (180).
    """
    from .privacy import purge

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


def register(app):
    app.cli.add_command(petition_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(purge_command)


def _create_app():
    from . import create_app

    return create_app()


def main():
    """Entry point of the ``petitions`` command."""
    FlaskGroup(create_app=_create_app, help="Run and manage a petitions site.")(prog_name="petitions")
