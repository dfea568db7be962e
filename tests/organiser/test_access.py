"""No member of one organisation reaches another's petitions by any URL; roles limit what members do."""
import pytest
from sqlalchemy import select

from petitions.extensions import db
from petitions.models import PaperBatch

from ..helpers import sign_in

# Every organiser route about one petition, with the method that uses it.
PETITION_ROUTES = [
    ("GET", "/organiser/p/{slug}/"),
    ("GET", "/organiser/p/{slug}/settings"),
    ("POST", "/organiser/p/{slug}/settings"),
    ("GET", "/organiser/p/{slug}/text/en"),
    ("POST", "/organiser/p/{slug}/text/en"),
    ("POST", "/organiser/p/{slug}/status"),
    ("GET", "/organiser/p/{slug}/preview/en"),
    ("GET", "/organiser/p/{slug}/updates"),
    ("POST", "/organiser/p/{slug}/updates"),
    ("POST", "/organiser/p/{slug}/updates/send"),
    ("POST", "/organiser/p/{slug}/updates/discard"),
    ("GET", "/organiser/p/{slug}/paper"),
    ("POST", "/organiser/p/{slug}/paper"),
    ("POST", "/organiser/p/{slug}/paper/{batch}/delete"),
    ("GET", "/organiser/p/{slug}/export"),
    ("POST", "/organiser/p/{slug}/export"),
    ("GET", "/organiser/p/{slug}/signatories"),
    ("POST", "/organiser/p/{slug}/signatories/{signatory}/decide"),
    ("POST", "/organiser/p/{slug}/signatories/unlock"),
    ("POST", "/organiser/p/{slug}/signatories/import"),
    ("POST", "/organiser/p/{slug}/signatories/import/confirm"),
    ("POST", "/organiser/p/{slug}/signatories/order"),
    ("GET", "/organiser/p/{slug}/letter.pdf"),
    ("GET", "/organiser/p/{slug}/timeline"),
    ("POST", "/organiser/p/{slug}/timeline/delivery"),
    ("POST", "/organiser/p/{slug}/timeline/response"),
    ("POST", "/organiser/p/{slug}/timeline/outcome"),
    ("POST", "/organiser/p/{slug}/timeline/1/text"),
    ("POST", "/organiser/p/{slug}/timeline/1/remove"),
    ("POST", "/organiser/p/{slug}/timeline/1/mail"),
    ("GET", "/organiser/p/{slug}/timeline/files/1"),
]
ORGANISATION_ROUTES = [
    ("GET", "/organiser/org/{org}/members"),
    ("POST", "/organiser/org/{org}/members"),
    ("POST", "/organiser/org/{org}/members/{member}/role"),
    ("POST", "/organiser/org/{org}/members/{member}/remove"),
    ("POST", "/organiser/org/{org}/invitations/1/revoke"),
    ("GET", "/organiser/org/{org}/audit"),
]
# Routes a viewer may not use (personal data or changes).
EDITOR_ONLY = {route for route in PETITION_ROUTES if route[0] == "POST" or "settings" in route[1]
               or "text" in route[1] or "export" in route[1] or "signatories" in route[1]}


def test_the_lists_above_cover_every_organiser_route(app):
    listed = {path.split("{")[0].rstrip("/") for _, path in PETITION_ROUTES + ORGANISATION_ROUTES}
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("organiser")
             and "<slug>" in r.rule]
    assert len({r for r in rules}) == len({p for _, p in PETITION_ROUTES})
    assert all(any(rule.startswith(prefix) for prefix in listed) for rule in rules)


@pytest.fixture
def two_organisations(make_petition, make_member):
    """Organisation A owns 'theirs' (an open letter); the signed-in member belongs only to organisation B."""
    from petitions.letters.services import import_lines

    theirs = make_petition(slug="theirs", organisation="Group A", kind="letter")
    batch = PaperBatch(petition_id=theirs.id, count=5, source="count")
    db.session.add(batch)
    import_lines(theirs, "Viasna – BY")
    owner_a = make_member(email="a@a.example", organisation="Group A")
    outsider = make_member(email="b@b.example", organisation="Group B", totp=True)
    db.session.commit()
    return theirs, batch, owner_a, outsider


def _format(path, **values):
    from petitions.models import LetterSignatory

    signatory = db.session.scalar(select(LetterSignatory.id))
    return path.format(signatory=signatory, **values)


