"""Throwaway servers that fault tests may break: PostgreSQL, Redis and misbehaving SMTP.

Each runs on a free port in a temporary directory and is stopped by its
fixture; the shared services on 5432 and 6379 are never touched.
"""
import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from ..helpers import free_port
from ..smtp import SmtpServer, _Handler


class PostgresCluster:
    """A PostgreSQL cluster made with Debian's initdb, as the ``postgres`` user when we run as root."""

    def __init__(self):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            raise RuntimeError("no initdb under /usr/lib/postgresql/*/bin")
        self.bin = os.path.dirname(binaries[-1])
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="petitions-faults-pg-")
        self.data = os.path.join(self.dir, "data")
        self.as_user = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args, timeout=60):
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=timeout)

    def create(self):
        self._run(f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync")
        return self

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-o", options, "-l", os.path.join(self.dir, "log"),
                  "-w", "-t", "30", "start")

    def stop(self):
        """A fast shutdown: open connections are cut, as when the server restarts."""
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "30", "stop")

    def destroy(self):
        try:
            if os.path.exists(os.path.join(self.data, "postmaster.pid")):
                self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """A redis-server that keeps nothing on disk, which the test may stop and start again on the same port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
            finally:
                client.close()
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def keys(self):
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            return [k.decode() for k in client.keys("*")]
        finally:
            client.close()


class _FaultyHandler(_Handler):
    async def handle_DATA(self, smtp_server, session, envelope):
        server = self.server
        with server.lock:
            server.data_commands += 1
            drop = server.drop_every and server.data_commands % server.drop_every == 0
        if server.delay:
            await asyncio.sleep(server.delay)
        if drop and server.drop_with_421:
            return "421 4.3.2 Shutting down, try again"  # the client closes; the message was not taken
        if drop:
            # The connection goes, after the whole message came and before any answer: not delivered.
            smtp_server.transport.close()
            return "421 4.4.2 Connection dropped"
        return await super().handle_DATA(smtp_server, session, envelope)


class FaultySmtpServer(SmtpServer):
    """An SMTP server that may take ``delay`` seconds per message and drop every ``drop_every``-th connection.

    The drop comes after the whole message: silently, or with ``drop_with_421`` as a "421 closing" answer.
    """

    def __init__(self, host, port, delay=0.0, drop_every=0, drop_with_421=False):
        super().__init__(host, port)
        self.delay = delay
        self.drop_every = drop_every
        self.drop_with_421 = drop_with_421
        self.data_commands = 0
        from aiosmtpd.controller import Controller

        self._controller.loop.close()  # the plain server's, never started
        self._controller = Controller(_FaultyHandler(self), hostname=host, port=port)

    def recipients(self):
        with self.lock:
            return [m["To"] for m in self.messages]
