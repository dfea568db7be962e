"""Random and hostile input never causes a 5xx, and rejected input changes nothing."""
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from petitions.extensions import db
from petitions.models import OutboxMessage, Signature

from .helpers import read, served_stamp

HOSTILE = st.sampled_from([
    "", " ", "\x00", "\x00\x01\x1f\x7f", "a" * 5000, "<script>alert(1)</script>", "' OR 1=1 --",
    "Ѐ𝕏\u202eevil", "\ud7ff", "名前", "ﷺ", "%00", "../../etc/passwd", "\u200b\u200d", "a@b", "@", "x@y..z",
    "Ada\nBcc: victim@example.org", "DE", "ZZ", "xx", "\u0301", "😀" * 200,
])
TEXT = st.one_of(HOSTILE, st.text(max_size=300), st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=80))
COMMON = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def counts():
    return (db.session.scalar(select(func.count()).select_from(Signature)),
            db.session.scalar(select(func.count()).select_from(OutboxMessage)))


@COMMON
@given(full_name=TEXT, email=TEXT, country=TEXT, city=TEXT, show=TEXT, public=TEXT, website=TEXT, stamped=st.booleans())
def test_the_signing_form_never_fails_and_rejections_store_nothing(
        client, petition, full_name, email, country, city, show, public, website, stamped):
    before = counts()
    data = {"full_name": full_name, "email": email, "country": country, "city": city, "show_name": show,
            "public_name": public, "website": website}
    if stamped:
        data["served"] = served_stamp(client.application)
    response = client.post("/en/p/free-them", data=data)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert counts() == before
    db.session.rollback()


@COMMON
@given(token=TEXT, stamp=TEXT)
def test_malformed_origin_headers_and_stamps_are_refused_without_change(make_app, petition, token, stamp):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    before = counts()
    # Whatever a header says, printable and on one line as HTTP allows.
    value = "".join(ch for ch in token if " " <= ch <= "~")
    for header in ("Sec-Fetch-Site", "Origin"):
        response = client.post("/ru/p/free-them", headers={header: value}, data={
            "served": stamp, "full_name": "A", "email": "a@example.org", "country": "DE"})
        # Refused as cross-site (403, in Russian), or accepted and then dropped for its forged stamp.
        assert response.status_code in (303, 403), response.status_code
        if response.status_code == 403:
            assert 'lang="ru"' in response.get_data(as_text=True)
        assert counts() == before


@COMMON
@given(segment=TEXT, lang=TEXT)
def test_the_api_and_token_links_never_fail(client, petition, segment, lang):
    before = counts()
    quoted = quote(segment, safe="") or "x"
    for path in (f"/api/v1/petitions/{quoted}", f"/api/v1/petitions/{quoted}/count",
                 f"/api/v1/petitions/free-them?lang={quote(lang, safe='')}", f"/en/p/{quoted}",
                 f"/p/{quoted}", f"/en/confirm/{quoted}", f"/de/withdraw/{quoted}", f"/be/erase/{quoted}"):
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
    for path in (f"/en/withdraw/{quoted}", f"/en/erase/{quoted}", "/en/confirm/resend"):
        assert client.post(path, data={"token": segment}).status_code < 500
    assert counts() == before


# What a mail scanner, `curl -I` or a confused client sends to a link. Only POST may act.
NON_ACTING_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
STAND_INS = {"lang": "en", "slug": "free-them", "kind": "individual"}


def token_rules(app):
    """Every route whose address carries a token: the links in emails, whichever areas exist."""
    return [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]


def token_path(app, rule, token):
    values = {name: STAND_INS.get(name, "1") for name in rule.arguments}
    return app.url_map.bind("petitions.test").build(rule.endpoint, {**values, "token": token})


def everything_stored():
    """Every row of every table, read afresh: what a request that acts on nothing must leave as it was."""
    db.session.rollback()
    return {table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables}


@COMMON
@given(segment=TEXT, method=st.sampled_from(NON_ACTING_METHODS + ("POST",)))
def test_every_token_route_takes_any_token_and_method_without_failing_or_changing(client, petition, segment, method):
    rules = token_rules(client.application)
    assert {"signing.confirm", "signing.withdraw", "signing.erase", "signing.unsubscribe"} <= {
        r.endpoint for r in rules}
    before = everything_stored()
    for rule in rules:
        path = token_path(client.application, rule, segment or "x")
        response = client.open(path, method=method, data={"token": segment})
        assert response.status_code < 500, (method, path, response.status_code)
    assert everything_stored() == before


def _links_in_the_outbox(app):
    """Every link to a token route in the queued mail, as its recipient would open it."""
    adapter = app.url_map.bind("petitions.test")
    found = {}
    for row in db.session.scalars(select(OutboxMessage)):
        for path in re.findall(r"http://petitions\.test(/\S+)", read(row).text_body):
            rule, _ = adapter.match(path, method="GET", return_rule=True)
            if "token" in rule.arguments:
                found.setdefault(rule.endpoint, path)
    return found


