"""`petitions petition import` on an existing petition moves its status only as the editor may."""
import json

import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Petition
from petitions.organiser.services import InvalidPetition, import_petition

from ..helpers import petition_data


def _import(app, **kwargs):
    return import_petition(petition_data(**kwargs), app.config["LANGUAGES"])


@pytest.mark.parametrize("status", ["draft", "open", "closed", "delivered"])
def test_a_new_petition_may_start_in_any_status(app, status):
    petition, created = _import(app, status=status)
    assert created and petition.status == status


def test_a_delivered_petition_is_not_sent_back_to_draft_and_nothing_changes(app, make_petition):
    make_petition(status="delivered", goal=1000)
    for status in ("draft", "open", "closed"):
        with pytest.raises(InvalidPetition, match="cannot change from 'delivered'"):
            _import(app, status=status, goal=5)
        db.session.rollback()
    petition = db.session.scalar(select(Petition))
    assert (petition.status, petition.goal) == ("delivered", 1000)


def test_an_update_moves_the_status_as_the_editor_would(app, make_petition):
    make_petition(status="draft")
    petition, created = _import(app, status="open")
    assert not created and petition.status == "open" and petition.published_at is not None
    petition, _ = _import(app, status="closed")
    assert petition.status == "closed" and petition.closed_at is not None


def test_an_update_without_a_status_keeps_the_one_it_has(app, make_petition):
    make_petition(status="closed")
    data = petition_data()
    del data["status"]
    petition, _ = import_petition(data, app.config["LANGUAGES"])
    assert petition.status == "closed"


def test_the_command_refuses_the_move_with_a_clear_message(app, runner, make_petition, tmp_path):
    make_petition(status="delivered")
    path = tmp_path / "p.json"
    path.write_text(json.dumps(petition_data(status="draft")))
    result = runner.invoke(args=["petition", "import", str(path)])
    assert result.exit_code != 0
    assert "'status' cannot change from 'delivered' to 'draft'" in result.output and "nothing was changed" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(Petition.status)) == "delivered"
