"""Open letters: sign-on, confirmation, moderation with flags, public numbered lists, import, API, documents."""
import io
import re

import pypdf
import pytest
from sqlalchemy import func, select

from petitions.extensions import db
from petitions.letters import importing, services
from petitions.models import LetterSignatory, OutboxMessage

from ..helpers import page_text, queued_to, read, served_stamp, sign_in


@pytest.fixture
def letter(make_petition):
    return make_petition(slug="end-repression", kind="letter", languages=("en", "ru", "be", "de"))


def _sign_on(client, kind="organisation", lang="en", **fields):
    data = {"name": "Viasna Human Rights Centre", "country": "BY", "website": "https://spring96.org",
            "contact_name": "Ales", "contact_role": "Chair", "email": "ales@spring96.org", "title": "",
            "served": served_stamp(client.application), "website_hp": ""}
    data.update(fields)
    return client.post(f"/{lang}/letter/end-repression/sign/{kind}", data=data)


def _confirm_link(address):
    body = queued_to(address)[-1].text_body
    return re.search(r"https?://[^/\s]+(/[a-z]{2}/letter/confirm/\S+)", body).group(1)


def test_the_petition_address_of_a_letter_leads_to_the_letter_page(client, letter):
    assert client.get("/p/end-repression").location.endswith("/letter/end-repression")
    assert client.get("/ru/p/end-repression").location.endswith("/ru/letter/end-repression")


def test_nothing_appears_before_moderation(client, letter):
    assert _sign_on(client).status_code == 303
    assert "Viasna" not in page_text(client.get("/en/letter/end-repression"))
    assert client.post(_confirm_link("ales@spring96.org")).status_code == 200
    row = db.session.scalar(select(LetterSignatory))
    assert row.status == "awaiting"
    assert "Viasna" not in page_text(client.get("/en/letter/end-repression"))
    assert client.get("/api/v1/petitions/end-repression/signatories").get_json()["organisations"] == []


def test_approved_signatories_are_numbered_with_countries_in_the_page_language(app, client, letter, make_member):
    _sign_on(client)
    client.post(_confirm_link("ales@spring96.org"))
    _sign_on(client, kind="individual", name="Jürgen Groß", title="former UN Special Rapporteur", country="DE",
             email="jg@example.org")
    client.post(_confirm_link("jg@example.org"))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    for row in db.session.scalars(select(LetterSignatory)).all():
        organiser.post(f"/organiser/p/end-repression/signatories/{row.id}/decide", data={"decision": "approve"})
    page = page_text(client.get("/ru/letter/end-repression"))
    assert "1. Viasna Human Rights Centre – Беларусь" in page
    assert "1. Jürgen Groß, former UN Special Rapporteur – Германия" in page
    assert "1 организация" in page and "1 частное лицо" in page
    data = client.get("/api/v1/petitions/end-repression/signatories?lang=de").get_json()
    assert data["organisations"] == [{"position": 1, "name": "Viasna Human Rights Centre", "country": "BY",
                                      "country_name": "Belarus", "countries": ["BY"], "country_names": ["Belarus"],
                                      "region": "", "kind": "organisation"}]
    assert data["individuals"][0]["title"] == "former UN Special Rapporteur"


def test_moderation_flags_free_mail_domain_mismatch_and_repeat_names(app, client, letter, make_member):
    _sign_on(client, email="someone@gmail.com")
    _sign_on(client, name="Another Group", website="https://another.example", email="x@different.example")
    _sign_on(client, name="  viasna   HUMAN rights «Centre» ", website="spring96.org", email="press@spring96.org")
    _sign_on(client, name="Good Org", website="https://www.good.example", email="info@mail.good.example")
    for address in ("someone@gmail.com", "x@different.example", "press@spring96.org", "info@mail.good.example"):
        client.post(_confirm_link(address))
    flags = {row.email: found for row, found in services.moderation_queue(letter)}
    assert flags["someone@gmail.com"] == ["free_mail", "already_signed"]
    assert flags["x@different.example"] == ["domain_mismatch"]
    assert flags["press@spring96.org"] == ["already_signed"]
    assert flags["info@mail.good.example"] == []
    organiser = app.test_client()
    sign_in(organiser, make_member())
    page = page_text(organiser.get("/organiser/p/end-repression/signatories"))
    assert "sent from a free email address" in page and "the email domain differs" in page


