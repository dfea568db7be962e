"""`petitions organisation ...`: the organisation page from the command line (the demo loads its page so)."""
import getpass
import json

import click
from flask import current_app

from ..extensions import db
from ..links import external_url
from . import editing


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_command(path):
    """Write an organisation's page (descriptions, statements) from a JSON file; an invalid file changes nothing.

    The format is that of petitions/demo/organisation.json. Importing the same file again changes nothing.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} is not valid JSON: {exc}") from None
    try:
        organisation, created, updated = editing.import_page(data, current_app.config["LANGUAGES"],
                                                             f"command line ({getpass.getuser()})")
        db.session.commit()
    except editing.InvalidPage as exc:
        db.session.rollback()
        raise click.ClickException(f"{path}: {exc}; nothing was changed") from None
    address = external_url("organisations.page_redirect", slug=organisation.slug)
    click.echo(f"organisation page {address}: {created} statement(s) created, {updated} updated")
