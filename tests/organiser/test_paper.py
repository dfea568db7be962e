"""Signatures collected on paper: counted apart, added to the total; lists imported all or nothing."""
import io

from sqlalchemy import func, select

from petitions.extensions import db
from petitions.models import PaperSignature

from ..helpers import page_text, sign_in


def _client(app, make_member):
    client = app.test_client()
    sign_in(client, make_member())
    return client


def test_a_paper_count_is_shown_apart_and_added_to_the_total(app, make_petition, make_member, add_signatures):
    petition = make_petition(goal=1000)
    add_signatures(petition, 1147)
    client = _client(app, make_member)
    assert client.post("/organiser/p/free-them/paper", data={"count-count": "80", "count-note": "Vilnius"}).status_code == 302
    page = page_text(app.test_client().get("/en/p/free-them"))
    assert "1,147 online + 80 on paper" in page and "1,227 of 2,000" in page
    assert app.test_client().get("/api/v1/petitions/free-them/count").get_json()["signature_count"] == 1227


def test_a_csv_list_is_imported_with_countries_in_several_languages(app, make_petition, make_member):
    petition = make_petition()
    client = _client(app, make_member)
    data = "name,city,country\r\nАлесь Бяляцкі,Мінск,Беларусь\r\nJürgen Groß,Köln,Deutschland\r\nAnna,,PL\r\nИван,Москва,Россия\r\n"
    response = client.post("/organiser/p/free-them/paper", content_type="multipart/form-data",
                           data={"csv-note": "march", "csv-file": (io.BytesIO(data.encode("utf-8-sig")), "paper.csv")})
    assert response.status_code == 302
    db.session.expire_all()
    assert petition.paper_count == 4
    rows = db.session.scalars(select(PaperSignature.country).order_by(PaperSignature.id)).all()
    assert rows == ["BY", "DE", "PL", "RU"]
    # The count and the countries are kept; the names and cities are not, anywhere.
    assert not {"full_name", "city"} & set(PaperSignature.__table__.columns.keys())
    dump = " ".join(str(v) for table in db.metadata.sorted_tables for row in db.session.execute(select(table)) for v in row)
    assert "Бяляцкі" not in dump and "Köln" not in dump


def test_a_malformed_list_reports_every_bad_line_and_stores_nothing(app, make_petition, make_member):
    petition = make_petition()
    client = _client(app, make_member)
    data = "Ann,Oslo,NO\nBob,Nowhere,Atlantis\n,Riga,LV\nonly two,columns\nCid,Bern,Switzerland\n"
    response = client.post("/organiser/p/free-them/paper", content_type="multipart/form-data",
                           data={"csv-note": "", "csv-file": (io.BytesIO(data.encode()), "paper.csv")})
    page = page_text(response)
    assert response.status_code == 400
    assert "line 2: country not recognised: Atlantis" in page
    assert "line 3: the name is empty" in page and "line 4: expected three columns" in page
    db.session.expire_all()
    assert petition.paper_count == 0 and db.session.scalar(select(func.count()).select_from(PaperSignature)) == 0


def test_a_file_that_is_not_utf8_text_is_refused_clearly(app, make_petition, make_member):
    make_petition()
    client = _client(app, make_member)
    response = client.post("/organiser/p/free-them/paper", content_type="multipart/form-data",
                           data={"csv-note": "", "csv-file": (io.BytesIO("Jürgen,Köln,DE".encode("latin-1")), "x.csv")})
    assert response.status_code == 400 and "is not UTF-8 text" in page_text(response)


def test_removing_a_batch_takes_it_off_the_total(app, make_petition, make_member):
    petition = make_petition()
    client = _client(app, make_member)
    client.post("/organiser/p/free-them/paper", data={"count-count": "12", "count-note": ""})
    client.post("/organiser/p/free-them/paper", data={"count-count": "3", "count-note": ""})
    db.session.expire_all()
    assert petition.paper_count == 15
    from petitions.models import PaperBatch

    first = db.session.scalar(select(PaperBatch).order_by(PaperBatch.id))
    client.post(f"/organiser/p/free-them/paper/{first.id}/delete")
    db.session.expire_all()
    assert petition.paper_count == 3


def test_a_batch_is_removed_only_through_its_own_petition(app, make_petition, make_member):
    from petitions.models import PaperBatch

    petition = make_petition()
    other = make_petition(slug="other-one")
    client = _client(app, make_member)
    client.post("/organiser/p/other-one/paper", data={"count-count": "7", "count-note": ""})
    batch = db.session.scalar(select(PaperBatch))
    assert client.post(f"/organiser/p/free-them/paper/{batch.id}/delete").status_code == 404
    assert client.post("/organiser/p/free-them/paper/999999/delete").status_code == 404
    db.session.expire_all()
    assert (other.paper_count, petition.paper_count) == (7, 0)


def test_a_list_with_thousands_of_bad_lines_shows_the_first_fifty_and_counts_the_rest(app, make_petition, make_member):
    make_petition()
    client = _client(app, make_member)
    data = "".join(f"Name {i},City,Atlantis\r\n" for i in range(1, 5001))  # no such country: 5,000 bad lines
    response = client.post("/organiser/p/free-them/paper", content_type="multipart/form-data",
                           data={"csv-note": "", "csv-file": (io.BytesIO(data.encode()), "paper.csv")})
    assert response.status_code == 400
    page = page_text(response)
    assert "line 50:" in page and "line 51:" not in page
    assert "… and 4,950 more lines with problems." in page
    assert len(response.get_data()) < 100_000
    assert db.session.scalar(select(func.count()).select_from(PaperSignature)) == 0
