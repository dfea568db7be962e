"""The petitions command: import, show and mail delivery."""
import json

from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Petition

from .conftest import petition_data
from .helpers import sign


def write(tmp_path, data, name="petition.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return str(path)


def test_import_creates_then_updates_a_petition(runner, tmp_path):
    result = runner.invoke(args=["petition", "import", write(tmp_path, petition_data(languages=("en", "ru")))])
    assert result.exit_code == 0 and "created petition free-them" in result.output
    changed = petition_data(languages=("en", "ru", "de"), goal=5000)
    result = runner.invoke(args=["petition", "import", write(tmp_path, changed)])
    assert result.exit_code == 0 and "updated petition free-them" in result.output
    petition = db.session.scalar(select(Petition))
    assert petition.goal == 5000 and petition.languages == ["en", "de", "ru"]


def test_demo_petition_imports(runner):
    result = runner.invoke(args=["petition", "import", "petitions/demo/petition.json"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(Petition)).languages == ["en", "be", "de", "ru"]


def test_invalid_file_is_refused_by_name_and_changes_nothing(runner, tmp_path):
    runner.invoke(args=["petition", "import", write(tmp_path, petition_data())])
    cases = [
        ("{not json", "is not valid JSON"),
        (petition_data(goal="many"), "'goal' must be a int"),
        (petition_data(status="archived"), "'status' must be one of"),
        (petition_data(primary="de"), "'primary_language' 'de' has no entry"),
        (petition_data(slug="Not A Slug"), "slug 'Not A Slug'"),
        ({**petition_data(), "translations": {"en": {"title": ""}}}, "translations.en.title must not be empty"),
        ({**petition_data(), "translations": {"xx": {"title": "t"}}}, "language 'xx' is not configured"),
    ]
    for data, problem in cases:
        result = runner.invoke(args=["petition", "import", write(tmp_path, data)])
        assert result.exit_code != 0 and problem in result.output, (problem, result.output)
    petition = db.session.scalar(select(Petition))
    assert petition.goal == 1000


def test_show_prints_goals_and_counts(runner, client, petition):
    sign(client)
    result = runner.invoke(args=["petition", "show", "free-them"])
    assert result.exit_code == 0
    assert "next goal:  1000" in result.output and "confirmed:  0" in result.output and "pending:    1" in result.output
    assert runner.invoke(args=["petition", "show", "nope"]).exit_code != 0


def test_mail_send_delivers_the_queue(runner, client, petition, tmp_path, app):
    sign(client)
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "sent 1, failed 0" in result.output
    assert len(list((tmp_path / "mailbox").glob("*.eml"))) == 1


def test_show_tells_which_languages_are_complete(runner, tmp_path):
    data = petition_data(languages=("en", "ru", "de"))
    data["translations"]["ru"]["summary"] = ""
    data["translations"]["de"]["demands"] = ["Nur eine"]
    runner.invoke(args=["petition", "import", write(tmp_path, data)])
    output = runner.invoke(args=["petition", "show", "free-them"]).output
    assert "  en: complete" in output
    assert "  ru: missing summary" in output
    assert "  de: missing demands" in output
