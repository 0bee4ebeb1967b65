"""IMAP in: reaching an account's mailbox (implicit TLS, STARTTLS when offered, or plain) and logging in.

Failure kinds: `ImapAuthError` (the server refused the credentials) and `ImapConnectionError` (no
connection, TLS failure, timeout, or a server that does not speak IMAP).
"""

import asyncio
import ssl
from dataclasses import dataclass, field

import aioimaplib  # type: ignore[import-untyped]

from coldsend.mail.tls import TlsMode

_OK = "OK"


class ImapError(Exception):
    """An IMAP connection or login that did not succeed."""


class ImapAuthError(ImapError):
    """The server refused the account's credentials."""


class ImapConnectionError(ImapError):
    """The server could not be reached, the TLS handshake failed, or it did not answer as IMAP."""


@dataclass(frozen=True)
class ImapEndpoint:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: TlsMode = "ssl"  # "starttls" upgrades when the server offers it
    timeout: float = 30.0
    ca_file: str | None = None  # extra CA bundle to trust (self-hosted servers, tests)

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        return context


def _text(lines: list[bytes]) -> str:
    return " ".join(line.decode(errors="replace") for line in lines if line).strip()


async def _start_tls(client: aioimaplib.IMAP4, endpoint: ImapEndpoint) -> None:
    """aioimaplib has no STARTTLS: send the command, then upgrade the protocol's transport in place."""
    protocol = client.protocol
    command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
    response = await asyncio.wait_for(protocol.execute(command), endpoint.timeout)
    if response.result != _OK:
        raise ImapConnectionError(f"STARTTLS refused: {_text(response.lines)}")
    transport = await asyncio.get_running_loop().start_tls(
        protocol.transport,
        protocol,
        endpoint.tls_context(),
        server_hostname=endpoint.host,
        ssl_handshake_timeout=endpoint.timeout,
    )
    protocol.transport = transport
    await asyncio.wait_for(protocol.capability(), endpoint.timeout)


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
        await client.wait_hello_from_server()
        if endpoint.security == "starttls" and client.has_capability("STARTTLS"):
            await _start_tls(client, endpoint)
    except ImapError:
        _close(client)
        raise
    except (OSError, TimeoutError, ssl.SSLError, aioimaplib.Error, aioimaplib.Abort) as error:
        _close(client)
        raise ImapConnectionError(f"{type(error).__name__}: {error}".rstrip(": ")) from error
    try:
        response = await client.login(endpoint.username, endpoint.password)
    except (OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort) as error:
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
        await client.logout()
    except (OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort):
        pass  # logged in is what was asked; a server that hangs up on LOGOUT changes nothing
    finally:
        _close(client)
