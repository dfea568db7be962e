"""A real SMTP server for tests, on loopback, built on aiosmtpd."""
import threading
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, smtp_server, session, envelope, address, rcpt_options):
        if self.server.reject_with:
            return self.server.reject_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp_server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        with self.server.lock:
            self.server.messages.append(message)
            self.server.envelope_senders.append(envelope.mail_from)
            self.server.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.messages = []
        # MAIL FROM of each message in ``messages``, in the same order.
        self.envelope_senders = []
        self.reject_with = None
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self._controller = Controller(_Handler(self), hostname=host, port=port)

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()

    def wait_for(self, count, timeout=10):
        """Block until ``count`` messages arrived; return them."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


def text_part(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_part(message):
    return message.get_body(preferencelist=("html",)).get_content()
