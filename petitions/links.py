"""Absolute links for emails."""
from flask import current_app


def external_url(endpoint, **values):
    """An absolute link for an email, built on BASE_URL rather than the request's host.

    Built straight from the URL map: emails are written while signing, the
    busiest path there is, and a whole request context per link cost more
    than the rest of building the email.
    """
    app = current_app._get_current_object()
    adapter = app.extensions.get("petitions.link_adapter")
    if adapter is None:
        adapter = app.extensions["petitions.link_adapter"] = app.url_map.bind("localhost", script_name="/")
    app.inject_url_defaults(endpoint, values)
    return app.config["BASE_URL"] + adapter.build(endpoint, values)
