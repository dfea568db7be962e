"""A throwaway Dovecot IMAP server on a free loopback port, with its own configuration and Maildirs.

Debian's dovecot-imapd, started as a process of ours in a temporary
directory and stopped by the fixture: the machine's own Dovecot (if any) is
never touched. As root, Dovecot refuses to give mail to uid 0, so mail is
kept as Debian's ``dovecot`` user (which the package creates); otherwise as
whoever runs the tests.
"""
import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from ..helpers import free_port

DOVECOT = "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
listen = 127.0.0.1
protocols = imap
# Plain IMAP on loopback only, as BOUNCE_MAILBOX_URL allows it.
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
}}
service submission-login {{
  inet_listener submission {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0600
  }}
}}
"""


class DovecotServer:
    def __init__(self, user="bounces", password="a-password-for-the-tests"):
        if not os.access(DOVECOT, os.X_OK):
            raise RuntimeError("the imap tests need Debian's dovecot-imapd: apt-get install dovecot-imapd")
        self.user, self.password = user, password
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="petitions-imap-")
        os.chmod(self.dir, 0o755)  # Dovecot's own users must reach their folders inside
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("dovecot")
            internal_user, internal_group, login_user = "dovecot", "dovecot", "dovenull"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal_user = login_user = mail_user.pw_name
            internal_group = grp.getgrgid(mail_user.pw_gid).gr_name
        for folder in ("mail", "home"):
            os.mkdir(os.path.join(self.dir, folder))
            os.chown(os.path.join(self.dir, folder), mail_user.pw_uid, mail_user.pw_gid)
        with open(os.path.join(self.dir, "passwd"), "w") as handle:
            handle.write(f"{user}:{{PLAIN}}{password}\n")
        self.config = os.path.join(self.dir, "dovecot.conf")
        with open(self.config, "w") as handle:
            handle.write(CONFIG.format(dir=self.dir, port=self.port, uid=mail_user.pw_uid, gid=mail_user.pw_gid,
                                       internal_user=internal_user, internal_group=internal_group,
                                       login_user=login_user))
        self.process = None

    @property
    def url(self):
        return f"imap://{self.user}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def start(self):
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", self.config],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            try:
                self.client().logout()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def client(self):
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        client.login(self.user, self.password)
        return client

    def append(self, raw, folder="INBOX"):
        client = self.client()
        try:
            status, data = client.append(folder, None, None, raw)
            assert status == "OK", data
        finally:
            client.logout()

    def messages(self, folder="INBOX"):
        """The bytes of every message in ``folder`` not marked deleted."""
        client = self.client()
        try:
            status, _ = client.select(f'"{folder}"', readonly=True)
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", "UNDELETED")
            found = []
            for uid in (data[0] or b"").split():
                _, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
                found.extend(item[1] for item in parts if isinstance(item, tuple))
            return found
        finally:
            client.logout()

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as handle:
                return handle.read()[-2000:]
        except OSError:
            return "(no log)"

    def stop(self):
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                self.process.wait(timeout=15)
        finally:
            self.process = None
            shutil.rmtree(self.dir, ignore_errors=True)
