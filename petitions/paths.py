"""Where the templates, translations and migrations are, in a checkout and in an installed wheel.

The repository keeps them at its top level (templates/, translations/,
migrations/), beside the package; the wheel carries them inside it
(petitions/templates/ …), mapped there by setup.py. A folder inside the
package wins, so an installed release never reaches for a checkout's copy.
This module imports nothing from the application: config.py can use it.
"""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# The checkout's top level; in an installed wheel, site-packages (never read then: see resource_dir).
ROOT = PACKAGE.parent


def resource_dir(name):
    """The directory ``name`` (templates, translations, migrations) for this installation."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else ROOT / name
