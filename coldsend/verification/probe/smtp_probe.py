"""The SMTP stage: EHLO, STARTTLS when offered, MAIL FROM, RCPT TO each recipient, QUIT. Never DATA."""

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from enum import StrEnum

import aiosmtplib

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


async def _open(ip: str, config: ProbeConfig) -> aiosmtplib.SMTP:
    sock: socket.socket | None = None
    if config.proxy:
        async with asyncio.timeout(config.connect_timeout):
            sock = await proxy.connect(config.proxy, ip, config.port)
    client = aiosmtplib.SMTP(
        hostname=None if sock else ip,
        port=None if sock else config.port,
        sock=sock,
        local_hostname=config.ehlo_hostname,
        timeout=config.timeout,
        start_tls=False,
        validate_certs=False,  # MX certificates are often self-signed; nothing secret is sent
    )
    await client.connect(timeout=config.connect_timeout)
    return client


async def _session(
    client: aiosmtplib.SMTP, config: ProbeConfig, recipients: list[str], probe: Probe, *, use_tls: bool
) -> None:
    await client.ehlo()
    probe.tls = use_tls and client.supports_extension("starttls")
    if probe.tls:
        await client.starttls()
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
        result = Probe()
        try:
            client = await _open(ip, config)
        except aiosmtplib.SMTPConnectResponseError as refused:
            return Probe(failure=ProbeFailure.ERROR, failure_reply=Reply(refused.code, refused.message))
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            return Probe(failure=ProbeFailure.UNREACHABLE)
        try:
            await _session(client, config, recipients, result, use_tls=use_tls)
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                await asyncio.wait_for(client.quit(), config.timeout)
            return result
        except (aiosmtplib.SMTPTimeoutError, TimeoutError):
            return Probe(failure=ProbeFailure.TIMEOUT, tls=result.tls)
        except (aiosmtplib.SMTPException, OSError) as error:
            if not result.tls:
                code = error.code if isinstance(error, aiosmtplib.SMTPResponseException) else 0
                message = error.message if isinstance(error, aiosmtplib.SMTPException) else str(error)
                return Probe(failure=ProbeFailure.ERROR, failure_reply=Reply(code, message))
        finally:
            client.close()
    return Probe(failure=ProbeFailure.ERROR, failure_reply=Reply(0, "STARTTLS failed"))
