"""The SMTP transport against the loopback sink: TLS modes, AUTH, failure kinds, the split before the dot."""

from email.message import EmailMessage

import pytest

from coldsend.mail.smtp import (
    AccountConnection,
    NotCommitted,
    SmtpAuthError,
    SmtpConnectionError,
    SmtpEndpoint,
    SmtpPermanentError,
    SmtpTemporaryError,
    UnconfirmedError,
    WriteDot,
    check_login,
    send_message,
)
from tests.smtp_sink import MakeSmtpSink, SmtpSink, free_port


def endpoint(sink: SmtpSink, password: str = "secret") -> SmtpEndpoint:
    return SmtpEndpoint(
        host=sink.host,
        port=sink.port,
        username="sender@example.com",
        password=password,
        security="cleartext" if sink.tls == "none" else sink.tls,  # a plain sink: AUTH in the clear
        ca_file=str(sink.ca_path),
        timeout=5,
    )


def message(to: str = "lead@example.org", body: str = "Hello\n.leading dot\n") -> bytes:
    msg = EmailMessage()
    msg["From"] = "sender@example.com"
    msg["To"] = to
    msg["Subject"] = "Hi"
    msg["Message-ID"] = "<m1@example.com>"
    msg.set_content(body)
    return msg.as_bytes()


@pytest.mark.parametrize("tls", ["none", "starttls", "ssl"])
async def test_login_and_send_over_each_security_mode(make_smtp_sink: MakeSmtpSink, tls: str) -> None:
    sink = make_smtp_sink(tls=tls)
    await check_login(endpoint(sink))
    accepted = await send_message(
        endpoint(sink), mail_from="sender@example.com", rcpt_to="lead@example.org", message=message()
    )
    assert accepted.reply.startswith("250")
    [got] = sink.received
    assert (got.login, got.mail_from, got.rcpt_tos) == (
        "sender@example.com",
        "sender@example.com",
        ["lead@example.org"],
    )
    assert got.message["Message-ID"] == "<m1@example.com>"
    assert got.message.get_content() == "Hello\n.leading dot\n"


@pytest.mark.parametrize("tls", ["none", "starttls"])
async def test_wrong_password_is_an_auth_error(make_smtp_sink: MakeSmtpSink, tls: str) -> None:
    sink = make_smtp_sink(tls=tls)
    with pytest.raises(SmtpAuthError) as raised:
        await check_login(endpoint(sink, password="wrong"))
    assert raised.value.code == 535
    assert "wrong" not in str(raised.value)


async def test_untrusted_certificate_is_a_connection_error(smtp_sink_ssl: SmtpSink) -> None:
    untrusted = SmtpEndpoint(
        host=smtp_sink_ssl.host,
        port=smtp_sink_ssl.port,
        username="sender@example.com",
        password="secret",
        security="ssl",
        timeout=5,
    )
    with pytest.raises(SmtpConnectionError):
        await check_login(untrusted)


async def test_nothing_listening_is_a_connection_error() -> None:
    closed = SmtpEndpoint(
        host="127.0.0.1", port=free_port(), username="u", password="p", security="none", timeout=5
    )
    with pytest.raises(SmtpConnectionError) as raised:
        await check_login(closed)
    assert raised.value.stage == "connect"


async def test_rejections_are_classified_and_the_connection_stays_usable(smtp_sink: SmtpSink) -> None:
    smtp_sink.answer_rcpt("gone@example.org", "550 5.1.1 User unknown")
    smtp_sink.answer_rcpt("later@example.org", "451 4.7.1 Try again later", times=1)
    smtp_sink.answer_data("spam@example.org", "554 5.7.1 Message refused")
    connection = AccountConnection(endpoint(smtp_sink))
    try:
        with pytest.raises(SmtpPermanentError) as permanent:
            await connection.send(
                mail_from="sender@example.com", rcpt_to=["gone@example.org"], message=message()
            )
        assert (permanent.value.code, permanent.value.stage) == (550, "rcpt")
        with pytest.raises(SmtpTemporaryError) as temporary:
            await connection.send(
                mail_from="sender@example.com", rcpt_to=["later@example.org"], message=message()
            )
        assert (temporary.value.code, temporary.value.stage) == (451, "rcpt")
        with pytest.raises(SmtpPermanentError) as refused:
            await connection.send(
                mail_from="sender@example.com", rcpt_to=["spam@example.org"], message=message()
            )
        assert (refused.value.code, refused.value.stage) == (554, "data")
        await connection.send(
            mail_from="sender@example.com", rcpt_to=["later@example.org"], message=message()
        )
        assert connection.connected
    finally:
        await connection.quit()
    assert [item.rcpt_tos for item in smtp_sink.received] == [["later@example.org"]]


