"""SMTP out: endpoints, one-off sends and login checks, an authenticated connection per account (pooled
by mail/pool.py), and the classification of every failure into the few kinds the engine and the API act on.

Failure kinds (all `SmtpError`):
- `SmtpAuthError`: the server refused the account's credentials (or offers no AUTH): account-level.
- `SmtpSecurityError` (an `SmtpAuthError`): the connection is not as secure as the account's smtp_tls
  requires (no STARTTLS offered, or a password that would go in the clear): account-level.
- `SmtpConnectionError`: no connection, TLS failure, timeout, connection lost: try again later.
- `SmtpTemporaryError`: a 4xx reply to MAIL, RCPT or DATA (421, 451, 454...): retry with backoff.
- `SmtpPermanentError`: a 5xx reply to MAIL, RCPT or DATA (550 5.1.1...): do not retry.
Each carries `code`, `reply` and `stage` ("connect", "auth", "mail", "rcpt", "data", "dot") when known.

TLS (smtp_tls): "ssl" is implicit TLS, "starttls" requires STARTTLS (a server that does not offer it
gets neither the password nor the mail: that is what a downgrade attacker arranges), "none" is a plain
connection that never carries a password (an AUTH-less relay), "cleartext" a plain connection that may.
AUTH is sent only when the account has a password (AUTH PLAIN/LOGIN) or OAuth credentials (AUTH XOAUTH2,
mail/xoauth2.py, tried once more with a renewed token when refused); else the server must not require it.
Every step (connect and greeting, EHLO, STARTTLS, AUTH, each command) has its own deadline.

Exactly-once support: `AccountConnection.send(..., before_dot=hook)` writes DATA and the message body,
awaits `hook()` (the sender commits its row there), and only then writes the terminating "." — so a
crash before the hook returns leaves the server without a complete message. If the hook raises, the
connection is aborted without the dot. The hook may instead hand back a commit to start: it is then
written to the database in the same event-loop turn as the dot, just before it.
"""

import asyncio
import contextlib
import logging
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import aiosmtplib
from aiosmtplib.email import quote_address
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from coldsend import deadlines
from coldsend.mail import xoauth2
from coldsend.mail.tls import TlsMode

log = logging.getLogger(__name__)
T = TypeVar("T")

Stage = Literal["connect", "auth", "mail", "rcpt", "data", "dot"]

_AUTH_REQUIRED = 530
_START_INPUT = 354
_COMPLETED = 250
_WILL_FORWARD = 251
_SHUTTING_DOWN = 421
# An address `email.utils.parseaddr` returns unchanged (no display name, comment, route or quoting)
# and that cannot inject a command: it goes into MAIL FROM / RCPT TO as is.
_PLAIN_ADDRESS = re.compile(r'[^\s\x00-\x1f\x7f<>()\[\],;:"\\@]+@[^\s\x00-\x1f\x7f<>()\[\],;:"\\@]+')


