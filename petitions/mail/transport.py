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
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit


class TransportError(Exception):
    """The message was not accepted; it stays queued and is retried later."""


class ConnectionFailed(TransportError):
    """The server could not be reached: no point trying the rest of the batch now."""


class SmtpTransport:
    DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}

    def __init__(self, url, timeout=20):
        parts = urlsplit(url)
        if parts.scheme not in self.DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"unsupported MAIL_URL {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or self.DEFAULT_PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

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
        """Yield a ``send(message)`` callable that reuses one connection."""
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from exc

        def send(message):
            try:
                client.send_message(message)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from exc
            except smtplib.SMTPException as exc:
                raise TransportError(f"{type(exc).__name__}: {exc}") from exc

        try:
            yield send
        finally:
            with contextlib.suppress(Exception):
                client.quit()


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
    return SmtpTransport(url, timeout=config["MAIL_TIMEOUT"])


def stamp(message, sender):
    """Add the headers every outgoing message needs."""
    message["From"] = sender
    message["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip(">") or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    return message