def test_genuine_links_change_nothing_unless_posted(app, client, make_petition, make_member):
    from petitions.accounts import services as accounts
    from petitions.mail.updates import unsubscribe_url

    from .helpers import confirm, last_confirm_path, sign

    make_petition()
    make_petition(slug="joint", kind="letter")
    sign(client, email="pending@example.org", show_name="y")
    sign(client, email="confirmed@example.org", show_name="y", wants_updates="y")
    confirm(client, last_confirm_path("confirmed@example.org"))
    client.post("/en/my-data", data={"email": "confirmed@example.org"})
    client.post("/en/letter/joint/sign/individual", data={
        "name": "Ida Individual", "country": "DE", "email": "ida@example.org", "title": "Lawyer",
        "served": served_stamp(app)})
    owner = make_member()
    accounts.invite(owner.memberships[0].organisation, "new@rights.example", "viewer", owner, "en")
    db.session.commit()
    links = _links_in_the_outbox(app)
    # The one-click unsubscribe address goes in update mail; make it for the confirmed signer.
    listed = db.session.scalar(select(Signature).where(Signature.wants_updates.is_(True)))
    links["signing.unsubscribe"] = unsubscribe_url(listed).split("petitions.test", 1)[1]
    assert {"signing.confirm", "signing.withdraw", "signing.erase", "signing.unsubscribe",
            "accounts.accept_invitation"} <= set(links), sorted(links)

    before = everything_stored()
    for endpoint, path in sorted(links.items()):
        for method in NON_ACTING_METHODS:
            response = client.open(path, method=method)
            assert response.status_code < 500, (method, endpoint, response.status_code)
            assert everything_stored() == before, (method, endpoint)


@COMMON
@given(email=TEXT)
def test_the_erasure_form_never_fails(client, petition, email):
    response = client.post("/en/my-data", data={"email": email})
    assert response.status_code in (200, 400)
    db.session.rollback()


@pytest.mark.parametrize("name", ["Ada\x00Lovelace", "Ada\x07 Lovelace\x1b"])
def test_control_characters_are_removed_from_names(client, petition, name):
    from .helpers import sign

    assert sign(client, full_name=name).status_code == 200
    assert db.session.scalar(select(Signature)).full_name in ("AdaLovelace", "Ada Lovelace")


@pytest.fixture
def organiser_client(app, petition, make_member):
    from .helpers import sign_in

    client = app.test_client()
    sign_in(client, make_member())
    return client


def _petition_state():
    from petitions.models import PaperBatch, Petition, PetitionVersion

    petition = db.session.scalar(select(Petition))
    db.session.refresh(petition)
    return (petition.goal, petition.status, petition.primary_language, petition.organisation_name,
            [(t.language, t.title, t.body, list(t.demands)) for t in petition.translations],
            db.session.scalar(select(func.count()).select_from(PaperBatch)),
            db.session.scalar(select(func.count()).select_from(PetitionVersion)))


@COMMON
@given(goal=TEXT, language=TEXT, name=TEXT, title=TEXT, body=TEXT, demands=TEXT, code=TEXT, status=TEXT)
def test_organiser_forms_never_fail_and_rejections_change_nothing(
        organiser_client, goal, language, name, title, body, demands, code, status):
    client = organiser_client
    before = _petition_state()
    responses = [
        client.post("/organiser/p/free-them/settings", data={"goal": goal, "primary_language": language,
                                                              "organisation_name": name}),
        client.post(f"/organiser/p/free-them/text/{quote(code, safe='')}", data={
            "title": title, "body": body, "demands": demands, "save": "1"}),
        client.post("/organiser/p/free-them/paper", data={"count-count": goal, "count-note": name}),
        client.post("/organiser/p/free-them/status", data={"status": status}),
        client.post("/organiser/p/free-them/updates", data={"language": language, "title": title, "body": ""}),
    ]
    assert all(r.status_code < 500 for r in responses), [r.status_code for r in responses]
    if all(r.status_code >= 400 or r.status_code == 303 for r in responses):
        assert _petition_state() == before
    db.session.rollback()


@COMMON
@given(kind=st.sampled_from(["organisation", "individual"]), name=TEXT, country=TEXT, email=TEXT, website=TEXT,
       title=TEXT, contact=TEXT)
def test_the_co_signing_form_never_fails_and_rejections_store_nothing(
        client, make_petition, kind, name, country, email, website, title, contact):
    from petitions.models import LetterSignatory, Petition

    if db.session.scalar(select(Petition.id).where(Petition.slug == "joint")) is None:
        make_petition(slug="joint", kind="letter")
    before = db.session.scalar(select(func.count()).select_from(LetterSignatory))
    response = client.post(f"/en/letter/joint/sign/{kind}", data={
        "name": name, "country": country, "email": email, "website": website, "title": title,
        "contact_name": contact, "contact_role": contact, "served": served_stamp(client.application)})
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        assert db.session.scalar(select(func.count()).select_from(LetterSignatory)) == before
    db.session.rollback()
