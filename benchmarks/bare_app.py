"""The baseline other projects are compared against: a bare Flask application, one route, short text.

benchmarks/load.py serves it with the project's own gunicorn.conf.py, the same
workers and settings as petitions, so "x% of bare Flask" says what petitions
adds on top of Flask and gunicorn themselves:

    .venv/bin/gunicorn -c gunicorn.conf.py --pythonpath benchmarks bare_app:app
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
