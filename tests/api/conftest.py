"""A site like `make run` makes: the demo petition and open letter, signatories, counts, and a hidden draft."""
import json
from pathlib import Path

import pytest

from petitions.extensions import db

DEMO = Path(__file__).resolve().parents[2] / "petitions" / "demo"


@pytest.fixture
def demo_site(app, make_petition, add_signatures):
    """The demo petition (12 confirmed online, 3 on paper), the demo letter with its co-signers, and a draft."""
    from petitions.letters.services import import_lines
    from petitions.organiser.services import import_petition

    made = {}
    for name in ("petition.json", "letter.json"):
        data = json.loads((DEMO / name).read_text(encoding="utf-8"))
        petition, _ = import_petition(data, app.config["LANGUAGES"])
        made[petition.kind] = petition
    letter = made["letter"]
    imported, problems = import_lines(letter, (DEMO / "letter-signatories.txt").read_text(encoding="utf-8"))
    assert imported and not problems
    import_lines(letter, "Ales Bialiatski, Belarus\nJane Doe – DE", kind="individual")
    made["petition"].paper_count = 3
    db.session.commit()
    add_signatures(made["petition"], count=12)
    made["draft"] = make_petition(slug="secret-draft", status="draft")
    return made
