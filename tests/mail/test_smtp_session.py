"""`mail.smtp.open_session` against the loopback sink: STARTTLS as asked, the extensions read again over
TLS, and where a failed session stopped."""

import pytest

from coldsend.mail import smtp
from tests.smtp_sink import SmtpSink, free_port


async def test_offered_starttls_is_taken_and_extensions_are_read_again(smtp_sink_starttls: SmtpSink) -> None:
    sink = smtp_sink_starttls
    client = await smtp.open_session(
        sink.host, sink.port, helo_name="probe.test", timeout=5, cert_bundle=str(sink.ca_path)
    )
    try:
        assert smtp.uses_tls(client)
        assert client.supports_extension("smtputf8")  # from the EHLO over TLS
        assert not client.supports_extension("starttls")
    finally:
        client.close()


async def test_never_stays_plain(smtp_sink_starttls: SmtpSink) -> None:
    sink = smtp_sink_starttls
    client = await smtp.open_session(
        sink.host, sink.port, helo_name="probe.test", timeout=5, starttls="never"
    )
    try:
        assert not smtp.uses_tls(client)
        assert client.supports_extension("starttls")
    finally:
        client.close()


async def test_required_starttls_that_is_not_offered_goes_no_further(smtp_sink: SmtpSink) -> None:
    with pytest.raises(smtp.SmtpSecurityError, match="offers no STARTTLS"):
        await smtp.open_session(
            smtp_sink.host, smtp_sink.port, helo_name="probe.test", timeout=5, starttls="required"
        )


async def test_a_closed_port_fails_before_the_greeting() -> None:
    with pytest.raises(smtp.OpenFailed) as failed:
        await smtp.open_session("127.0.0.1", free_port(), helo_name="probe.test", timeout=5)
    assert (failed.value.connected, failed.value.tls) == (False, False)
    assert isinstance(failed.value.classified(), smtp.SmtpConnectionError)
