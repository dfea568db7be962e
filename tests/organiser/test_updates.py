"""Updates: on the petition page, and emailed to signers who opted in, with one-click unsubscribe."""
import re

from sqlalchemy import select

from petitions.extensions import db
from petitions.mail.worker import deliver_all
from petitions.models import PetitionUpdate, Signature

from ..helpers import page_text, sign_in
from ..smtp import html_part, text_part


def _post(app, make_member, send=True, **data):
    """Draft an update in English and, unless ``send`` is false, send it (other languages get English)."""
    client = app.test_client()
    sign_in(client, make_member())
    response = client.post("/organiser/p/free-them/updates", data={"language": "en", "title": "We delivered it",
                                                                  "body": "The **ministry** received 1,000 names.", **data})
    if send:
        _send(client, untranslated_ok="y")
    return client, response


def _send(client, **data):
    update = db.session.scalar(select(PetitionUpdate).order_by(PetitionUpdate.id.desc()))
    return client.post("/organiser/p/free-them/updates/send", data={"update": str(update.id), **data})


def test_update_is_mailed_to_opted_in_signers_in_their_language(smtp_app, smtp_server, make_member, petition,
                                                                 add_signatures):
    add_signatures(petition, 2, wants_updates=True, language="ru")
    add_signatures(petition, 1, wants_updates=True, language="de")
    add_signatures(petition, 3, wants_updates=False)
    add_signatures(petition, 1, wants_updates=True, status="pending")
    add_signatures(petition, 1, wants_updates=True, status="withdrawn")
    client, response = _post(smtp_app, make_member, send=False)
    assert response.status_code == 302
    update = db.session.scalar(select(PetitionUpdate))
    client.post("/organiser/p/free-them/updates", data={"update": str(update.id), "language": "ru",
                                                         "title": "Мы передали подписи", "body": "Министерство **получило** их."})
    assert _send(client, untranslated_ok="y").status_code == 302
    sent, failed = deliver_all()
    assert (sent, failed) == (3, 0)
    messages = smtp_server.wait_for(3)
    by_address = {m["To"]: m for m in messages}
    assert set(by_address) == {"s1@example.org", "s2@example.org", "s3@example.org"}
    russian, german = by_address["s1@example.org"], by_address["s3@example.org"]
    assert "Мы передали подписи" in russian["Subject"] and "<strong>получило</strong>" in html_part(russian)
    assert "We delivered it" in german["Subject"]  # no German text: the original
    assert russian["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"<(https?://[^>]+)>", russian["List-Unsubscribe"]).group(1)
    assert link in text_part(russian) and "/withdraw/" in text_part(russian)
    db.session.expire_all()
    assert db.session.scalar(select(PetitionUpdate)).mailed_count == 3


def test_one_click_unsubscribe_works_without_a_form_token(make_app, smtp_server, make_member, make_petition,
                                                         add_signatures):
    app = make_app(WTF_CSRF_ENABLED=True, MAIL_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        petition = make_petition(languages=("en", "ru"))
        add_signatures(petition, 1, wants_updates=True)
        from petitions.organiser.campaign import post_update

        post_update(petition, "en", "News", "Body", None)
        db.session.commit()
        deliver_all()
        (message,) = smtp_server.wait_for(1)
        path = re.search(r"<https?://[^/]+(/[^>]+)>", message["List-Unsubscribe"]).group(1)
        client = app.test_client()
        assert "Stop updates" in page_text(client.get(path))
        # What a mail program sends for RFC 8058: a bare POST, no cookie, no CSRF token.
        response = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        db.session.expire_all()
        signature = db.session.scalar(select(Signature))
        assert signature.wants_updates is False and signature.status == "confirmed"
        assert client.post(path[:-3] + "abc").status_code == 400


def test_update_appears_on_the_petition_page(app, make_member, petition):
    _post(app, make_member)
    page = page_text(app.test_client().get("/de/p/free-them"))
    assert "We delivered it" in page and "<strong>ministry</strong>" in page


def test_large_mailing_goes_out_in_batches(app, make_member, petition, add_signatures):
    add_signatures(petition, 7, wants_updates=True)
    app.config["UPDATE_MAIL_BATCH"] = 3
    _post(app, make_member)
    from petitions.mail.updates import queue_next_batch

    assert [queue_next_batch() for _ in range(4)] == [3, 3, 1, 0]
    assert db.session.scalar(select(PetitionUpdate)).mailing_done_at is not None


def test_a_viewer_cannot_post_updates(app, make_member, petition):
    client = app.test_client()
    sign_in(client, make_member(email="v@r.example", role="viewer"))
    assert client.post("/organiser/p/free-them/updates", data={"language": "en", "title": "x", "body": "y"}).status_code == 404
    assert db.session.scalar(select(PetitionUpdate)) is None


def test_an_update_is_translated_only_through_its_own_petition(app, make_member, petition, make_petition):
    make_petition(slug="other-one")
    client = app.test_client()
    sign_in(client, make_member())
    client.post("/organiser/p/other-one/updates", data={"language": "en", "title": "Elsewhere", "body": "Text."})
    update = db.session.scalar(select(PetitionUpdate))
    for bad in (str(update.id), "999999"):
        response = client.post("/organiser/p/free-them/updates", data={"update": bad, "language": "ru",
                                                                      "title": "Чужое", "body": "Текст."})
        assert response.status_code == 404
    db.session.expire_all()
    assert [t.language for t in update.translations] == ["en"]


def test_an_update_is_a_draft_neither_shown_nor_mailed_until_sent(app, make_member, petition, add_signatures):
    add_signatures(petition, 2, wants_updates=True)
    client, response = _post(app, make_member, send=False)
    assert response.status_code == 302
    from petitions.mail.updates import queue_next_batch

    assert queue_next_batch() == 0
    assert "We delivered it" not in page_text(app.test_client().get("/en/p/free-them"))
    assert "Draft, not sent" in page_text(client.get("/organiser/p/free-them/updates"))
    assert _send(client).status_code == 302  # every recipient reads English: nothing to ask
    assert queue_next_batch() == 2
    assert "We delivered it" in page_text(app.test_client().get("/en/p/free-them"))


def test_updates_page_shows_recipients_per_language(app, make_member, petition, add_signatures):
    add_signatures(petition, 3, wants_updates=True, language="ru")
    add_signatures(petition, 1, wants_updates=True, language="de")
    add_signatures(petition, 4, wants_updates=False, language="en")
    add_signatures(petition, 2, wants_updates=True, language="en", status="pending")
    client = app.test_client()
    sign_in(client, make_member())
    html = page_text(client.get("/organiser/p/free-them/updates"))
    table = html[html.index('id="recipients-heading"'):html.index("</table>")]
    assert re.findall(r"<td>(\w+)</td><td>(\d+)</td>", table) == [("Russian", "3"), ("German", "1")]


def test_sending_with_a_language_untranslated_asks_first(app, make_member, petition, add_signatures):
    add_signatures(petition, 1, wants_updates=True, language="ru")
    client, _ = _post(app, make_member, send=False)
    html = page_text(client.get("/organiser/p/free-them/updates"))
    assert "No text yet in: Russian." in html
    response = _send(client)
    assert response.status_code == 303
    assert "Not sent: no text yet in Russian." in page_text(client.get("/organiser/p/free-them/updates"))
    update = db.session.scalar(select(PetitionUpdate))
    db.session.expire_all()
    assert update.is_draft
    client.post("/organiser/p/free-them/updates", data={"update": str(update.id), "language": "ru",
                                                         "title": "Мы передали", "body": "Текст."})
    assert _send(client).status_code == 302
    db.session.expire_all()
    assert not update.is_draft


def test_a_sent_update_is_neither_sent_again_nor_deleted(app, make_member, petition, add_signatures):
    add_signatures(petition, 1, wants_updates=True)
    client, _ = _post(app, make_member)
    update = db.session.scalar(select(PetitionUpdate))
    assert _send(client).status_code == 303
    assert client.post("/organiser/p/free-them/updates/discard", data={"update": str(update.id)}).status_code == 303
    assert db.session.scalar(select(PetitionUpdate.id)) == update.id
    for bad in ("0", "x", "99999999999"):
        assert client.post("/organiser/p/free-them/updates/send", data={"update": bad}).status_code == 404


def test_a_draft_update_can_be_deleted(app, make_member, petition):
    client, _ = _post(app, make_member, send=False)
    update = db.session.scalar(select(PetitionUpdate))
    assert client.post("/organiser/p/free-them/updates/discard", data={"update": str(update.id)}).status_code == 302
    assert db.session.scalar(select(PetitionUpdate.id)) is None
