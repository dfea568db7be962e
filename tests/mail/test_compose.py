"""Messages written as bytes (compose.py) read back, with the standard library's parser, as what was meant."""
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from petitions.extensions import db
from petitions.mail import messages
from petitions.mail.compose import Outgoing, compose
from petitions.models import OutboxMessage

from ..helpers import sign

SENDER = "Петиции — Письма <petitions@example.org>"
UNSUBSCRIBE = {"List-Unsubscribe": "<https://example.org/u/1>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _parsed(outgoing):
    assert isinstance(outgoing, Outgoing)
    return BytesParser(policy=policy.default).parsebytes(outgoing.data)


def _lines(outgoing):
    head, _, _body = outgoing.data.partition(b"\r\n\r\n")
    assert b"\n" not in outgoing.data.replace(b"\r\n", b"") and b"\r" not in outgoing.data.replace(b"\r\n", b"")
    return head.split(b"\r\n")


@pytest.mark.parametrize("subject", [
    "Освободите политзаключённых: «Письма за решёткой», и очень длинный заголовок, который не влезет в одну строку",
    "Freiheit für die gewaltlosen politischen Gefangenen",
    "A plain one",
    "An ASCII title long enough that it has to be folded somewhere, or encoded, to keep lines short",
    "=?utf-8?q?looks_encoded?= but is not",
    "تحرير السجناء 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✊🏽",
])
def test_headers_read_back_as_written_and_lines_stay_short(subject):
    text = "Здравствуйте, Алесь,\n\nссылка:\nhttps://example.org/ru/confirm/abc\n"
    html = "<p>Здравствуйте, Алесь</p>\n<p>Grüße</p>\n"
    outgoing = compose(SENDER, "ales@example.org", subject, text, html, "<outbox.7@example.org>", UNSUBSCRIBE)
    message = _parsed(outgoing)
    assert (message["Subject"], message["From"], message["To"], message["Message-ID"]) == \
        (subject, SENDER, "ales@example.org", "<outbox.7@example.org>")
    assert message["List-Unsubscribe"] == UNSUBSCRIBE["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and message["Date"].datetime
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    assert not [defect for part in message.walk() for defect in part.defects]
    assert max(len(line) for line in _lines(outgoing)) <= 78
    assert (outgoing.sender, outgoing.recipient) == ("petitions@example.org", "ales@example.org")


def test_each_part_gets_the_cheapest_encoding_that_is_safe():
    ascii_text, german = "Hello,\nplain words.\n", "Grüße aus Köln,\nalles Gute.\n"
    outgoing = compose("petitions@example.org", "a@example.org", "Hi", ascii_text, "<p>Viele Grüße aus Köln und alles Gute.</p>\n" * 5, "<1@x.org>")
    data = outgoing.data.decode("ascii")  # every byte of it
    assert "Content-Transfer-Encoding: 7bit" in data and "Content-Transfer-Encoding: quoted-printable" in data
    cyrillic = compose("petitions@example.org", "a@example.org", "Hi", "Привет, мир\n" * 5, german, "<2@x.org>")
    assert b"Content-Transfer-Encoding: base64" in cyrillic.data
    assert _parsed(cyrillic).get_body(("html",)).get_content().replace("\r\n", "\n") == german
    long_line = "x" * 2000 + "\n"  # 7bit allows 998 characters a line
    assert b"x" * 999 not in compose("p@example.org", "a@example.org", "Hi", long_line, "", "<3@x.org>").data


def test_a_boundary_never_appears_inside_a_part(monkeypatch):
    from petitions.mail import compose as module

    tokens = iter(["0" * 24, "1" * 24])
    monkeypatch.setattr(module.secrets, "token_hex", lambda n: next(tokens))
    outgoing = compose("p@example.org", "a@example.org", "Hi", "--=_" + "0" * 24 + "\n", "<p>x</p>", "<4@x.org>")
    assert b'boundary="=_' + b"1" * 24 + b'"' in outgoing.data
    assert _parsed(outgoing).get_body(("plain",)).get_content().startswith("--=_000")


def test_an_address_that_needs_smtputf8_goes_through_the_standard_library():
    message = compose(SENDER, "аня@пример.рф", "Привет", "text\n", "<p>html</p>\n", "<5@example.org>")
    assert isinstance(message, EmailMessage) and message["To"] == "аня@пример.рф"
    assert message["Message-ID"] == "<5@example.org>"


def test_a_header_value_with_a_line_break_is_refused_not_sent():
    smuggled = {"List-Unsubscribe": "<https://example.org/u/1>\r\nBcc: everyone@example.org"}
    with pytest.raises(ValueError):  # the worker counts the message as failed; nothing is sent
        compose(SENDER, "a@example.org", "Hi", "text\n", "<p>html</p>\n", "<6@example.org>", smuggled)


def test_a_header_compose_does_not_know_is_left_to_the_standard_library():
    message = compose(SENDER, "a@example.org", "Hi", "t\n", "h\n", "<6@example.org>", {"X-Campaign": "Grüße"})
    assert isinstance(message, EmailMessage) and message["X-Campaign"] == "Grüße"


def test_a_recipient_with_a_line_break_is_never_written_as_is():
    with pytest.raises(ValueError):
        compose(SENDER, "a@example.org\r\nBcc: b@example.org", "Hi", "t\n", "h\n", "<7@example.org>")


@pytest.mark.parametrize("lang", ["en", "ru", "be", "de"])
def test_templates_render_as_flask_babel_would(app, client, petition, lang):
    """The per-language gettext the worker uses gives the very text render_template gives."""
    sign(client, lang=lang, full_name="Tom & <b>Jerry</b>", email="tom@example.org")
    row = db.session.scalar(select(OutboxMessage))
    subject, text, html = messages.render(row)
    with force_locale(lang):
        context = messages._completed(messages.KINDS["confirm"], dict(row.context))
        assert text == render_template("emails/confirm.txt", **context)
        assert html == render_template("emails/confirm.html", **context)
    assert "Tom &amp; &lt;b&gt;Jerry&lt;/b&gt;" in html and "Tom & <b>Jerry</b>" in text
    assert f'lang="{lang}"' in html and subject
