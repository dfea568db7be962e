"""Ways to hand a message over: SMTP in its three forms, or the development mailbox.

``MAIL_URL`` picks one:
    smtp://host:25                       plain SMTP (a local relay)
    smtp+starttls://user:pass@host:587   submission with STARTTLS
    smtps://user:pass@host:465           implicit TLS
    mailbox://                           files in MAILBOX_DIR, read at /dev/mail (development)
"""
import contextlib
import smtplib
import ssl
import time
import uuid
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..config import plain_smtp_password_problem
from .compose import Outgoing


class TransportError(Exception):
    """The message was not accepted; it stays queued and is retried later."""


class ConnectionFailed(TransportError):
    """The server could not be reached: no point trying the rest of the batch now."""


class SmtpTransport:
    DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

    def __init__(self, url, timeout=20, reconnects=2):
        parts = urlsplit(url)
        if parts.scheme not in self.DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"unsupported MAIL_URL {url!r}")
        problem = plain_smtp_password_problem(url)
        if problem:  # in every profile: a password must never cross the network in clear
            raise ValueError(problem)
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or self.DEFAULT_PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        # How many times one message may open a fresh connection after the
        # server dropped the last one, before the message counts as failed.
        self.reconnects = reconnects

    def _connect(self):
        context = ssl.create_default_context()
        if self.scheme == "smtps":
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.scheme == "smtp+starttls":
                client.starttls(context=context)
        if self.username:
            client.login(self.username, self.password or "")
        return client

    @contextlib.contextmanager
    def session(self):
        """Yield a ``send(message)`` callable that keeps one connection open across messages.

        The connection is opened by the first message. When the server drops
        it (or cannot be reached), the message in flight is tried again on a
        fresh connection, up to ``reconnects`` times, before ``send`` raises
        ConnectionFailed; so a transient fault costs only that message, and
        the messages after it are never charged for it. A refusal (an SMTP
        error reply) raises TransportError at once: asking again now would
        get the same answer.
        """
        client = None

        def send(message):
            nonlocal client
            for attempt in range(self.reconnects + 1):
                if attempt:
                    time.sleep(min(0.2 * attempt, 2))  # let a restarting server come back
                try:
                    if client is None:
                        client = self._connect()
                except (OSError, smtplib.SMTPException) as exc:
                    error = exc  # no server to talk to: this counts as a dropped connection
                    continue
                try:
                    if isinstance(message, Outgoing):  # bytes written by compose.py: no parsing or flattening here
                        client.sendmail(message.sender, [message.recipient], message.data)
                    else:
                        # A return path (compose.OutgoingMessage) is the envelope sender; else the From address.
                        client.send_message(message, from_addr=getattr(message, "envelope_sender", None))
                    return
                except (smtplib.SMTPServerDisconnected, OSError) as exc:
                    _close(client)
                    client = None
                    error = exc
                except smtplib.SMTPResponseException as exc:
                    if exc.smtp_code != 421:  # 421: the server is closing this connection, not refusing the message
                        raise TransportError(f"{type(exc).__name__}: {exc}") from exc
                    _close(client)
                    client = None
                    error = exc
                except smtplib.SMTPException as exc:
                    if client is not None and not _connected(client):
                        client = None
                    raise TransportError(f"{type(exc).__name__}: {exc}") from exc
            raise ConnectionFailed(f"{type(error).__name__}: {error}") from error

        try:
            yield send
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.quit()
                _close(client)


def _connected(client):
    return getattr(client, "sock", None) is not None


def _close(client):
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()


class MailboxTransport:
    """Writes each message as an .eml file; the development mailbox lists them."""

    def __init__(self, directory):
        self.directory = Path(directory)

    @contextlib.contextmanager
    def session(self):
        self.directory.mkdir(parents=True, exist_ok=True)

        def send(message):
            name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
            (self.directory / name).write_bytes(bytes(message))

        yield send


def transport_from_config(config):
    url = config["MAIL_URL"]
    if url.startswith("mailbox:"):
        return MailboxTransport(config["MAILBOX_DIR"])
    return SmtpTransport(url, timeout=config["MAIL_TIMEOUT"], reconnects=config["MAIL_RECONNECTS"])


def new_message_id(sender, idstring=None):
    """A fresh, globally unique Message-ID in the sender's domain."""
    domain = sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    return make_msgid(idstring=idstring, domain=domain)
