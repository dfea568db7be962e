"""WSGI entry point: ``gunicorn wsgi:app``."""
from petitions import create_app

app = create_app()