class SmtpError(Exception):
    """An SMTP send or check that did not succeed."""

    def __init__(self, message: str, *, code: int | None = None, stage: Stage | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reply = message
        self.stage = stage


class SmtpAuthError(SmtpError):
    """The account's credentials were refused: nothing sent from it can succeed until it is fixed."""


class SmtpSecurityError(SmtpAuthError):
    """The account's TLS rule forbids going on: nothing can be sent from it until it is fixed."""


class SmtpConnectionError(SmtpError):
    """The server could not be reached or the connection broke; nothing says the message is wrong."""


class SmtpTemporaryError(SmtpError):
    """A 4xx reply: the server asks to try again later."""


class SmtpPermanentError(SmtpError):
    """A 5xx reply to the sender, a recipient or the message: retrying will not help."""


class UnconfirmedError(SmtpConnectionError):
    """The whole message was written but no reply came: it may or may not have been delivered."""


class NotCommitted(Exception):
    """`before_dot` failed: the connection was cut without the final dot, so nothing was delivered."""


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


def _reply_error(code: int, message: str, stage: Stage) -> SmtpError:
    text = f"{code} {message}".strip()
    if stage == "mail" and code == _AUTH_REQUIRED:
        return SmtpAuthError(
            f"{text} (the server requires AUTH: give the account SMTP credentials)", code=code, stage=stage
        )
    if 400 <= code < 500:
        return SmtpTemporaryError(text, code=code, stage=stage)
    return SmtpPermanentError(text, code=code, stage=stage)


def classify(error: BaseException, stage: Stage) -> SmtpError:
    """Map an aiosmtplib/OS error raised at `stage` to one of the SmtpError kinds."""
    if isinstance(error, SmtpError):
        return error
    if isinstance(error, xoauth2.TokenRefused):
        return SmtpAuthError(str(error), stage="auth")
    if isinstance(error, xoauth2.TokenUnavailable):
        return SmtpConnectionError(str(error), stage="auth")
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return SmtpAuthError(f"{error.code} {error.message}", code=error.code, stage="auth")
    if isinstance(error, aiosmtplib.SMTPConnectResponseError):
        return SmtpConnectionError(f"{error.code} {error.message}", code=error.code, stage="connect")
    if isinstance(error, aiosmtplib.SMTPResponseException) and not isinstance(
        error, aiosmtplib.SMTPHeloError
    ):
        return _reply_error(error.code, error.message, stage)
    if isinstance(error, aiosmtplib.SMTPHeloError):
        return SmtpConnectionError(f"{error.code} {error.message}", code=error.code, stage="connect")
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        first = error.recipients[0]
        return _reply_error(first.code, first.message, "rcpt")
    if stage == "auth" and isinstance(error, aiosmtplib.SMTPException):
        return SmtpAuthError(str(error), stage="auth")  # e.g. the server offers no AUTH at all
    if isinstance(error, aiosmtplib.SMTPException | OSError | ssl.SSLError | asyncio.TimeoutError):
        return SmtpConnectionError(f"{type(error).__name__}: {error}", stage=stage)
    raise error


def _client(endpoint: SmtpEndpoint) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(
        hostname=endpoint.host,
        port=endpoint.port,
        local_hostname=endpoint.helo_name,
        timeout=endpoint.timeout,
        use_tls=endpoint.security == "ssl",
        start_tls=False,  # upgraded by _secure(), which refuses to go on without it
        cert_bundle=endpoint.ca_file,
    )


@dataclass(frozen=True)
class Accepted:
    """The server's final reply to an accepted message, and recipients other than the first it refused."""

    reply: str
    refused: dict[str, str]


StartCommit = Callable[[], "asyncio.Future[object]"]
# Runs once the body is written: either commits itself (and returns None), or prepares a commit and
# returns `StartCommit`, which the transport runs alongside the final dot (see _commit_alongside_dot).
BeforeDot = Callable[[], Awaitable[StartCommit | None]]


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
        smtp = _client(self.endpoint)
        stage: Stage = "connect"
        try:
            await _within(self.endpoint, "connect", smtp.connect())
            await _within(self.endpoint, "EHLO", smtp._ehlo_or_helo_if_needed())
            await _secure(smtp, self.endpoint)
            if self.endpoint.password or self.endpoint.oauth2 is not None:
                stage = "auth"
                _check_auth_allowed(smtp, self.endpoint)
                await _log_in(smtp, self.endpoint)
        except Exception as error:
            smtp.close()
            raise classify(error, stage) from error
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
                reply = await _data(smtp, message, before_dot)
                return Accepted(reply=reply, refused=refused)
            except NotCommitted:
                self.close()
                raise
            except Exception as error:
                await self._after_failure(smtp, error)
                raise classify(error, stage) from error
            except BaseException:
                _abort(smtp)  # cancelled mid-transaction: the session's state is unknown
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
            _abort(smtp)
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


async def _secure(smtp: aiosmtplib.SMTP, endpoint: SmtpEndpoint) -> None:
    """STARTTLS when the account requires it; a server that does not offer it gets nothing more."""
    if endpoint.security != "starttls":
        return
    if not smtp.supports_extension("starttls"):
        raise SmtpSecurityError(
            f"the server {endpoint.host}:{endpoint.port} offers no STARTTLS, and smtp_tls requires it: "
            'nothing was sent in the clear (use port 465 with smtp_tls "ssl", or, only on a trusted '
            'network, smtp_tls "none" for a relay without AUTH or "cleartext" to send the password '
            "in the clear)",
            stage="connect",
        )
    await _within(endpoint, "STARTTLS", smtp.starttls())
    await _within(endpoint, "EHLO", smtp._ehlo_or_helo_if_needed())  # the extensions offered over TLS


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


def _abort(smtp: aiosmtplib.SMTP) -> None:
    transport = smtp.transport
    if isinstance(transport, asyncio.Transport):
        transport.abort()


async def _flushed(smtp: aiosmtplib.SMTP) -> None:
    """Wait until the body has left the process for the kernel: a commit must never precede it, or a
    crash could lose bytes the row already counts as written."""
    transport = smtp.transport
    while isinstance(transport, asyncio.WriteTransport) and not transport.is_closing():
        if transport.get_write_buffer_size() == 0:
            return
        await asyncio.sleep(0.001)


async def _commit_alongside_dot(smtp: aiosmtplib.SMTP, start_commit: StartCommit) -> None:
    """Start the commit and write the dot in the same turn of the event loop, commit first.

    `start_commit()` returns a new task whose first step writes the commit to the database socket;
    the dot is written by the callback queued right behind that step. A SIGKILL can then only fall in
    the microseconds between two socket writes, instead of the whole wait for the database's reply.
    """
    protocol = smtp.protocol
    assert protocol is not None
    commit = start_commit()
    dot_written = False

    def write_dot() -> None:
        nonlocal dot_written
        if commit.done() or not protocol.is_connected:
            return  # the commit failed before it reached the database: no dot
        protocol._response_pending = True
        protocol.write(b".\r\n")
        dot_written = True

    asyncio.get_running_loop().call_soon(write_dot)
    try:
        await commit
    except BaseException as error:
        if not dot_written:
            _abort(smtp)
            raise NotCommitted(f"not committed: {error!r}") from error
        raise UnconfirmedError(f"the dot went out but the commit failed: {error!r}", stage="dot") from error
    if not dot_written:
        _abort(smtp)
        raise NotCommitted("the connection closed before the final dot")


async def _data(smtp: aiosmtplib.SMTP, message: bytes, before_dot: BeforeDot | None) -> str:
    """DATA, the body, `before_dot()`, then the final dot: aiosmtplib's `data()` split at the dot."""
    protocol = smtp.protocol
    if protocol is None or protocol._command_lock is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    body = PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message))
    async with protocol._command_lock:
        protocol._response_pending = True
        protocol.write(b"DATA\r\n")
        start = await protocol.read_response(timeout=smtp.timeout)
        if start.code != _START_INPUT:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        protocol.write(body)
        start_commit: StartCommit | None = None
        if before_dot is not None:
            try:
                await _flushed(smtp)
                start_commit = await before_dot()
            except BaseException as error:
                _abort(smtp)
                raise NotCommitted(f"not committed: {error!r}") from error
        if start_commit is not None:
            await _commit_alongside_dot(smtp, start_commit)
        else:
            protocol._response_pending = True
            protocol.write(b".\r\n")
        try:
            response = await protocol.read_response(timeout=smtp.timeout)
        except aiosmtplib.SMTPException as error:
            raise UnconfirmedError(f"no reply to the final dot: {error}", stage="dot") from error
        if response.code != _COMPLETED:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
    return f"{response.code} {response.message}"


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
