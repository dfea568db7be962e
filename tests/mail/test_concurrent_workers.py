"""Several `petitions mail send` processes at once never send one message twice."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from petitions.extensions import db
from petitions.mail import messages as mail
from petitions.models import OutboxMessage

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.commits
def test_four_mail_workers_at_once_send_every_message_exactly_once(app, smtp_server, database_url, tmp_path):
    messages = 160
    for i in range(messages):
        mail.queue_erasure_request(f"reader{i}@example.org", "de", f"https://example.org/de/erase/{i}", count=1)
    db.session.commit()
    env = {**os.environ, "PETITIONS_ENV": "testing", "DATABASE_URL": database_url,
           "PETITIONS_INSTANCE": str(tmp_path / "instance"), "MAIL_URL": f"smtp://127.0.0.1:{smtp_server.port}",
           "SECRET_KEY": app.config["SECRET_KEY"]}
    petitions = str(Path(sys.executable).parent / "petitions")
    workers = [subprocess.Popen([petitions, "mail", "send"], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], outputs
    sent_by = [int(out.split()[1].rstrip(",")) for out, _ in outputs]
    assert sum(sent_by) == messages
    recipients = [m["To"] for m in smtp_server.messages]
    assert len(recipients) == messages and len(set(recipients)) == messages
    # Each worker rendered what it sent, in the message's language.
    assert all("Löschung" in m["Subject"] for m in smtp_server.messages)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))) == 0
