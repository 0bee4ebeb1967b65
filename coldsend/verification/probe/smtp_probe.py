"""The SMTP stage: EHLO, STARTTLS when offered (both by `mail.smtp.open_session`), MAIL FROM, RCPT TO each
recipient, QUIT. Never DATA."""

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from enum import StrEnum

import aiosmtplib

from coldsend.mail import smtp
from coldsend.verification.probe import proxy


class ProbeFailure(StrEnum):
    UNREACHABLE = "unreachable"  # no SMTP session could be opened: refused, filtered, no greeting
    TIMEOUT = "timeout"  # the session opened, then the server stopped answering
    ERROR = "error"  # refused at the greeting or MAIL FROM, or dropped the connection
    NOT_PUBLIC = "not_public"  # not attempted: the server's addresses are all loopback or private


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    message: str


@dataclass
class Probe:
    """One session's answers: a reply per recipient, or the failure that cut it short."""

    replies: dict[str, Reply] = field(default_factory=dict)
    failure: ProbeFailure | None = None
    failure_reply: Reply | None = None
    tls: bool = False


@dataclass(frozen=True, slots=True)
class ProbeConfig:
    port: int
    ehlo_hostname: str
    mail_from: str
    connect_timeout: float
    timeout: float
    proxy: str | None = None


async def _open(ip: str, config: ProbeConfig, *, use_tls: bool) -> aiosmtplib.SMTP:
    sock: socket.socket | None = None
    if config.proxy:
        async with asyncio.timeout(config.connect_timeout):
            sock = await proxy.connect(config.proxy, ip, config.port)
    return await smtp.open_session(
        ip,
        config.port,
        sock=sock,
        helo_name=config.ehlo_hostname,
        timeout=config.timeout,
        connect_timeout=config.connect_timeout,
        starttls="offered" if use_tls else "never",
        validate_certs=False,  # MX certificates are often self-signed; nothing secret is sent
        helo_fallback=False,  # a server that refuses EHLO is reported as it answered
    )


def _failure(error: Exception, *, tls: bool) -> Probe:
    """A session cut short: timed out, or refused or dropped (with the server's reply, if it gave one)."""
    if isinstance(error, TimeoutError):
        return Probe(failure=ProbeFailure.TIMEOUT, tls=tls)
    code = error.code if isinstance(error, aiosmtplib.SMTPResponseException) else 0
    message = error.message if isinstance(error, aiosmtplib.SMTPException) else str(error)
    return Probe(failure=ProbeFailure.ERROR, failure_reply=Reply(code, message), tls=tls)


async def _session(client: aiosmtplib.SMTP, config: ProbeConfig, recipients: list[str], probe: Probe) -> None:
    utf8 = not all(address.isascii() for address in recipients)
    options = ["SMTPUTF8"] if utf8 and client.supports_extension("smtputf8") else []
    encoding = "utf-8" if options else "ascii"
    try:
        await client.mail(config.mail_from, options=options, encoding=encoding)
    except aiosmtplib.SMTPSenderRefused as refused:
        probe.failure, probe.failure_reply = ProbeFailure.ERROR, Reply(refused.code, refused.message)
        return
    for recipient in recipients:
        try:
            response = await client.rcpt(recipient, encoding=encoding)
            probe.replies[recipient] = Reply(response.code, response.message)
        except aiosmtplib.SMTPRecipientRefused as refused:
            probe.replies[recipient] = Reply(refused.code, refused.message)


async def probe(ip: str, recipients: list[str], config: ProbeConfig) -> Probe:
    """Ask the server at `ip` about each recipient; STARTTLS when offered (once more without, if it fails)."""
    for use_tls in (True, False):
        try:
            client = await _open(ip, config, use_tls=use_tls)
        except smtp.OpenFailed as failed:
            refused = isinstance(failed.error, aiosmtplib.SMTPConnectResponseError)  # at the greeting
            if not failed.connected and not refused:
                return Probe(failure=ProbeFailure.UNREACHABLE)
            if failed.tls and not isinstance(failed.error, TimeoutError):
                continue  # STARTTLS failed: once more without
            return _failure(failed.error, tls=failed.tls)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):  # the proxy
            return Probe(failure=ProbeFailure.UNREACHABLE)
        result = Probe(tls=smtp.uses_tls(client))
        try:
            await _session(client, config, recipients, result)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await asyncio.wait_for(client.quit(), config.timeout)
            return result
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            if result.tls and not isinstance(error, TimeoutError):
                continue  # failed over TLS: once more without
            return _failure(error, tls=result.tls)
        finally:
            client.close()
    return Probe(failure=ProbeFailure.ERROR, failure_reply=Reply(0, "STARTTLS failed"))
