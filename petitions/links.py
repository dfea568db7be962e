"""Absolute links for emails."""
from flask import current_app, url_for


def external_url(endpoint, **values):
    """An absolute link for an email, built on BASE_URL rather than the request's host."""
    with current_app.test_request_context("/"):
        path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"] + path
