"""IMAP in: reaching an account's mailbox (implicit TLS, STARTTLS, or plain) and logging in.

TLS (imap_tls): "ssl" is implicit TLS, "starttls" requires STARTTLS (no LOGIN to a server that does not
offer it: that is what a downgrade attacker arranges), "cleartext" logs in over a plain connection, and
"none" (plain, never a password) cannot log in at all. Every step (connect, greeting, STARTTLS, LOGIN,
each later command) has its own deadline, so a peer that stalls or answers garbage cannot hold a caller.

Failure kinds: `ImapAuthError` (the server refused the credentials), `ImapSecurityError` (the
connection is not as secure as imap_tls requires) and `ImapConnectionError` (no connection, TLS
failure, timeout, or a server that does not speak IMAP).
"""

import asyncio
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import aioimaplib  # type: ignore[import-untyped]

from coldsend import deadlines
from coldsend.mail.tls import TlsMode

_OK = "OK"
T = TypeVar("T")


class ImapError(Exception):
    """An IMAP connection or login that did not succeed."""


class ImapAuthError(ImapError):
    """The server refused the account's credentials."""


class ImapConnectionError(ImapError):
    """The server could not be reached, the TLS handshake failed, or it did not answer as IMAP."""


class ImapSecurityError(ImapError):
    """imap_tls forbids logging in over this connection: nothing was sent in the clear."""


@dataclass(frozen=True)
class ImapEndpoint:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: TlsMode = "ssl"  # see the module docstring
    timeout: float = 30.0
    ca_file: str | None = None  # extra CA bundle to trust (self-hosted servers, tests)

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        return context


TLS_MODES = ("ssl", "starttls", "none", "cleartext")


async def within(endpoint: ImapEndpoint, step: str, awaitable: Awaitable[T]) -> T:
    """One protocol step under its own deadline (aioimaplib's own timeout does not cover a peer that
    answers, but not as IMAP)."""
    try:
        return await deadlines.within(awaitable, endpoint.timeout)
    except TimeoutError as error:
        where = f"{endpoint.host}:{endpoint.port}"
        raise ImapConnectionError(f"{step}: no answer from {where} within {endpoint.timeout:g} s") from error


def _text(lines: list[bytes]) -> str:
    return " ".join(line.decode(errors="replace") for line in lines if line).strip()


async def _start_tls(client: aioimaplib.IMAP4, endpoint: ImapEndpoint) -> None:
    """aioimaplib has no STARTTLS: send the command, then upgrade the protocol's transport in place."""
    protocol = client.protocol
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await within(endpoint, "STARTTLS", protocol.execute(command))
    if response.result != _OK:
        raise ImapSecurityError(f"STARTTLS refused: {_text(response.lines)}")
    transport = await within(
        endpoint,
        "TLS handshake",
        asyncio.get_running_loop().start_tls(
            protocol.transport,
            protocol,
            endpoint.tls_context(),
            server_hostname=endpoint.host,
            ssl_handshake_timeout=endpoint.timeout,
        ),
    )
    protocol.transport = transport
    await within(endpoint, "CAPABILITY", protocol.capability())


def _check_login_allowed(client: aioimaplib.IMAP4, endpoint: ImapEndpoint) -> None:
    where = f"{endpoint.host}:{endpoint.port}"
    if endpoint.security == "none":
        raise ImapSecurityError(
            'imap_tls is "none": the password is never sent over a plain connection (use ssl or '
            'starttls, or, only on a trusted network, imap_tls "cleartext")'
        )
    if endpoint.security == "starttls" and not client.has_capability("STARTTLS"):
        raise ImapSecurityError(
            f"the server {where} offers no STARTTLS, and imap_tls requires it: the password was not sent "
            '(use port 993 with imap_tls "ssl", or, only on a trusted network, imap_tls "cleartext")'
        )


async def connect(endpoint: ImapEndpoint) -> aioimaplib.IMAP4:
    """A logged-in client; the caller logs out. Raises an ImapError kind."""
    if endpoint.security == "ssl":
        client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
            host=endpoint.host,
            port=endpoint.port,
            timeout=endpoint.timeout,
            ssl_context=endpoint.tls_context(),
        )
    else:
        client = aioimaplib.IMAP4(host=endpoint.host, port=endpoint.port, timeout=endpoint.timeout)
    try:
        await within(endpoint, "connect and greeting", client.wait_hello_from_server())
        _check_login_allowed(client, endpoint)
        if endpoint.security == "starttls":
            await _start_tls(client, endpoint)
        response = await within(endpoint, "LOGIN", client.login(endpoint.username, endpoint.password))
    except ImapError:
        _close(client)
        raise
    except (OSError, TimeoutError, ssl.SSLError, aioimaplib.Error, aioimaplib.Abort) as error:
        _close(client)
        raise ImapConnectionError(f"{type(error).__name__}: {error}".rstrip(": ")) from error
    if response.result != _OK:
        _close(client)
        raise ImapAuthError(f"LOGIN {response.result}: {_text(response.lines)}")
    return client


def _close(client: aioimaplib.IMAP4) -> None:
    transport = client.protocol.transport if client.protocol else None
    if transport is not None:
        transport.close()


async def check_login(endpoint: ImapEndpoint) -> None:
    """Connect (with TLS as configured), log in and log out; raises an ImapError kind when that fails."""
    client = await connect(endpoint)
    try:
        await within(endpoint, "LOGOUT", client.logout())
    except (ImapError, OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort):
        pass  # logged in is what was asked; a server that hangs up on LOGOUT changes nothing
    finally:
        _close(client)
