"""WSGI entry point in a checkout: ``gunicorn wsgi:app`` (an installed release: ``petitions.wsgi:app``)."""
from petitions.wsgi import app

__all__ = ["app"]
