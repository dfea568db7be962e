"""The mailbox bounces and complaints arrive in: a Maildir on this machine, or a folder on an IMAP server.

``BOUNCE_MAILBOX_URL`` picks one:
    maildir:///var/mail/bounces              a Maildir (new/, cur/, tmp/), read with the standard library
    imaps://user:pass@host:993/INBOX         IMAP over TLS (imaplib); the folder defaults to INBOX
    imap://user:pass@127.0.0.1:143/INBOX     plain IMAP, only to a server on this machine

Each mailbox lists its messages, gives one's bytes, and then either deletes
it (``done``: read and understood) or moves it into the folder
``petitions-unrecognised`` beside it (``set_aside``), where a person can look
at what was not understood. Neither is read again, so a report never counts
twice through the mailbox (and return_paths records what was counted, should
deleting fail after the count was committed). A bounce usually quotes the
message it returns, names and links included, so what is set aside is
deleted after BOUNCE_WINDOW_DAYS (``prune_aside``), like the rest of what a
bounce needs.
"""
import contextlib
import imaplib
import mailbox
import os
import ssl
from urllib.parse import unquote, urlsplit

from ..config import plain_imap_password_problem

ASIDE = "petitions-unrecognised"


class MailboxError(Exception):
    """The mailbox cannot be opened or read; the message says why (never the password)."""


class MaildirBox:
    def __init__(self, path):
        if not all(os.path.isdir(os.path.join(path, sub)) for sub in ("cur", "new", "tmp")):
            raise MailboxError(f"{path} is not a Maildir (it needs the folders cur, new and tmp)")
        self.maildir = mailbox.Maildir(path, factory=None, create=False)
        self._aside = None

    def keys(self):
        return sorted(self.maildir.keys())

    def read(self, key):
        return self.maildir.get_bytes(key)

    def done(self, key):
        self.maildir.discard(key)

    def set_aside(self, key):
        if self._aside is None:
            self._aside = self.maildir.add_folder(ASIDE)  # Maildir++: the folder .petitions-unrecognised
        self._aside.add(self.maildir.get_bytes(key))
        self.maildir.discard(key)

    def prune_aside(self, before):
        """Delete what was set aside before ``before`` (an aware datetime). Returns how many."""
        if ASIDE not in self.maildir.list_folders():
            return 0
        aside = self.maildir.get_folder(ASIDE)
        # A Maildir file's name begins with the time it was delivered (added) there.
        old = [key for key in aside.keys() if aside.get_message(key).get_date() < before.timestamp()]
        for key in old:
            aside.discard(key)
        return len(old)

    def close(self):
        pass


class ImapBox:
    def __init__(self, url, timeout):
        parts = urlsplit(url)
        problem = plain_imap_password_problem(url)
        if problem:  # in every profile, as for MAIL_URL: a password never crosses the network in clear
            raise MailboxError(problem)
        self.host = parts.hostname
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        try:
            if parts.scheme == "imaps":
                self.connection = imaplib.IMAP4_SSL(self.host, parts.port or 993, timeout=timeout,
                                                    ssl_context=ssl.create_default_context())
            else:
                self.connection = imaplib.IMAP4(self.host, parts.port or 143, timeout=timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"cannot reach the IMAP server {self.host}: {exc}") from None
        try:
            self.connection.login(unquote(parts.username or ""), unquote(parts.password or ""))
        except imaplib.IMAP4.error:
            self._logout()
            raise MailboxError(f"the IMAP server {self.host} refused the user name and password") from None
        status, _ = self.connection.select(_quoted(folder))
        if status != "OK":
            self._logout()
            raise MailboxError(f"the IMAP server {self.host} has no folder {folder!r}")
        self._aside_ready = False
        self.folder = folder

    def _command(self, *args):
        status, data = self.connection.uid(*args)
        if status != "OK":
            raise MailboxError(f"the IMAP server {self.host} refused UID {args[0]}: {data!r}")
        return data

    def keys(self):
        # Messages marked deleted by an earlier run that stopped before expunging are not read again.
        data = self._command("SEARCH", "UNDELETED")
        return [uid.decode("ascii") for uid in (data[0] or b"").split()]

    def read(self, key):
        for item in self._command("FETCH", key, "(BODY.PEEK[])"):
            if isinstance(item, tuple):
                return item[1]
        raise MailboxError(f"the IMAP server {self.host} sent no message {key}")

    def done(self, key):
        self._command("STORE", key, "+FLAGS.SILENT", r"(\Deleted)")

    def set_aside(self, key):
        if not self._aside_ready:
            with contextlib.suppress(imaplib.IMAP4.error):
                self.connection.create(_quoted(ASIDE))  # answers NO when it exists already
            self._aside_ready = True
        self._command("COPY", key, _quoted(ASIDE))
        self.done(key)

    def prune_aside(self, before):
        """Delete what was set aside before ``before``'s day (IMAP's SEARCH knows only days). Returns how many."""
        status, _ = self.connection.select(_quoted(ASIDE))
        try:
            if status != "OK":
                return 0  # nothing was ever set aside
            data = self._command("SEARCH", "BEFORE", before.strftime("%d-%b-%Y"))
            uids = (data[0] or b"").split()
            if uids:
                self._command("STORE", b",".join(uids).decode("ascii"), "+FLAGS.SILENT", r"(\Deleted)")
                self.connection.expunge()
            return len(uids)
        finally:
            self.connection.select(_quoted(self.folder))

    def close(self):
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.connection.expunge()
        self._logout()

    def _logout(self):
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.connection.logout()


def _quoted(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def opened(url, timeout=20):
    """The mailbox ``url`` names, closed (and, for IMAP, expunged) at the end."""
    parts = urlsplit(url or "")
    if parts.scheme == "maildir":
        box = MaildirBox(unquote(parts.path))
    elif parts.scheme in ("imap", "imaps"):
        box = ImapBox(url, timeout)
    else:
        raise MailboxError("BOUNCE_MAILBOX_URL must be maildir:///path or imaps://user:pass@host/INBOX")
    try:
        yield box
    finally:
        box.close()
