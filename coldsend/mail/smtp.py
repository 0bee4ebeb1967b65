"""SMTP out: endpoints, one-off sends and login checks, an authenticated connection per account (pooled
by mail/pool.py), and `open_session`, the connection, EHLO and STARTTLS under deadlines that the
verification probe shares. Every failure is one of the few kinds in `smtp_errors` (re-exported here), which
the engine and the API act on.

TLS (smtp_tls): "ssl" is implicit TLS, "starttls" requires STARTTLS (a server that does not offer it
gets neither the password nor the mail: that is what a downgrade attacker arranges), "none" is a plain
connection that never carries a password (an AUTH-less relay), "cleartext" a plain connection that may.
AUTH is sent only when the account has a password (AUTH PLAIN/LOGIN) or OAuth credentials (AUTH XOAUTH2,
mail/xoauth2.py, tried once more with a renewed token when refused); else the server must not require it.
Every step (connect and greeting, EHLO, STARTTLS, AUTH, each command) has its own deadline.

Exactly-once support (`before_dot`, the final dot written only after a commit): see mail/smtp_data.py.
"""

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import aiosmtplib
from aiosmtplib.email import quote_address

from coldsend import deadlines
from coldsend.mail import xoauth2

# The final dot's kit, re-exported: callers import it from here.
from coldsend.mail.smtp_data import BeforeDot as BeforeDot
from coldsend.mail.smtp_data import NotCommitted as NotCommitted
from coldsend.mail.smtp_data import StartCommit as StartCommit
from coldsend.mail.smtp_data import UnconfirmedError as UnconfirmedError
from coldsend.mail.smtp_data import WriteDot as WriteDot
from coldsend.mail.smtp_data import abort, data

# The failure kinds, re-exported: callers import them from here.
from coldsend.mail.smtp_errors import SmtpAuthError as SmtpAuthError
from coldsend.mail.smtp_errors import SmtpConnectionError as SmtpConnectionError
from coldsend.mail.smtp_errors import SmtpError as SmtpError
from coldsend.mail.smtp_errors import SmtpPermanentError as SmtpPermanentError
from coldsend.mail.smtp_errors import SmtpSecurityError as SmtpSecurityError
from coldsend.mail.smtp_errors import SmtpTemporaryError as SmtpTemporaryError
from coldsend.mail.smtp_errors import Stage as Stage
from coldsend.mail.smtp_errors import classify as classify
from coldsend.mail.tls import TlsMode

log = logging.getLogger(__name__)
T = TypeVar("T")

_COMPLETED = 250
_WILL_FORWARD = 251
_SHUTTING_DOWN = 421
# An address `email.utils.parseaddr` returns unchanged (no display name, comment, route or quoting)
# and that cannot inject a command: it goes into MAIL FROM / RCPT TO as is.
_PLAIN_ADDRESS = re.compile(r'[^\s\x00-\x1f\x7f<>()\[\],;:"\\@]+@[^\s\x00-\x1f\x7f<>()\[\],;:"\\@]+')


