"""gunicorn settings for production, from a checkout: `gunicorn -c gunicorn.conf.py wsgi:app`.

The settings themselves are in petitions/gunicorn_conf.py, inside the
package, so that an installed release has them too:
`gunicorn -c python:petitions.gunicorn_conf petitions.wsgi:app`.
"""
import runpy

# Run, not imported: an import is cached, and each read of this file (gunicorn's reload on HUP, the tests)
# must see the environment as it is then.
globals().update(
    (name, value) for name, value in runpy.run_module("petitions.gunicorn_conf").items() if not name.startswith("__")
)