async def test_421_drops_the_session_and_the_next_send_reconnects(smtp_sink: SmtpSink) -> None:
    smtp_sink.answer_data("lead@example.org", "421 4.7.0 Shutting down", times=1)
    connection = AccountConnection(endpoint(smtp_sink))
    try:
        with pytest.raises(SmtpTemporaryError) as raised:
            await connection.send(
                mail_from="sender@example.com", rcpt_to=["lead@example.org"], message=message()
            )
        assert raised.value.code == 421
        await connection.send(mail_from="sender@example.com", rcpt_to=["lead@example.org"], message=message())
    finally:
        await connection.quit()
    assert len(smtp_sink.received) == 1


async def test_before_dot_runs_after_the_body_and_its_failure_delivers_nothing(smtp_sink: SmtpSink) -> None:
    connection = AccountConnection(endpoint(smtp_sink))
    seen: list[int] = []

    async def commit(_write_dot: WriteDot) -> None:  # leaves the dot to the transport
        seen.append(len(smtp_sink.received))

    async def crash(_write_dot: WriteDot) -> None:
        raise RuntimeError("database gone")

    try:
        await connection.send(
            mail_from="sender@example.com", rcpt_to=["lead@example.org"], message=message(), before_dot=commit
        )
        with pytest.raises(NotCommitted):
            await connection.send(
                mail_from="sender@example.com",
                rcpt_to=["lead@example.org"],
                message=message(),
                before_dot=crash,
            )
        await connection.send(
            mail_from="sender@example.com", rcpt_to=["lead@example.org"], message=message(), before_dot=commit
        )
    finally:
        await connection.quit()
    assert seen == [0, 1]
    assert len(smtp_sink.received) == 2


async def test_a_hook_that_commits_itself_writes_the_dot_at_once(smtp_sink: SmtpSink) -> None:
    """The dot goes out when the hook calls `write_dot` (the instant its commit is stored), before the
    hook's own end; a failure after that is an unconfirmed send, not an undelivered one."""
    connection = AccountConnection(endpoint(smtp_sink))
    seen: list[int] = []

    async def commit_then_linger(write_dot: WriteDot) -> None:
        write_dot()
        write_dot()  # once only
        await smtp_sink.wait_for(len(seen) + 1, timeout=5)
        seen.append(len(smtp_sink.received))

    async def commit_then_fail(write_dot: WriteDot) -> None:
        write_dot()
        raise RuntimeError("the connection's return to its pool failed")

    try:
        await connection.send(
            mail_from="sender@example.com",
            rcpt_to=["lead@example.org"],
            message=message(),
            before_dot=commit_then_linger,
        )
        with pytest.raises(UnconfirmedError):
            await connection.send(
                mail_from="sender@example.com",
                rcpt_to=["lead@example.org"],
                message=message(),
                before_dot=commit_then_fail,
            )
    finally:
        connection.close()
    await smtp_sink.wait_for(2, timeout=5)
    assert seen == [1]
    assert len(smtp_sink.received) == 2


async def test_extra_recipients_may_be_refused(smtp_sink: SmtpSink) -> None:
    smtp_sink.answer_rcpt("cc@example.org", "550 5.1.1 No such user")
    accepted = await send_message(
        endpoint(smtp_sink),
        mail_from="sender@example.com",
        rcpt_to=["lead@example.org", "cc@example.org"],
        message=message(),
    )
    assert accepted.refused == {"cc@example.org": "550 5.1.1 No such user"}
    assert smtp_sink.received[0].rcpt_tos == ["lead@example.org"]


async def test_fraction_of_transactions_fail(smtp_sink: SmtpSink) -> None:
    smtp_sink.fail_fraction(0.5, seed=1)
    outcomes: list[str] = []
    connection = AccountConnection(endpoint(smtp_sink))
    try:
        for _ in range(40):
            try:
                await connection.send(
                    mail_from="sender@example.com", rcpt_to=["lead@example.org"], message=message()
                )
                outcomes.append("ok")
            except SmtpTemporaryError as error:
                outcomes.append(str(error.code))
    finally:
        await connection.quit()
    assert outcomes.count("ok") == len(smtp_sink.received)
    assert {"ok", "421", "454"} == set(outcomes)
