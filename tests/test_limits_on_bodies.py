"""Each route takes a body only as large as it needs (a clear 413 otherwise), and no number in a URL is a 500."""
import io

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from petitions.extensions import db
from petitions.models import PaperSignature, Petition, Signature

from .helpers import page_text, sign, sign_in

TOO_MUCH = "What you sent is larger than this page accepts"


@pytest.fixture
def organiser(app, make_member, make_petition):
    make_petition()
    client = app.test_client()
    sign_in(client, make_member())
    return client


def test_a_sign_form_of_more_than_32_kb_is_a_clear_413_and_nothing_is_stored(client, petition):
    response = sign(client, city="x" * 33_000)
    assert response.status_code == 413 and TOO_MUCH in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    assert sign(client, city="Minsk").status_code == 200


def test_other_routes_refuse_more_than_64_kb(client, petition):
    response = client.post("/organiser/sign-in", data={"email": "a@example.org", "password": "p" * 70_000})
    assert response.status_code == 413 and TOO_MUCH in page_text(response)


def test_the_editor_takes_a_long_cyrillic_text(organiser):
    body = "Свобода " * 12_000  # 96,000 characters: some 600 KB once form-encoded
    response = organiser.post("/organiser/p/free-them/text/en", data={
        "title": "Free them", "addressee": "", "summary": "", "body": body, "demands": "", "save": "1"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Petition)).translation("en").body == body.strip()


def _upload(client, content):
    # Encoded in memory: the test client would spool a large upload to a temporary file that a 413 leaves open.
    boundary, body = encode_multipart({"csv-note": "", "csv-file": FileStorage(io.BytesIO(content), "paper.csv")})
    return client.post("/organiser/p/free-them/paper", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def test_a_paper_list_may_be_megabytes_but_not_more_than_4_mb(organiser):
    line = b"Anna Nowak,Warszawa,PL\r\n"
    response = _upload(organiser, line * (5_000_000 // len(line)))
    assert response.status_code == 413 and TOO_MUCH in page_text(response)
    assert db.session.scalar(select(func.count()).select_from(PaperSignature)) == 0
    assert _upload(organiser, line * (3_000_000 // len(line))).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PaperSignature)) == 3_000_000 // len(line)


@pytest.mark.parametrize("method, path, data", [
    ("get", "/organiser/org/99999999999999999999/members", None),
    ("get", "/organiser/org/2147483648/audit", None),
    ("post", "/organiser/org/99999999999999999999/members/1/remove", {}),
    ("post", "/organiser/p/free-them/paper/99999999999999999999/delete", {}),
    ("post", "/organiser/p/free-them/updates",
     {"update": "99999999999999999999", "language": "en", "title": "t", "body": "b"}),
])
def test_numbers_too_large_for_an_id_are_a_404(organiser, method, path, data):
    response = getattr(organiser, method)(path, data=data)
    assert response.status_code == 404
