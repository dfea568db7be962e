"""The development mailbox at /dev/mail: read confirmation emails without a mail server.

Registered only in development; in any other profile the URL is a 404.
"""
import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template
from markupsafe import Markup, escape

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")
NAME_RE = re.compile(r"^[0-9]+-[0-9a-f]{8}\.eml$")
URL_RE = re.compile(r"https?://[^\s<>\"]+")


def _mailbox():
    return Path(current_app.config["MAILBOX_DIR"])


def _read(name):
    if not NAME_RE.match(name):
        abort(404)
    path = _mailbox() / name
    if not path.is_file():
        abort(404)
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def _linkify(text):
    escaped = str(escape(text))
    return Markup(URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped))


@bp.get("")
def inbox():
    names = sorted((p.name for p in _mailbox().glob("*.eml")), reverse=True) if _mailbox().is_dir() else []
    messages = []
    for name in names[:200]:
        message = _read(name)
        messages.append({"name": name, "to": message["To"], "subject": message["Subject"], "date": message["Date"]})
    return render_template("devmail/inbox.html", messages=messages)


@bp.get("/<name>")
def message(name):
    message = _read(name)
    text = message.get_body(preferencelist=("plain",))
    return render_template(
        "devmail/message.html", name=name, message=message,
        text=_linkify(text.get_content() if text else ""),
        has_html=message.get_body(preferencelist=("html",)) is not None,
    )


# The HTML version is shown in a sandboxed frame on the message page. The site's
# own policy (style-src 'self') would strip the inline styles every email relies
# on, so the frame's document gets a policy of its own: inline styles and
# images, nothing that runs, nothing fetched, framed only by this site.
MESSAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
# Mail programs wrap long addresses; a browser frame at 360 px does not unless told.
# Links open in the mailbox's own tab, as they would from a mail program.
_FRAME_HEAD = '<meta name="viewport" content="width=device-width"><base target="_top">' \
              '<style>body{overflow-wrap:anywhere}</style>'


def _for_frame(html):
    head = re.search(r"<head[^>]*>", html, re.IGNORECASE)
    if head:
        return html[:head.end()] + _FRAME_HEAD + html[head.end():]
    return _FRAME_HEAD + html


@bp.get("/<name>/html")
def message_html(name):
    html = _read(name).get_body(preferencelist=("html",))
    if html is None:
        abort(404)
    headers = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": MESSAGE_POLICY,
               "X-Frame-Options": "SAMEORIGIN"}
    return _for_frame(html.get_content()), 200, headers
