"""The petition editor: drafts, texts with preview, statuses, settings and kept versions."""
from datetime import timedelta

from sqlalchemy import select

from petitions.extensions import db
from petitions.models import Petition, PetitionVersion

from ..factories import add_signatory
from ..helpers import page_text, sign_in

TEXT = {"title": "Free Ales", "addressee": "the President", "summary": "Short.", "body": "Some **bold** text.",
        "demands": "Release him\nDrop the charges"}


def _editor(app, make_member, organisation="Test Rights Group"):
    client = app.test_client()
    sign_in(client, make_member(organisation=organisation))
    return client


def _new(client, slug="free-ales", goal=500, **extra):
    page = page_text(client.get("/organiser/new"))
    import re

    org = re.search(r'<option (?:selected )?value="(\d+)"', page).group(1)
    return client.post("/organiser/new", data={"organisation": org, "title": "Free Ales", "slug": slug,
                                               "primary_language": "en", "goal": str(goal), **extra})


def test_a_new_petition_is_a_draft_seen_only_by_its_organisation(app, make_member):
    client = _editor(app, make_member)
    response = _new(client)
    assert response.status_code == 302 and response.location.endswith("/organiser/p/free-ales/text/en")
    petition = db.session.scalar(select(Petition).where(Petition.slug == "free-ales"))
    assert petition.status == "draft" and petition.organisation.name == "Test Rights Group"
    assert app.test_client().get("/en/p/free-ales").status_code == 404
    assert app.test_client().get("/api/v1/petitions/free-ales").status_code == 404
    assert client.get("/organiser/p/free-ales/preview/en").status_code == 200


def test_taken_slug_gets_a_clear_message(app, make_member, make_petition):
    make_petition(slug="taken")
    client = _editor(app, make_member)
    response = _new(client, slug="taken")
    assert response.status_code == 400 and "This web address is taken" in page_text(response)


def test_preview_of_a_draft_saves_what_was_typed_and_shows_the_real_page(app, make_member):
    client = _editor(app, make_member)
    _new(client)
    response = client.post("/organiser/p/free-ales/text/en", data={**TEXT, "body": "# Heading\n\n<script>x</script>**b**",
                                                                   "preview": "1"})
    assert response.status_code == 302 and response.location.endswith("/organiser/p/free-ales/preview/en")
    petition = db.session.scalar(select(Petition).where(Petition.slug == "free-ales"))
    assert petition.translation("en").addressee == "the President"  # kept: reopening the editor shows it
    assert 'value="the President"' in page_text(client.get("/organiser/p/free-ales/text/en"))
    html = page_text(client.get(response.location))
    assert "<strong>b</strong>" in html and "<script>x</script>" not in html
    # The real page, inert: counter, sign form and share block are there but do nothing.
    assert 'class="preview-frame" inert' in html
    assert 'class="counter"' in html and 'id="full_name"' in html and 'class="share"' in html
    assert "no longer accepts signatures" not in html  # a draft's preview shows the form readers will get


def test_preview_of_a_public_petition_renders_markdown_without_saving(app, make_member, make_petition):
    make_petition(slug="free-them")
    client = _editor(app, make_member)
    response = client.post("/organiser/p/free-them/text/en", data={**TEXT, "body": "<script>x</script>**b**",
                                                                   "preview": "1"})
    html = page_text(response)
    assert response.status_code == 200 and "<strong>b</strong>" in html and "<script>x</script>" not in html
    assert 'value="the President"' in html  # the form comes back as typed
    db.session.expire_all()
    assert db.session.scalar(select(Petition).where(Petition.slug == "free-them")).translation("en").addressee != \
        "the President"
    assert db.session.scalar(select(PetitionVersion.id)) is None


def test_editor_heading_names_the_language_in_the_interface_language(app, make_member):
    client = _editor(app, make_member)
    _new(client)
    assert "<h1>Text: Russian</h1>" in page_text(client.get("/organiser/p/free-ales/text/ru"))
    assert 'data-unsaved-warning' in page_text(client.get("/organiser/p/free-ales/text/ru"))


def test_draft_dashboard_lists_what_each_language_misses_above_the_publish_button(app, make_member):
    client = _editor(app, make_member)
    _new(client)
    client.post("/organiser/p/free-ales/text/en", data={**TEXT, "save": "1"})
    client.post("/organiser/p/free-ales/text/ru", data={**TEXT, "title": "Свободу Алесю", "addressee": "", "save": "1"})
    html = page_text(client.get("/organiser/p/free-ales/"))
    checklist = html[html.index('id="checklist-heading"'):]
    assert "missing addressee" in checklist.split("Русский")[1].split("</li>")[0]
    assert "English</a>:\n      complete" in checklist
    assert checklist.index("Publish and open for signing") < checklist.index("</section>")
    assert "Confirmed signatures per day" not in html and "Signed and confirmed" not in html  # no empty statistics