def test_the_same_organisation_is_never_listed_twice(app, client, letter, make_member):
    _sign_on(client)
    _sign_on(client, name="VIASNA  Human Rights \"Centre\"", email="b@spring96.org")
    client.post(_confirm_link("ales@spring96.org"))
    client.post(_confirm_link("b@spring96.org"))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    first, second = db.session.scalars(select(LetterSignatory).order_by(LetterSignatory.id)).all()
    organiser.post(f"/organiser/p/end-repression/signatories/{first.id}/decide", data={"decision": "approve"})
    organiser.post(f"/organiser/p/end-repression/signatories/{second.id}/decide", data={"decision": "approve"})
    db.session.expire_all()
    assert (first.status, second.status) == ("approved", "awaiting")


def test_a_rejected_sign_on_never_appears_and_its_submitter_is_told_politely(app, client, letter, make_member):
    _sign_on(client, lang="ru")
    client.post(_confirm_link("ales@spring96.org"))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    row = db.session.scalar(select(LetterSignatory))
    organiser.post(f"/organiser/p/end-repression/signatories/{row.id}/decide",
                   data={"decision": "reject", "confirmed": "y"})
    assert "Viasna" not in page_text(client.get("/en/letter/end-repression"))
    told = read(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cosign_decision")).one())
    assert told.recipient == "ales@spring96.org" and "Освободите узников совести" in told.subject


def test_asked_for_changes_the_signer_signs_again_and_replaces_the_entry(app, client, letter, make_member):
    _sign_on(client)
    client.post(_confirm_link("ales@spring96.org"))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    row = db.session.scalar(select(LetterSignatory))
    organiser.post(f"/organiser/p/end-repression/signatories/{row.id}/decide",
                   data={"decision": "changes", "note": "Please use the full legal name."})
    note = read(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "cosign_decision")).one())
    assert "Please use the full legal name." in note.text_body
    _sign_on(client, name="Human Rights Centre Viasna")
    rows = db.session.scalars(select(LetterSignatory)).all()
    assert len(rows) == 1 and rows[0].name == "Human Rights Centre Viasna" and rows[0].status == "unconfirmed"


def test_names_are_kept_exactly_and_escaped(app, client, letter, make_member):
    hostile = "<script>alert(1)</script> «Правозащитный центр» Łódź & Co"
    _sign_on(client, name=hostile, website="", email="h@example.org")
    client.post(_confirm_link("h@example.org"))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    row = db.session.scalar(select(LetterSignatory))
    assert row.name == hostile
    organiser.post(f"/organiser/p/end-repression/signatories/{row.id}/decide", data={"decision": "approve"})
    page = page_text(client.get("/en/letter/end-repression"))
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page and "Łódź &amp; Co" in page


@pytest.mark.parametrize("line,expected", [
    ("12. Amnesty International – United Kingdom", ("Amnesty International", ("GB",))),
    ("Viasna, Belarus", ("Viasna", ("BY",))),
    ("  3)  Мемориал — Россия", ("Мемориал", ("RU",))),
    ("Libereco - Deutschland", ("Libereco", ("DE",))),
    ("Правозащитный центр «Весна» – Беларусь", ("Правозащитный центр «Весна»", ("BY",))),
    ("Human Rights House Foundation, NO", ("Human Rights House Foundation", ("NO",))),
    ("Беларускі ПЭН – Беларусь", ("Беларускі ПЭН", ("BY",))),
    ("Rights-Defenders e.V. - DE", ("Rights-Defenders e.V.", ("DE",))),
    ("Helsinki Committee, Inc., Poland", ("Helsinki Committee, Inc.", ("PL",))),
    ("Just a name with no country", ("Just a name with no country", ())),
])
def test_import_lines_are_read_whatever_their_numbering_and_dashes(app, line, expected):
    read = importing.read_line(1, line)
    assert (read.status, (read.name, read.codes)) == ("ready", expected)


@pytest.mark.parametrize("line,status", [
    ("Somebody – Atlantis", "decision"),
    ("– Belarus", "unparsed"),
    ("Belarus", "unparsed"),
])
def test_lines_that_cannot_be_read_are_reported_not_guessed(app, line, status):
    assert importing.read_line(1, line).status == status


def test_letter_import_command_reports_every_line_it_did_not_import(app, runner, letter, tmp_path):
    source = tmp_path / "list.txt"
    source.write_text("1. Viasna – Belarus\n2. Libereco - DE\n\n3. Mystery Org – Narnia\nBelarus\n"
                      "4. VIASNA - BY\n5. Мемориал, Россия\n", encoding="utf-8")
    result = runner.invoke(args=["letter", "import", "end-repression", str(source)])
    assert result.exit_code == 0, result.output
    assert "imported 3 signatories" in result.output
    assert "line 4: needs your decision: 3. Mystery Org – Narnia" in result.output
    assert "line 5: no name before the country: Belarus" in result.output
    assert "line 6: repeats line 1: 4. VIASNA - BY" in result.output
    assert "line 1: Viasna – Belarus [Belarus: exact]" in result.output
    rows = db.session.scalars(select(LetterSignatory)).all()
    assert {(r.name, r.country, r.status, r.source) for r in rows} == {
        ("Viasna", "BY", "approved", "import"), ("Libereco", "DE", "approved", "import"),
        ("Мемориал", "RU", "approved", "import")}


