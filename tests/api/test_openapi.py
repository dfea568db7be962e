"""/api/v1/openapi.json: a valid OpenAPI 3.1 document that says exactly what the API answers."""
import copy
import re

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance,
)

from petitions.api import openapi
from petitions.models.petition import SLUG_RE


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_the_served_document_is_the_one_the_code_holds(document):
    assert document == openapi.document()


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1.")
    schemathesis.openapi.from_dict(document).validate()


def test_the_validator_used_above_does_refuse_a_broken_document(document):
    broken = copy.deepcopy(document)
    del broken["components"]["parameters"]["Slug"]["in"]
    with pytest.raises(jsonschema_rs.ValidationError):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_schema_in_the_document_is_valid_json_schema(document):
    for name, schema in document["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def test_the_document_describes_every_api_route_and_method(app, document):
    routes = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes[path] = {m.lower() for m in rule.methods} - {"head"}  # HEAD answers wherever GET does
    documented = {path: set(operations) - {"parameters"} for path, operations in document["paths"].items()}
    assert documented == routes


def test_the_slug_parameter_uses_the_models_own_pattern(document):
    assert document["components"]["schemas"]["Slug"]["pattern"] == SLUG_RE.pattern
    assert re.fullmatch(SLUG_RE, "letters-behind-bars") and not re.fullmatch(SLUG_RE, "Bad_Slug")


def test_the_paging_limits_in_the_document_are_the_ones_enforced(client, document):
    per_page = document["components"]["parameters"]["PerPage"]["schema"]
    assert per_page["maximum"] == openapi.MAX_PER_PAGE == 100
    assert client.get(f"/api/v1/petitions?per_page={per_page['maximum']}").status_code == 200
    assert client.get(f"/api/v1/petitions?per_page={per_page['maximum'] + 1}").status_code == 400
    page = document["components"]["parameters"]["Page"]["schema"]
    assert client.get(f"/api/v1/petitions?page={page['maximum']}").status_code == 200
    assert client.get(f"/api/v1/petitions?page={page['maximum'] + 1}").status_code == 400


def test_the_document_promises_v1_never_changes_incompatibly(document):
    assert "never changes incompatibly" in document["info"]["description"]


def _validator(document, path, status="200"):
    """A JSON Schema validator for what ``GET path`` documents for ``status``, with the components to resolve."""
    response = document["paths"][path]["get"]["responses"][status]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = {**response["content"]["application/json"]["schema"], "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


@pytest.mark.parametrize(("url", "path", "status"), [
    ("/api/v1/petitions", "/petitions", "200"),
    ("/api/v1/petitions?per_page=1&page=2&lang=ru", "/petitions", "200"),
    ("/api/v1/petitions?page=50", "/petitions", "200"),
    ("/api/v1/petitions?per_page=500", "/petitions", "400"),
    ("/api/v1/petitions/letters-behind-bars?lang=de", "/petitions/{slug}", "200"),
    ("/api/v1/petitions/free-all-political-prisoners", "/petitions/{slug}", "200"),
    ("/api/v1/petitions/secret-draft", "/petitions/{slug}", "404"),
    ("/api/v1/petitions/letters-behind-bars/count", "/petitions/{slug}/count", "200"),
    ("/api/v1/petitions/free-all-political-prisoners/signatories?lang=ru", "/petitions/{slug}/signatories", "200"),
    ("/api/v1/petitions/letters-behind-bars/signatories", "/petitions/{slug}/signatories", "404"),
    ("/api/v1/openapi.json", "/openapi.json", "200"),
])
def test_real_answers_match_their_documented_schemas(client, demo_site, document, url, path, status):
    response = client.get(url)
    assert str(response.status_code) == status
    body = response.get_json()
    errors = [str(e) for e in _validator(document, path, status).iter_errors(body)]
    assert errors == []


def test_a_petition_with_a_timeline_is_answered_as_documented(client, demo_site, document):
    import io
    from datetime import date

    from PIL import Image

    from petitions.extensions import db
    from petitions.organiser import timeline

    photo = io.BytesIO()
    Image.new("RGB", (8, 6)).save(photo, "JPEG")
    petition = demo_site["petition"]
    timeline.record_delivery(petition, date(2026, 10, 1), "en", "Ministry", "Note", None, photo=photo.getvalue(),
                             photo_alt="Boxes")
    timeline.record_response(petition, date(2026, 10, 9), "en", "Minister", "Answer", None, pdf=b"%PDF-1.4\n")
    timeline.mark_outcome(petition, "no_answer", date(2026, 10, 31), "en", "", None)
    db.session.commit()
    body = client.get(f"/api/v1/petitions/{petition.slug}?lang=de").get_json()
    assert [e["kind"] for e in body["timeline"]["entries"]] == ["outcome", "response", "delivery"]
    validator = _validator(document, "/petitions/{slug}")
    assert [str(e) for e in validator.iter_errors(body)] == []
    # The closed schemas would notice a field the document does not list.
    body["timeline"]["entries"][0]["mood"] = "good"
    assert not validator.is_valid(body)


def test_the_letter_lists_both_kinds_of_signatory_as_documented(client, demo_site, document):
    body = client.get("/api/v1/petitions/free-all-political-prisoners/signatories").get_json()
    assert len(body["organisations"]) == 5 and len(body["individuals"]) == 2
    assert body["individuals"][0]["kind"] == "individual" and "title" in body["individuals"][0]
    assert "title" not in body["organisations"][0]
    # The closed schemas would notice a field the document does not list.
    body["organisations"][0]["title"] = "Chair"
    assert not _validator(document, "/petitions/{slug}/signatories").is_valid(body)


# --- Schemathesis: generated requests, valid and invalid, against the WSGI application ---------------------------
# The document is loaded once, from the same data the application serves (a test above compares them); each
# operation becomes a test whose requests go to that test's application, whose database holds the demo site.

schema = schemathesis.openapi.from_dict(openapi.document())
# Bounded and the same on every run: a fixed seed, no example database.
schema.config.seed = 20240817
schema.config.generation.update(max_examples=25, deterministic=True, database="none")


@schema.parametrize()
# The application and its database are made once per operation, not per request: nothing here writes.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_generated_requests_get_documented_answers_and_never_a_server_error(case, app, demo_site):
    case.call_and_validate(app=app, checks=[
        not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
        response_schema_conformance,
    ])