def test_publishing_a_draft_with_an_incomplete_language_asks_first(app, make_member):
    client = _editor(app, make_member)
    _new(client)
    client.post("/organiser/p/free-ales/text/en", data={**TEXT, "save": "1"})
    client.post("/organiser/p/free-ales/text/ru", data={**TEXT, "title": "Свободу Алесю", "addressee": "", "save": "1"})
    petition = db.session.scalar(select(Petition).where(Petition.slug == "free-ales"))
    response = client.post("/organiser/p/free-ales/status", data={"status": "open"})
    assert response.status_code == 303
    assert "Some languages are incomplete" in page_text(client.get("/organiser/p/free-ales/"))
    db.session.expire_all()
    assert petition.status == "draft" and petition.published_at is None
    client.post("/organiser/p/free-ales/status", data={"status": "open", "incomplete_ok": "y"})
    db.session.expire_all()
    assert petition.status == "open"


def test_texts_in_several_languages_and_publication(app, make_member):
    client = _editor(app, make_member)
    _new(client)
    assert client.post("/organiser/p/free-ales/text/en", data={**TEXT, "save": "1"}).status_code == 302
    ru = {**TEXT, "title": "Свободу Алесю", "save": "1"}
    assert client.post("/organiser/p/free-ales/text/ru", data=ru).status_code == 302
    assert client.post("/organiser/p/free-ales/text/xx", data=ru).status_code == 404
    petition = db.session.scalar(select(Petition).where(Petition.slug == "free-ales"))
    assert petition.languages == ["en", "ru"] and petition.translation("en").demands == ["Release him", "Drop the charges"]
    assert db.session.scalar(select(PetitionVersion.id)) is None  # drafts keep no versions
    assert client.post("/organiser/p/free-ales/status", data={"status": "open"}).status_code == 302
    db.session.expire_all()
    assert petition.status == "open" and petition.published_at is not None
    assert "Свободу Алесю" in page_text(app.test_client().get("/ru/p/free-ales"))


def test_status_runs_draft_open_closed_delivered_and_never_back_to_draft(app, make_member):
    client = _editor(app, make_member)
    _new(client)
    petition = db.session.scalar(select(Petition).where(Petition.slug == "free-ales"))
    for status, expected in [("closed", "draft"), ("open", "open"), ("draft", "open"), ("closed", "closed"),
                             ("open", "open"), ("closed", "closed"), ("delivered", "delivered"), ("open", "delivered")]:
        client.post("/organiser/p/free-ales/status", data={"status": status, "incomplete_ok": "y"})
        db.session.expire_all()
        assert petition.status == expected, status
    assert petition.closed_at is not None


def test_edits_after_publication_are_kept_and_shown_to_signers(app, make_member, make_petition):
    petition = make_petition(slug="free-them", languages=("en", "ru"))
    published = petition.published_at
    client = _editor(app, make_member)
    original = petition.translation("en").title
    assert "Edited:" not in page_text(app.test_client().get("/en/p/free-them"))
    client.post("/organiser/p/free-them/text/en", data={**TEXT, "title": "A sharper title", "save": "1"})
    client.post("/organiser/p/free-them/text/en", data={**TEXT, "title": "A sharper title", "save": "1"})  # no change
    versions = db.session.scalars(select(PetitionVersion).order_by(PetitionVersion.number)).all()
    assert [(v.language, v.number, v.title) for v in versions] == [("en", 1, original), ("en", 2, "A sharper title")]
    assert versions[0].created_at >= published - timedelta(seconds=1)
    page = page_text(app.test_client().get("/en/p/free-them"))
    assert "Edited:" in page and "/en/p/free-them/versions" in page
    history = page_text(app.test_client().get("/en/p/free-them/versions"))
    assert original in history and "A sharper title" in history and "Version 1" in history
    # The Russian text was not edited: its readers see no edit notice.
    assert "Изменено" not in page_text(app.test_client().get("/ru/p/free-them"))


