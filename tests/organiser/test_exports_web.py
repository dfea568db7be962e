"""The exports as a browser gets them: each request in its own app context, the body streamed after it."""
import io

import pypdf
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import AuditEvent

from ..helpers import sign_in
from .test_exports import EXPORTS


def _browser(make_app, account):
    # A second app object: its requests push their own app context (as a real server's do), so the
    # database session is removed when the view returns and before the body is streamed.
    client = make_app().test_client()
    sign_in(client, account)
    return client


def test_pdf_export_streams_through_the_web_after_the_request_ends(make_app, make_petition, make_member,
                                                                    add_signatures):
    petition = make_petition(languages=("en", "ru"))
    add_signatures(petition, 3, full_name="Алесь Бяляцкі", country="BY")
    client = _browser(make_app, make_member(email="editor@r.example", role="editor", totp=True))
    response = client.post("/organiser/p/free-them/export", data={"format": "pdf", "language": "ru"})
    body = response.get_data()  # consumes the whole stream
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
    assert "Освободите узников совести" in text and "Алесь Бяляцкі" in text
    assert [e.action for e in db.session.scalars(select(AuditEvent).where(EXPORTS))] == ["export.pdf"]


def test_an_export_that_cannot_start_leaves_no_audit_line(make_app, make_petition, make_member, add_signatures):
    from petitions.models import PetitionTranslation

    petition = make_petition()
    add_signatures(petition, 2)
    # A petition left without any text (rows removed by hand): the pack has no title to print.
    db.session.execute(PetitionTranslation.__table__.delete())
    db.session.commit()
    account = make_member(email="editor@r.example", role="editor", totp=True)
    client = make_app(PROPAGATE_EXCEPTIONS=False).test_client()
    sign_in(client, account)
    response = client.post("/organiser/p/free-them/export", data={"format": "pdf", "language": "en"})
    response.get_data()
    assert response.status_code == 500
    assert db.session.scalar(select(AuditEvent.id).where(EXPORTS)) is None