def _call(client, method, path):
    data = {"status": "closed", "goal": "1", "title": "x", "body": "x", "language": "en", "count-count": "9",
            "count-note": "", "format": "csv", "role": "owner", "email": "z@z.example"}
    return client.get(path) if method == "GET" else client.post(path, data=data)


@pytest.mark.parametrize("method,path", PETITION_ROUTES)
def test_another_organisations_petition_is_a_404(app, two_organisations, method, path):
    theirs, batch, _owner, outsider = two_organisations
    client = app.test_client()
    sign_in(client, outsider)
    before = (theirs.status, theirs.goal, theirs.paper_count)
    response = _call(client, method, _format(path, slug="theirs", batch=batch.id))
    assert response.status_code == 404
    db.session.expire_all()
    assert (theirs.status, theirs.goal, theirs.paper_count) == before


@pytest.mark.parametrize("method,path", ORGANISATION_ROUTES)
def test_another_organisations_members_and_audit_are_a_404(app, two_organisations, method, path):
    theirs, _batch, owner_a, outsider = two_organisations
    client = app.test_client()
    sign_in(client, outsider)
    member = owner_a.memberships[0]
    response = _call(client, method, path.format(org=member.organisation_id, member=member.id))
    assert response.status_code == 404


@pytest.mark.parametrize("method,path", PETITION_ROUTES + ORGANISATION_ROUTES)
def test_signed_out_visitors_are_sent_to_sign_in(app, two_organisations, method, path):
    theirs, batch, owner_a, _outsider = two_organisations
    member = owner_a.memberships[0]
    response = _call(app.test_client(), method, _format(path, slug="theirs", batch=batch.id,
                                                         org=member.organisation_id, member=member.id))
    assert response.status_code == 302 and "/organiser/sign-in" in response.location


@pytest.mark.parametrize("method,path", sorted(EDITOR_ONLY))
def test_a_viewer_sees_no_personal_data_and_changes_nothing(app, two_organisations, make_member, method, path):
    theirs, batch, _owner, _outsider = two_organisations
    viewer = make_member(email="v@a.example", organisation="Group A", role="viewer", totp=True)
    client = app.test_client()
    sign_in(client, viewer)
    response = _call(client, method, _format(path, slug="theirs", batch=batch.id))
    assert response.status_code == 404


def test_a_viewer_sees_the_dashboard(app, two_organisations, make_member):
    viewer = make_member(email="v@a.example", organisation="Group A", role="viewer")
    client = app.test_client()
    sign_in(client, viewer)
    assert client.get("/organiser/p/theirs/").status_code == 200


def test_organiser_pages_are_never_cached(app, two_organisations):
    theirs, _batch, owner_a, _outsider = two_organisations
    client = app.test_client()
    assert client.get("/organiser/sign-in").headers["Cache-Control"] == "no-store"
    sign_in(client, owner_a)
    for path in ("/organiser/", "/organiser/p/theirs/", "/organiser/p/theirs/export", "/organiser/account",
                 f"/organiser/org/{owner_a.memberships[0].organisation_id}/members"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_every_state_changing_form_is_protected_by_csrf(make_app, make_petition, make_member):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from petitions.letters.services import import_lines

        theirs = make_petition(slug="theirs", organisation="Group A", kind="letter")
        import_lines(theirs, "Viasna – BY")
        owner = make_member(email="a@a.example", organisation="Group A")
        member = owner.memberships[0]
        client = app.test_client()
        # Sign in itself needs the token: fetch the form first.
        import re

        page = client.get("/organiser/sign-in").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post("/organiser/sign-in", data={"email": owner.email, "password": "x" * 20}).status_code == 400
        client.post("/organiser/sign-in", data={"email": owner.email, "password": "correct horse battery staple",
                                                "csrf_token": token})
        assert client.get("/organiser/").status_code == 200
        posts = [path for method, path in PETITION_ROUTES + ORGANISATION_ROUTES if method == "POST"]
        posts += ["/organiser/new", "/organiser/account", "/organiser/account/two-factor",
                  "/organiser/account/two-factor/off", "/organiser/sign-out"]
        for path in posts:
            response = _call(client, "POST", _format(path, slug="theirs", batch=1, org=member.organisation_id,
                                                      member=member.id))
            assert response.status_code == 400, path
        db.session.expire_all()
        assert theirs.status == "open" and theirs.paper_count == 0
