"""WSGI entry point of an installed release: ``gunicorn 'petitions.wsgi:app'``, from any directory."""
from . import create_app

app = create_app()
