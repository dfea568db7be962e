"""The bytes of an outgoing message, written from a few pre-encoded headers.

Building each message with ``email.message.EmailMessage`` and flattening it
for ``smtplib.send_message`` cost more than rendering it: the header
registry parses every header it is given and folds it again on output.
CPU per message, rendered confirmations in en/ru/be/de, one process,
``benchmarks/mail.py --compare-builds`` on 2026-12-01 (a machine loaded
~15 on 2 cores, so every figure is high; the ratios are the point):

    rendering it (both templates), for scale                   1.24 ms
    EmailMessage, default policy, flattened as smtplib does    6.64 ms
    EmailMessage, policy=SMTP                                  6.37 ms
    email.mime (MIMEMultipart, two MIMEText), as_bytes         1.61 ms
    these bytes (compose below)                                0.15 ms

So a message whose addresses and extra headers are plain ASCII is written
here directly: From is encoded once per sender (by the standard library,
then reused), the Subject goes as RFC 2047 encoded-words when it is not
short plain ASCII, and each part is 7bit when it can be, otherwise the
shorter of quoted-printable and base64. Anything else (an address with
non-ASCII characters, which needs SMTPUTF8, or a header we do not know to
be safe) is built by ``EmailMessage`` as before, and ``smtplib`` decides.
"""
import base64
import binascii
import re
import secrets
from email import policy
from email.message import EmailMessage
from email.utils import formatdate
from functools import lru_cache

CRLF = "\r\n"
# An address we can write as it is, in a header and in the envelope: an ASCII dot-atom and domain.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}")
# Headers a queued row may carry (messages.queue_update): written as they are when their value is plain ASCII.
_EXTRA_HEADERS = frozenset({"List-Unsubscribe", "List-Unsubscribe-Post"})
# An encoded-word may be 75 characters long (RFC 2047); 39 UTF-8 bytes make 52 of base64, and
# "Subject: " plus one such word stays within the 78 characters a line should keep to.
_WORD_BYTES = 39
_MAX_LINE = 998  # RFC 5322: longer lines would be broken by someone on the way


class Outgoing:
    """A message ready for the server: envelope sender, one recipient, and its bytes (CRLF line ends)."""

    __slots__ = ("sender", "recipient", "data")

    def __init__(self, sender, recipient, data):
        self.sender, self.recipient, self.data = sender, recipient, data

    def __bytes__(self):
        return self.data


@lru_cache(maxsize=8)
def _from_header(sender):
    """(the folded From line, the envelope address) for MAIL_FROM, or None when it needs SMTPUTF8."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    address = message["From"].addresses[0].addr_spec
    if not _PLAIN_ADDRESS.fullmatch(address):
        return None
    return policy.SMTP.fold("From", message["From"]), address


def compose(sender, recipient, subject, text, html, message_id, headers=None, envelope=None):
    """The message as an ``Outgoing``, or as an ``EmailMessage`` when it needs more than plain ASCII headers.

    ``envelope``: the SMTP envelope sender (MAIL FROM) when it is not the From address (a return path).
    """
    from_line = _from_header(sender)
    if from_line is None or not _PLAIN_ADDRESS.fullmatch(recipient) or not _plain_headers(headers):
        message = build_email_message(sender, recipient, subject, text, html, message_id, headers)
        message.envelope_sender = envelope
        return message
    text_part, html_part = _part("plain", text), _part("html", html)
    boundary = _boundary(text_part, html_part)
    lines = [
        from_line[0] + f"To: {recipient}\r\n"
        f"Subject: {_subject(subject)}\r\n"
        f"Date: {formatdate(localtime=False)}\r\n"
        f"Message-ID: {message_id}\r\n",
    ]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}\r\n")
    lines.append(f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n'
                 f"--{boundary}\r\n")
    # The line break before a boundary belongs to the boundary (RFC 2046), so each part keeps its last one.
    data = "".join(lines).encode("ascii") + text_part + f"\r\n--{boundary}\r\n".encode("ascii") + html_part + \
        f"\r\n--{boundary}--\r\n".encode("ascii")
    return Outgoing(envelope or from_line[1], recipient, data)


class OutgoingMessage(EmailMessage):
    """An ``EmailMessage`` with the envelope sender it goes out with (None: the address in its From)."""

    envelope_sender = None


def build_email_message(sender, recipient, subject, text, html, message_id, headers=None):
    """The same message through the standard library: slower, but right for any address or header."""
    message = OutgoingMessage()
    message["To"] = recipient
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message["From"] = sender
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _plain_headers(headers):
    return all(name in _EXTRA_HEADERS and _plain(value) and len(name) + len(value) < _MAX_LINE - 2
               for name, value in (headers or {}).items())


def _plain(value):
    return value.isascii() and value.isprintable()


def _subject(subject):
    """The Subject's value: as it is when short, printable ASCII, else UTF-8 encoded-words on folded lines."""
    if _plain(subject) and len(subject) <= 69 and "=?" not in subject:
        return subject
    words, chunk, size = [], [], 0
    for character in subject:
        length = len(character.encode("utf-8"))
        if size + length > _WORD_BYTES:  # an encoded-word never splits a character (RFC 2047, 5)
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(character)
        size += length
    words.append("".join(chunk))
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words)


def _part(subtype, content):
    """One body part's headers and body, with lines ended by CRLF as MIME wants for text."""
    lines = content.encode("utf-8").splitlines()
    body = b"\r\n".join(lines) + b"\r\n"
    if body.isascii() and max(map(len, lines), default=0) <= _MAX_LINE:
        encoding, encoded = "7bit", body
    else:
        quoted = binascii.b2a_qp(body, istext=True)
        based = base64.encodebytes(body).replace(b"\n", b"\r\n")
        # b2a_qp writes 77 characters when a line ends in whitespace it encodes where it wraps; RFC 2045 allows 76.
        fits = max(map(len, quoted.split(b"\r\n"))) <= 76
        encoding, encoded = ("quoted-printable", quoted) if fits and len(quoted) <= len(based) else ("base64", based)
    head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'
    return head.encode("ascii") + encoded


def _boundary(*parts):
    # Random, and checked: a 7bit part could in principle contain any line at all.
    while True:
        boundary = "=_" + secrets.token_hex(12)  # 96 random bits; the Content-Type line stays under 78
        token = boundary.encode("ascii")
        if not any(token in part for part in parts):
            return boundary
