"""Delivery exports: verified signatures only, stable bytes, a PDF pack whose checksum matches the CSV."""
import csv
import hashlib
import io
from datetime import datetime, timezone

import pypdf
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import AuditEvent

from ..helpers import page_text, sign_in

AT = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
EXPORTS = AuditEvent.action.startswith("export.")  # sign-ins are in the audit log too


def _fill(petition, add_signatures):
    add_signatures(petition, 1, at=AT, full_name="Алесь Бяляцкі", city="Мінск", country="BY", language="be")
    add_signatures(petition, 1, status="pending", full_name="Pending Person")
    add_signatures(petition, 1, status="withdrawn", full_name="Withdrawn Person")
    add_signatures(petition, 1, at=AT.replace(hour=13), full_name="Jürgen Groß", city="Köln, Nord", country="DE")
    add_signatures(petition, 1, at=AT.replace(hour=14), full_name="=HYPERLINK(\"http://x\")", city=None, country="PL",
                   language="ru")


def _exporter(app, make_member, role="editor", totp=True):
    client = app.test_client()
    sign_in(client, make_member(email=f"{role}@r.example", role=role, totp=totp))
    return client


def test_csv_has_verified_signatures_in_signing_order_without_emails(app, make_petition, make_member, add_signatures):
    petition = make_petition()
    _fill(petition, add_signatures)
    client = _exporter(app, make_member)
    response = client.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'attachment; filename="free-them-' in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows == [
        ["name", "city", "country", "language", "signed_at_utc"],
        ["Алесь Бяляцкі", "Мінск", "BY", "be", "2026-03-01T12:00:00Z"],
        ["Jürgen Groß", "Köln, Nord", "DE", "en", "2026-03-01T13:00:00Z"],
        ["'=HYPERLINK(\"http://x\")", "", "PL", "ru", "2026-03-01T14:00:00Z"],  # never run as a formula
    ]
    assert b"@example.org" not in body and b"\r\n" in body
    # The same signatures give the same file, byte for byte.
    assert client.post("/organiser/p/free-them/export", data={"format": "csv", "language": "de"}).get_data() == body


def test_email_addresses_only_when_asked_for(app, make_petition, make_member, add_signatures):
    petition = make_petition()
    _fill(petition, add_signatures)
    client = _exporter(app, make_member)
    body = client.post("/organiser/p/free-them/export",
                       data={"format": "csv", "language": "en", "with_emails": "y"}).get_data(as_text=True)
    assert body.splitlines()[0].endswith(",\"email\"") and "s1@example.org" in body and "s2@example.org" not in body
    event = db.session.scalars(select(AuditEvent)).all()[-1]
    assert event.detail["with_emails"] is True


def test_pdf_pack_lists_signatories_and_carries_the_csv_checksum(app, make_petition, make_member, add_signatures):
    petition = make_petition(languages=("en", "ru"))
    _fill(petition, add_signatures)
    client = _exporter(app, make_member)
    csv_bytes = client.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en"}).get_data()
    response = client.post("/organiser/p/free-them/export", data={"format": "pdf", "language": "ru"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Освободите узников совести" in text  # the Russian title
    assert "Освободить их" in text               # a demand
    assert "Алесь Бяляцкі" in text and "Jürgen Groß" in text and "Беларусь" in text and "Германия" in text
    assert "Pending Person" not in text and "Withdrawn Person" not in text
    assert hashlib.sha256(csv_bytes).hexdigest() in text.replace(" ", "")


def test_web_export_needs_a_second_factor_and_an_editor(app, make_petition, make_member, add_signatures):
    petition = make_petition()
    _fill(petition, add_signatures)
    without_totp = _exporter(app, make_member, totp=False)
    page = without_totp.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en"})
    assert page.mimetype == "text/html" and "Turn on two-factor authentication" in page_text(page)
    viewer = _exporter(app, make_member, role="viewer")
    assert viewer.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en"}).status_code == 404
    assert db.session.scalar(select(AuditEvent.id).where(EXPORTS)) is None  # nothing was exported, nothing logged


def test_every_export_is_in_the_audit_log(app, make_petition, make_member, add_signatures):
    petition = make_petition()
    _fill(petition, add_signatures)
    client = _exporter(app, make_member)
    client.post("/organiser/p/free-them/export", data={"format": "pdf", "language": "de"}).get_data()
    event = db.session.scalar(select(AuditEvent).where(EXPORTS))
    assert (event.action, event.petition_id, event.detail["rows"], event.detail["language"]) == \
        ("export.pdf", petition.id, 3, "de")
    assert "editor@r.example" in event.actor


def test_bad_export_choices_are_a_400(app, make_petition, make_member):
    make_petition()
    client = _exporter(app, make_member)
    for data in ({"format": "xls", "language": "en"}, {"format": "pdf", "language": "xx"}):
        assert client.post("/organiser/p/free-them/export", data=data).status_code == 400


def test_export_command_writes_the_same_csv_and_a_pdf(app, runner, make_petition, make_member, add_signatures,
                                                      tmp_path):
    petition = make_petition()
    _fill(petition, add_signatures)
    client = _exporter(app, make_member)
    web = client.post("/organiser/p/free-them/export", data={"format": "csv", "language": "en"}).get_data()
    out = tmp_path / "s.csv"
    result = runner.invoke(args=["export", "free-them", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == web and "wrote 3 signatures" in result.output
    pdf = tmp_path / "s.pdf"
    result = runner.invoke(args=["export", "free-them", "--format", "pdf", "--lang", "be", "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    text = " ".join(pypdf.PdfReader(str(pdf)).pages[-1].extract_text().split())
    assert hashlib.sha256(web).hexdigest() in text.replace(" ", "")
    actors = db.session.scalars(select(AuditEvent.actor).order_by(AuditEvent.id)).all()
    assert actors[-1].startswith("command line (")
    assert runner.invoke(args=["export", "nope", "-o", str(out)]).exit_code != 0
    assert runner.invoke(args=["export", "free-them", "--lang", "xx", "-o", str(out)]).exit_code != 0
