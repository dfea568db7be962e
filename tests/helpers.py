"""Small helpers shared by the tests."""
import html
import re
import socket
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select, text

from petitions.extensions import db
from petitions.mail import messages
from petitions.models import OutboxMessage, Signature
from petitions.tokens import FormStamp

LANGS = ["en", "ru", "be", "de"]
PASSWORD = "correct horse battery staple"

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


def petition_data(slug="free-them", goal=1000, languages=("en",), status="open", primary="en", **extra):
    """An import document for a petition written in ``languages``."""
    texts = {
        "en": ("Free the prisoners of conscience", "the Minister of Justice", ["Release them", "Drop the charges"]),
        "ru": ("Освободите узников совести", "министру юстиции", ["Освободить их", "Снять обвинения"]),
        "be": ("Вызваліце вязняў сумлення", "міністру юстыцыі", ["Вызваліць іх", "Зняць абвінавачванні"]),
        "de": ("Freiheit für die gewaltlosen politischen Gefangenen", "den Justizminister", ["Freilassung", "Anklagen fallen lassen"]),
    }
    translations = {}
    for lang in languages:
        title, addressee, demands = texts[lang]
        translations[lang] = {
            "title": title, "addressee": addressee, "summary": f"{title}: summary ({lang}).",
            "body": f"Body in **{lang}** with a [link](https://example.org/{lang}).", "demands": demands,
        }
    data = {"slug": slug, "goal": goal, "primary_language": primary, "organisation": "Test Rights Group",
            "status": status, "translations": translations}
    data.update(extra)
    return data


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_in_threads(target, count):
    """Run ``target(i)`` in ``count`` threads started together; returns the exceptions raised."""
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait()
            target(i)
        except Exception as exc:  # collected for the test to assert on
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def totp_code(account, offset_steps=0):
    import pyotp

    return pyotp.TOTP(account.totp_secret).at(time.time() + 30 * offset_steps)


def sign_in(client, account, password=PASSWORD, code=None):
    """Sign in through the real pages (and the code step when the account has TOTP)."""
    response = client.post("/organiser/sign-in", data={"email": account.email, "password": password})
    if account.has_totp:
        assert response.status_code == 302 and "/sign-in/code" in response.location, response.status_code
        response = client.post(response.location, data={"code": code or totp_code(account)})
    return response


def empty_tables():
    """Delete every row (tests that really commit; the others are rolled back)."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()