def test_goal_below_the_current_count_is_refused_and_nothing_changes(app, make_member, make_petition, add_signatures):
    petition = make_petition(goal=1000)
    add_signatures(petition, 30)
    client = _editor(app, make_member)
    response = client.post("/organiser/p/free-them/settings",
                           data={"goal": "20", "primary_language": "en", "organisation_name": "Renamed"})
    assert response.status_code == 400
    assert "The goal cannot be below the 30 signatures already collected." in page_text(response)
    db.session.expire_all()
    assert (petition.goal, petition.organisation_name) == (1000, "Test Rights Group")
    ok = client.post("/organiser/p/free-them/settings",
                     data={"goal": "40", "primary_language": "en", "organisation_name": "Renamed"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert (petition.goal, petition.next_goal, petition.organisation_name) == (40, 40, "Renamed")


def test_bad_editor_input_is_a_clear_400_not_a_500(app, make_member, make_petition):
    make_petition()
    client = _editor(app, make_member)
    cases = [
        ("/organiser/p/free-them/settings", {"goal": "many", "primary_language": "en"}),
        ("/organiser/p/free-them/settings", {"goal": "10", "primary_language": "zz"}),
        ("/organiser/p/free-them/text/en", {"title": "", "save": "1"}),
        ("/organiser/p/free-them/text/en", {"title": "x" * 201, "save": "1"}),
        ("/organiser/p/free-them/text/en", {"title": "t", "demands": "\n".join(["d"] * 31), "save": "1"}),
        ("/organiser/new", {"organisation": "999", "title": "t", "slug": "Bad Slug!", "primary_language": "en",
                            "goal": "0"}),
    ]
    for path, data in cases:
        response = client.post(path, data=data)
        assert response.status_code == 400, (path, data)
    db.session.expire_all()
    assert db.session.scalar(select(Petition).where(Petition.slug == "free-them")).translation("en").title == \
        "Free the prisoners of conscience"


def test_a_slug_typed_as_words_is_offered_back_as_a_slug(app, make_member):
    client = _editor(app, make_member)
    response = _new(client, slug="Free Maria")
    html = page_text(response)
    assert response.status_code == 400 and "Suggested web address: free-maria." in html
    assert 'value="free-maria"' in html
    assert db.session.scalar(select(Petition.id)) is None  # offered, not silently taken
    assert _new(client, slug="free-maria").status_code == 302


def test_a_slug_that_cannot_be_made_from_what_was_typed_gets_a_clear_message(app, make_member):
    client = _editor(app, make_member)
    response = _new(client, slug="自由")
    assert response.status_code == 400
    assert "Please choose a web address: letters a–z, digits and hyphens." in page_text(response)


def test_slug_rule_spells_cyrillic_in_latin_letters_and_drops_accents():
    from petitions.slugs import slug_from

    assert slug_from("Free Maria") == "free-maria"
    assert slug_from("Свабоду Марыі!") == "svabodu-maryi"
    assert slug_from("Ольга и Щука") == "olga-i-shchuka"
    assert slug_from("  Café -- Noël  ") == "cafe-noel"
    assert slug_from("自由") == ""
    assert len(slug_from("word " * 50)) <= 100 and not slug_from("word " * 50).endswith("-")


def test_an_open_letter_is_created_from_the_web_and_gets_a_letter_dashboard(app, make_member):
    client = _editor(app, make_member)
    assert 'value="letter"' in page_text(client.get("/organiser/new"))
    assert _new(client, slug="joint-letter", kind="letter").status_code == 302
    petition = db.session.scalar(select(Petition).where(Petition.slug == "joint-letter"))
    assert petition.kind == "letter" and petition.status == "draft"
    html = page_text(client.get("/organiser/p/joint-letter/"))
    assert "Organisations" in html and "Waiting for your decision" in html
    assert "Next goal" not in html and "Total" not in html
    assert _new(client, slug="odd-kind", kind="poll").status_code == 400


def test_a_letters_dashboard_and_the_home_page_show_sign_ons_waiting(app, make_member, make_petition):
    from petitions.letters.services import import_lines

    letter = make_petition(slug="joint-letter", kind="letter")
    import_lines(letter, "Rights Watch – DE\nFree Press – FR", "organisation")
    import_lines(letter, "Anna Ivanova, BY", "individual")
    add_signatory(letter, "Waiting One", kind="organisation")
    add_signatory(letter, "Waiting Two", kind="individual")
    client = _editor(app, make_member)
    html = page_text(client.get("/organiser/p/joint-letter/"))
    figures = html[html.index('id="signatories-heading"'):]
    assert [int(n) for n in __import__("re").findall(r"<dd>(\d+)</dd>", figures)[:3]] == [2, 1, 2]
    assert "2 waiting" in page_text(client.get("/organiser/"))