@dataclass(frozen=True)
class SmtpEndpoint:
    """Where and how to submit mail for one account."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: TlsMode = "starttls"  # see the module docstring
    helo_name: str = "localhost"
    timeout: float = 30.0
    ca_file: str | None = None  # extra CA bundle to trust (self-hosted servers, tests)
    oauth2: xoauth2.OAuth2 | None = None  # AUTH XOAUTH2 as `username` instead of the password


StartTls = Literal["required", "offered", "never"]


class OpenFailed(Exception):
    """`open_session` could not open the session. `error` is aiosmtplib's or the OS's error, or a
    `TimeoutError` (a step's deadline, or aiosmtplib's own); `connected` says whether the server had
    greeted, `tls` whether STARTTLS had begun."""

    def __init__(self, message: str, error: Exception, *, connected: bool, tls: bool) -> None:
        super().__init__(message)
        self.error = error
        self.connected = connected
        self.tls = tls

    def classified(self) -> SmtpError:
        """The failure as one of the SmtpError kinds, at the "connect" stage (a timeout has no stage)."""
        if isinstance(self.error, TimeoutError):
            return SmtpConnectionError(str(self))
        return classify(self.error, "connect")


async def open_session(
    host: str,
    port: int,
    *,
    helo_name: str,
    timeout: float,
    connect_timeout: float | None = None,
    sock: socket.socket | None = None,
    implicit_tls: bool = False,
    starttls: StartTls = "offered",
    cert_bundle: str | None = None,
    validate_certs: bool = True,
    helo_fallback: bool = True,
) -> aiosmtplib.SMTP:
    """A session with `host:port`, or over `sock` (already connected to it, e.g. through a proxy): the
    greeting, EHLO (then HELO if the server refuses it, unless `helo_fallback` is off), STARTTLS as
    `starttls` says, and EHLO again for the extensions offered over TLS. Each step has its own deadline,
    `timeout` (`connect_timeout`, when given, for the connection and greeting).

    Raises `OpenFailed`, or `SmtpSecurityError` when STARTTLS is required and not offered; the client is
    closed then. Other errors (a bad `helo_name`) propagate as they are.
    """
    where = f"{host}:{port}"
    smtp = aiosmtplib.SMTP(
        hostname=None if sock else host,
        port=None if sock else port,
        sock=sock,
        local_hostname=helo_name,
        timeout=timeout,
        use_tls=implicit_tls,
        start_tls=False,  # upgraded below, as `starttls` says
        validate_certs=validate_certs,
        cert_bundle=cert_bundle,
    )
    step, connected, tls = "connect", False, False
    seconds = timeout if connect_timeout is None else connect_timeout
    try:
        await deadlines.within(smtp.connect(timeout=seconds), seconds)
        step, seconds, connected = "EHLO", timeout, True
        await deadlines.within(smtp._ehlo_or_helo_if_needed() if helo_fallback else smtp.ehlo(), seconds)
        offered = smtp.supports_extension("starttls")
        if starttls == "never" or (starttls == "offered" and not offered):
            return smtp
        if not offered:
            raise SmtpSecurityError(
                f"the server {where} offers no STARTTLS, and smtp_tls requires it: nothing was sent in "
                'the clear (use port 465 with smtp_tls "ssl", or, only on a trusted network, smtp_tls '
                '"none" for a relay without AUTH or "cleartext" to send the password in the clear)',
                stage="connect",
            )
        step, tls = "STARTTLS", True
        await deadlines.within(smtp.starttls(), seconds)
        step = "EHLO"
        await deadlines.within(smtp._ehlo_or_helo_if_needed(), seconds)  # the extensions offered over TLS
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        smtp.close()
        reason = f"no answer from {where} within {seconds:g} s" if isinstance(error, TimeoutError) else error
        raise OpenFailed(f"{step}: {reason}", error, connected=connected, tls=tls) from error
    except BaseException:
        smtp.close()
        raise
    return smtp


def uses_tls(smtp: aiosmtplib.SMTP) -> bool:
    """Whether the session is encrypted (implicit TLS, or STARTTLS done)."""
    return smtp.get_transport_info("sslcontext") is not None


@dataclass(frozen=True)
class Accepted:
    """The server's final reply to an accepted message, and recipients other than the first it refused."""

    reply: str
    refused: dict[str, str]


class AccountConnection:
    """One authenticated SMTP session for one account, reused across messages; one transaction at a time."""

    def __init__(self, endpoint: SmtpEndpoint) -> None:
        self.endpoint = endpoint
        self._smtp: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()
        self.last_used = time.monotonic()

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    async def _open(self) -> aiosmtplib.SMTP:
        if self._smtp is not None and self._smtp.is_connected:
            return self._smtp
        self.close()
        endpoint = self.endpoint
        try:
            smtp = await open_session(
                endpoint.host,
                endpoint.port,
                helo_name=endpoint.helo_name,
                timeout=endpoint.timeout,
                implicit_tls=endpoint.security == "ssl",
                starttls="required" if endpoint.security == "starttls" else "never",
                cert_bundle=endpoint.ca_file,
            )
        except OpenFailed as failed:
            raise failed.classified() from failed.error
        if endpoint.password or endpoint.oauth2 is not None:
            try:
                _check_auth_allowed(smtp, endpoint)
                await _log_in(smtp, endpoint)
            except Exception as error:
                smtp.close()
                raise classify(error, "auth") from error
        self._smtp = smtp
        return smtp

    async def login(self) -> None:
        async with self._lock:
            await self._open()

    async def send(
        self,
        *,
        mail_from: str,
        rcpt_to: Sequence[str],
        message: bytes,
        before_dot: BeforeDot | None = None,
        smtputf8: bool = False,
    ) -> Accepted:
        """Submit `message`; the first of `rcpt_to` must be accepted, others may be refused (reported).

        `smtputf8` asks for the SMTPUTF8 extension (addresses with a non-ASCII local part).
        """
        encoding = "utf-8" if smtputf8 else "ascii"
        async with self._lock:
            self.last_used = time.monotonic()
            smtp = await self._open()
            stage: Stage = "mail"
            try:
                sender = _envelope_address(mail_from, encoding)
                response = await _command(smtp, b"MAIL FROM:" + sender + (b" SMTPUTF8" if smtputf8 else b""))
                if response.code != _COMPLETED:
                    raise aiosmtplib.SMTPSenderRefused(response.code, response.message, mail_from)
                stage = "rcpt"
                refused: dict[str, str] = {}
                for index, recipient in enumerate(rcpt_to):
                    response = await _command(smtp, b"RCPT TO:" + _envelope_address(recipient, encoding))
                    if response.code in (_COMPLETED, _WILL_FORWARD):
                        continue
                    if index == 0:
                        raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
                    refused[recipient] = f"{response.code} {response.message}"
                stage = "data"
                reply = await data(smtp, message, before_dot)
                return Accepted(reply=reply, refused=refused)
            except NotCommitted:
                self.close()
                raise
            except Exception as error:
                await self._after_failure(smtp, error)
                raise classify(error, stage) from error
            except BaseException:
                abort(smtp)  # cancelled mid-transaction: the session's state is unknown
                self.close()
                raise

    async def _after_failure(self, smtp: aiosmtplib.SMTP, error: Exception) -> None:
        """Leave the session reusable after a refused transaction, or drop it if it may be broken."""
        if isinstance(error, aiosmtplib.SMTPResponseException) and smtp.is_connected and error.code != 421:
            try:
                await smtp.rset()
                return
            except Exception:  # noqa: S110 - any failure here just means the session is dropped below
                pass
        if not isinstance(error, aiosmtplib.SMTPResponseException):
            abort(smtp)
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    async def quit(self) -> None:
        async with self._lock:
            if self._smtp is not None and self._smtp.is_connected:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self._smtp.quit(), 2.0)
            self.close()


