"""The SMTP transport never sends a password unencrypted over the network."""
import pytest

from petitions.mail.transport import SmtpTransport, transport_from_config


@pytest.mark.parametrize("url", ["smtp://user:Hunter2-xyz@mail.example.org", "smtp://user:Hunter2-xyz@192.0.2.7:2525"])
def test_a_password_over_plain_smtp_to_another_machine_is_refused_before_connecting(url):
    with pytest.raises(ValueError, match="unencrypted") as refused:
        SmtpTransport(url)
    assert "Hunter2-xyz" not in str(refused.value)  # the message never shows the password


def test_the_worker_refuses_it_in_every_profile(app):
    app.config["MAIL_URL"] = "smtp://user:pass@mail.example.org:25"
    with pytest.raises(ValueError, match="smtp\\+starttls://"):
        transport_from_config(app.config)


@pytest.mark.parametrize("url", ["smtp+starttls://user:pass@mail.example.org", "smtps://user:pass@mail.example.org",
                                 "smtp://user:pass@127.0.0.1:1025", "smtp://user:pass@localhost", "smtp://relay.example.org"])
def test_tls_a_loopback_relay_or_no_password_are_fine(url):
    assert SmtpTransport(url).host