def test_alphabetical_order_follows_the_reader_and_a_custom_order_is_kept(app, client, letter):
    services.import_lines(letter, "Émigré Union – FR\nzebra Group – DE\nAlpha – DE\nЯблоко – RU\nБелый – BY\n")
    db.session.commit()
    names = [s.name for s in services.public_lists(letter, "en")[0]]
    assert names == ["Alpha", "Émigré Union", "zebra Group", "Белый", "Яблоко"]
    # A Russian reader finds Cyrillic names first.
    assert [s.name for s in services.public_lists(letter, "ru")[0]] == [
        "Белый", "Яблоко", "Alpha", "Émigré Union", "zebra Group"]
    rows = {r.name: r.id for r in services.approved(letter)}
    services.set_order(letter, "custom", {rows["Яблоко"]: 1, rows["Alpha"]: 2})
    db.session.commit()
    assert [s.name for s in services.public_lists(letter, "en")[0]][:3] == ["Яблоко", "Alpha", "Émigré Union"]


def test_the_letter_as_a_pdf_and_html_document(app, letter, make_member):
    services.import_lines(letter, "Viasna – BY\nLibereco – DE\n")
    services.import_lines(letter, "Jürgen Groß – DE\n", kind="individual")
    db.session.commit()
    organiser = app.test_client()
    sign_in(organiser, make_member(role="viewer"))
    pdf = organiser.get("/organiser/p/end-repression/letter.pdf?lang=ru")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf.get_data())).pages)
    assert "Освободите узников совести" in text and "Viasna" in text and "Беларусь" in text and "Jürgen Groß" in text
    html = organiser.get("/organiser/p/end-repression/letter.html?lang=de")
    assert "1. Libereco – Deutschland" in page_text(html) and "2. Viasna – Belarus" in page_text(html)
    assert organiser.get("/organiser/p/end-repression/letter.doc").status_code == 404


def test_petition_import_accepts_a_letter_kind_and_refuses_others(app, runner, tmp_path):
    import json

    from ..helpers import petition_data

    path = tmp_path / "l.json"
    path.write_text(json.dumps(petition_data(slug="l1", kind="letter")))
    assert runner.invoke(args=["petition", "import", str(path)]).exit_code == 0
    path.write_text(json.dumps(petition_data(slug="l2", kind="poster")))
    result = runner.invoke(args=["petition", "import", str(path)])
    assert result.exit_code != 0 and "'kind' must be 'petition' or 'letter'" in result.output


def test_bad_moderation_input_changes_nothing(app, client, letter, make_member):
    _sign_on(client)
    client.post(_confirm_link("ales@spring96.org"))
    row = db.session.scalar(select(LetterSignatory))
    organiser = app.test_client()
    sign_in(organiser, make_member())
    base = "/organiser/p/end-repression"
    response = organiser.post(f"{base}/signatories/{row.id}/decide", data={"decision": "delete"}, follow_redirects=True)
    assert "Nothing was changed: please choose approve" in page_text(response)
    assert organiser.post(f"{base}/signatories/order", data={"mode": "random"}).status_code == 400
    assert organiser.post(f"{base}/signatories/import", data={"kind": "robot", "lines": "A – DE"}).status_code == 400
    assert organiser.get(f"{base}/letter.pdf?lang=xx").status_code == 404
    assert organiser.get(f"{base}/signatories/999/decide").status_code == 405
    assert organiser.post(f"{base}/signatories/999/decide", data={"decision": "approve"}).status_code == 404
    assert client.get("/en/letter/confirm/not-a-token").status_code == 400
    assert client.get("/en/letter/end-repression/sign/robot").status_code == 404
    db.session.expire_all()
    assert (row.status, db.session.scalar(select(func.count()).select_from(LetterSignatory))) == ("awaiting", 1)


def test_the_cosign_email_greets_the_contact_and_names_the_organisation(client, letter):
    assert _sign_on(client, name='Viasna & <Friends> "BY"').status_code == 303
    (email,) = queued_to("ales@spring96.org")
    assert email.kind == "cosign_confirm" and "Free the prisoners of conscience" in email.subject
    assert "Hello Ales," in email.text_body
    assert 'on behalf of Viasna & <Friends> "BY"' in email.text_body  # plain text: as entered
    assert "on behalf of Viasna &amp; &lt;Friends&gt; &#34;BY&#34;" in email.html_body  # HTML: escaped once
