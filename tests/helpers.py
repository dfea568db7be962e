"""Small helpers shared by the tests."""
import html
import re
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from petitions.extensions import db
from petitions.mail import messages
from petitions.models import OutboxMessage, Signature
from petitions.tokens import FormStamp

LINK_RE = re.compile(r"https?://[^/\s]+(/[a-z]{2}/confirm/[A-Za-z0-9_.\-]+)")


def served_stamp(app, seconds_ago=10):
    """The hidden 'form served at' value a page would have carried that long ago."""
    return FormStamp(app).make(time.time() - seconds_ago)


def sign(client, slug="free-them", lang="en", headers=None, **fields):
    """Post the signing form as a person would: a stamp from a page served a while ago."""
    data = {"full_name": "Ada Lovelace", "email": "ada@example.org", "country": "GB", "city": "",
            "served": served_stamp(client.application), "website": ""}
    data.update(fields)
    return client.post(f"/{lang}/p/{slug}", data=data, headers=headers)


@dataclass(frozen=True)
class Email:
    """A queued message as its recipient will read it: rendered the way the mail worker renders it."""
    kind: str
    recipient: str
    subject: str
    text_body: str
    html_body: str


def read(row):
    return Email(row.kind, row.recipient, *messages.render(row))


def queued_to(address):
    """Messages in the outbox for ``address``, oldest first, as their recipient will read them."""
    return [read(row) for row in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.id)
    )]


def confirm_path(text):
    """The path of the confirmation link in an email's text."""
    match = LINK_RE.search(text)
    assert match, f"no confirmation link in: {text!r}"
    return match.group(1)


def last_confirm_path(address):
    return confirm_path(queued_to(address)[-1].text_body)


CONFIRM_FORM_RE = re.compile(r'<form method="post" action="(/[a-z]{2}/confirm/[^"]+)">')


def confirm(client, path, headers=None):
    """Open a confirmation link and press its button, as a person does. Returns the answer to the press.

    A link whose page has no button (expired, out of date, invalid, closed, or
    already confirmed) returns that page: there is nothing to press.
    """
    page = client.get(path, headers=headers)
    button = CONFIRM_FORM_RE.search(page_text(page))
    if page.status_code != 200 or button is None:
        return page
    return client.post(html.unescape(button.group(1)), headers=headers)


def signature_count():
    return db.session.scalar(select(func.count()).select_from(Signature))


def page_text(response):
    return response.get_data(as_text=True)
