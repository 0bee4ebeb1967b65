"""DATA split at the final dot: what the exactly-once senders build on.

Exactly-once support: `AccountConnection.send(..., before_dot=hook)` writes DATA and the message body,
awaits `hook(write_dot)` (the sender commits its row there), and only then writes the terminating "." —
so a crash before the commit leaves the server without a complete message. A hook that commits itself
calls `write_dot()` the instant its commit returns, so that no later step (a connection going back to its
pool, a lock released, a task woken) widens the gap in which a crash would lose a committed message. If
the hook raises before the dot, the connection is aborted without it. The hook may instead hand back a
commit to start: it is then written to the database in the same event-loop turn as the dot, just before.
"""

import asyncio
from collections.abc import Awaitable, Callable

import aiosmtplib
from aiosmtplib.protocol import PERIOD_REGEX, SMTPProtocol, normalize_message_line_endings

from coldsend.mail.smtp_errors import SmtpConnectionError

_START_INPUT = 354
_COMPLETED = 250


class UnconfirmedError(SmtpConnectionError):
    """The whole message was written but no reply came: it may or may not have been delivered."""


class NotCommitted(Exception):
    """`before_dot` failed: the connection was cut without the final dot, so nothing was delivered."""


StartCommit = Callable[[], "asyncio.Future[object]"]
# Writes the final dot now (once; later calls do nothing).
WriteDot = Callable[[], None]
# Runs once the body is written: either commits itself (calling `write_dot` as soon as the commit is
# stored, or leaving the dot to the transport) and returns None, or prepares a commit and returns
# `StartCommit`, which the transport runs alongside the final dot (see _commit_alongside_dot).
BeforeDot = Callable[[WriteDot], Awaitable[StartCommit | None]]


class _FinalDot:
    def __init__(self, protocol: SMTPProtocol) -> None:
        self.protocol = protocol
        self.written = False

    def write(self) -> None:
        if not self.written:
            self.written = True
            self.protocol._response_pending = True
            self.protocol.write(b".\r\n")


def abort(smtp: aiosmtplib.SMTP) -> None:
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


async def _commit_alongside_dot(smtp: aiosmtplib.SMTP, dot: _FinalDot, start_commit: StartCommit) -> None:
    """Start the commit and write the dot in the same turn of the event loop, commit first.

    `start_commit()` returns a new task whose first step writes the commit to the database socket;
    the dot is written by the callback queued right behind that step. A SIGKILL can then only fall in
    the microseconds between two socket writes, instead of the whole wait for the database's reply.
    """
    protocol = smtp.protocol
    assert protocol is not None
    commit = start_commit()

    def write_dot() -> None:
        if commit.done() or not protocol.is_connected:
            return  # the commit failed before it reached the database: no dot
        dot.write()

    asyncio.get_running_loop().call_soon(write_dot)
    try:
        await commit
    except BaseException as error:
        if not dot.written:
            abort(smtp)
            raise NotCommitted(f"not committed: {error!r}") from error
        raise UnconfirmedError(f"the dot went out but the commit failed: {error!r}", stage="dot") from error
    if not dot.written:
        abort(smtp)
        raise NotCommitted("the connection closed before the final dot")


async def data(smtp: aiosmtplib.SMTP, message: bytes, before_dot: BeforeDot | None) -> str:
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
        dot = _FinalDot(protocol)
        start_commit: StartCommit | None = None
        if before_dot is not None:
            try:
                await _flushed(smtp)
                start_commit = await before_dot(dot.write)
            except BaseException as error:
                if dot.written:
                    raise UnconfirmedError(f"the dot went out, then: {error!r}", stage="dot") from error
                abort(smtp)
                raise NotCommitted(f"not committed: {error!r}") from error
        if start_commit is not None:
            await _commit_alongside_dot(smtp, dot, start_commit)
        else:
            dot.write()
        try:
            response = await protocol.read_response(timeout=smtp.timeout)
        except aiosmtplib.SMTPException as error:
            raise UnconfirmedError(f"no reply to the final dot: {error}", stage="dot") from error
        if response.code != _COMPLETED:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
    return f"{response.code} {response.message}"