async def _within(endpoint: SmtpEndpoint, step: str, awaitable: Awaitable[T]) -> T:
    """One protocol step under its own deadline: a peer that stalls or trickles garbage cannot hold it."""
    try:
        return await deadlines.within(awaitable, endpoint.timeout)
    except TimeoutError as error:
        where = f"{endpoint.host}:{endpoint.port}"
        raise SmtpConnectionError(f"{step}: no answer from {where} within {endpoint.timeout:g} s") from error


def _check_auth_allowed(smtp: aiosmtplib.SMTP, endpoint: SmtpEndpoint) -> None:
    if endpoint.security == "none":
        raise SmtpSecurityError(
            'smtp_tls is "none": the password is never sent over a plain connection (remove the SMTP '
            "credentials for a relay that takes no AUTH, use STARTTLS or SSL, or set smtp_tls to "
            '"cleartext")',
            stage="auth",
        )
    if not smtp.supports_extension("auth"):
        raise SmtpAuthError(
            f"the server {endpoint.host}:{endpoint.port} offers no AUTH; remove the credentials or use "
            "port 587 with STARTTLS",
            stage="auth",
        )
    if endpoint.oauth2 is not None and "xoauth2" not in smtp.server_auth_methods:
        raise SmtpAuthError(
            f"the server {endpoint.host}:{endpoint.port} offers no AUTH XOAUTH2", stage="auth"
        )


async def _log_in(smtp: aiosmtplib.SMTP, endpoint: SmtpEndpoint) -> None:
    """AUTH with the password, or XOAUTH2 with the token, then once more with a renewed one if refused."""
    if endpoint.oauth2 is None:
        await _within(endpoint, "AUTH", smtp.login(endpoint.username, endpoint.password))
        return
    token = await endpoint.oauth2.first()
    try:
        await _within(endpoint, "AUTH", _xoauth2(smtp, endpoint.username, token))
    except aiosmtplib.SMTPAuthenticationError:
        renewed = await endpoint.oauth2.after_refusal(token)
        if renewed is None:
            raise
        await _within(endpoint, "AUTH", _xoauth2(smtp, endpoint.username, renewed))


async def _xoauth2(smtp: aiosmtplib.SMTP, username: str, token: str) -> None:
    """AUTH XOAUTH2 with the initial response; a refusal comes as a 334 error challenge, answered empty."""
    response = await smtp.execute_command(
        b"AUTH", b"XOAUTH2", xoauth2.initial_response(username, token).encode()
    )
    if response.code == 334:
        response = await smtp.execute_command(b"")
    if response.code != 235:
        raise aiosmtplib.SMTPAuthenticationError(response.code, response.message)


def _envelope_address(address: str, encoding: str) -> bytes:
    """`<address>` for MAIL FROM / RCPT TO: what aiosmtplib's `quote_address` makes of it, without its
    `parseaddr` for the plain addresses the engine sends to (validated when they were stored)."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>".encode(encoding)
    return quote_address(address).encode(encoding)


async def _command(smtp: aiosmtplib.SMTP, command: bytes) -> aiosmtplib.SMTPResponse:
    """One command and its reply, as `SMTP.execute_command` sends it, minus its per-call overhead."""
    protocol = smtp.protocol
    if protocol is None or protocol._command_lock is None:
        raise aiosmtplib.SMTPServerDisconnected("Server not connected")
    try:
        async with protocol._command_lock:
            protocol._response_pending = True
            protocol.write(command + b"\r\n")
            response = await protocol.read_response(timeout=smtp.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError):
        smtp.close()  # a half-read reply would be paired with the next command
        raise
    if response.code == _SHUTTING_DOWN:
        smtp.close()
    return response


async def check_login(endpoint: SmtpEndpoint) -> None:
    """Connect (with TLS as configured) and log in; raises an SmtpError kind when that fails."""
    connection = AccountConnection(endpoint)
    try:
        await connection.login()
    finally:
        await connection.quit()


async def send_message(
    endpoint: SmtpEndpoint, *, mail_from: str, rcpt_to: str | Sequence[str], message: bytes
) -> Accepted:
    """A one-off send on a connection of its own (test emails, vitals)."""
    connection = AccountConnection(endpoint)
    try:
        return await connection.send(
            mail_from=mail_from, rcpt_to=[rcpt_to] if isinstance(rcpt_to, str) else rcpt_to, message=message
        )
    finally:
        await connection.quit()
