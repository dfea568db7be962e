"""A signing request leaves nothing of itself in the worker that served it."""
import gc
import weakref

from petitions.signing import forms, services

from ..helpers import served_stamp


def test_the_sign_form_and_its_petition_are_freed_after_the_request(app, client, petition, monkeypatch):
    # A cache slipped onto receive_signature once kept every submitted form, and the petition with
    # it, for the worker's lifetime: memory grew with each signature and the collector slowed.
    seen = []
    original = services.receive_signature

    def watch(petition_, form, *args):
        seen.append(weakref.ref(form))
        return original(petition_, form, *args)

    monkeypatch.setattr(services, "receive_signature", watch)
    response = client.post("/en/p/free-them", data={
        "full_name": "Ada Lovelace", "email": "ada@example.org", "country": "GB",
        "served": served_stamp(app), "website": ""})
    assert response.status_code == 200
    assert len(seen) == 1 and isinstance(seen[0](), (forms.SignForm, type(None)))
    gc.collect()
    assert seen[0]() is None, "the request's sign form outlived it"


def test_the_insert_statement_is_built_once_per_dialect():
    assert services._insert_if_new("sqlite") is services._insert_if_new("sqlite")
