"""IMAP: the one client for an account's mailbox. Logging in (implicit TLS, STARTTLS, or plain), then
`Mailbox`, one logged-in session: capabilities, folders with their RFC 6154 special-use flags (the spam
folder: `\\Junk`, else a usual name), creating a folder, select, search (by header too), fetch, reading
as a mail client does, flags, move and append.

TLS (imap_tls): "ssl" is implicit TLS, "starttls" requires STARTTLS (no LOGIN to a server that does not
offer it: that is what a downgrade attacker arranges), "cleartext" logs in over a plain connection, and
"none" (plain, never a password) cannot log in at all. Every step (connect, greeting, STARTTLS, LOGIN,
each later command) has its own deadline, so a peer that stalls or answers garbage cannot hold a caller.
An endpoint with OAuth credentials logs in with AUTHENTICATE XOAUTH2 instead of LOGIN (mail/xoauth2.py:
once more, with a renewed token, when the server refuses the first).

Failure kinds: `ImapAuthError` (the server refused the credentials), `ImapSecurityError` (the
connection is not as secure as imap_tls requires) and `ImapConnectionError` (no connection, TLS
failure, timeout, or a server that does not speak IMAP).
"""

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

import aioimaplib  # type: ignore[import-untyped]

from coldsend import deadlines
from coldsend.mail import xoauth2
from coldsend.mail.imap_folders import JUNK_NAMES as JUNK_NAMES
from coldsend.mail.imap_folders import SPECIAL_USE_FLAGS as SPECIAL_USE_FLAGS
from coldsend.mail.imap_folders import Folder as Folder
from coldsend.mail.imap_folders import junk_folder as junk_folder
from coldsend.mail.imap_folders import parse_folder, quoted
from coldsend.mail.tls import TlsMode

_OK = "OK"
T = TypeVar("T")

FETCH_CHUNK = 50
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field-name characters


class ImapError(Exception):
    """An IMAP connection or login that did not succeed."""


class ImapAuthError(ImapError):
    """The server refused the account's credentials."""


class ImapConnectionError(ImapError):
    """The server could not be reached, the TLS handshake failed, or it did not answer as IMAP."""


class ImapSecurityError(ImapError):
    """imap_tls forbids logging in over this connection: nothing was sent in the clear."""


class MailboxError(ImapError):
    """The server answered a command with NO or BAD."""


@dataclass(frozen=True)
class ImapEndpoint:
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    security: TlsMode = "ssl"  # see the module docstring
    timeout: float = 30.0
    ca_file: str | None = None  # extra CA bundle to trust (self-hosted servers, tests)
    oauth2: xoauth2.OAuth2 | None = None  # AUTHENTICATE XOAUTH2 as `username` instead of LOGIN

    def tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        return context


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
        await _log_in(client, endpoint)
    except ImapError:
        _close(client)
        raise
    except xoauth2.TokenRefused as error:
        _close(client)
        raise ImapAuthError(str(error)) from error
    except (
        OSError,
        TimeoutError,
        ssl.SSLError,
        aioimaplib.Error,
        aioimaplib.Abort,
        xoauth2.TokenError,
    ) as error:
        _close(client)
        raise ImapConnectionError(f"{type(error).__name__}: {error}".rstrip(": ")) from error
    return client


async def _log_in(client: aioimaplib.IMAP4, endpoint: ImapEndpoint) -> None:
    """LOGIN with the password, or XOAUTH2 with the token, then once more with a renewed one if refused."""
    if endpoint.oauth2 is None:
        response = await within(endpoint, "LOGIN", client.login(endpoint.username, endpoint.password))
        if response.result != _OK:
            raise ImapAuthError(f"LOGIN {response.result}: {_text(response.lines)}")
        return
    if not client.has_capability("AUTH=XOAUTH2"):
        raise ImapAuthError(f"the server {endpoint.host}:{endpoint.port} offers no AUTHENTICATE XOAUTH2")
    token = await endpoint.oauth2.first()
    response = await within(endpoint, "AUTHENTICATE", _xoauth2(client, endpoint.username, token))
    if response.result != _OK:
        renewed = await endpoint.oauth2.after_refusal(token)
        if renewed is not None:
            response = await within(endpoint, "AUTHENTICATE", _xoauth2(client, endpoint.username, renewed))
    if response.result != _OK:
        raise ImapAuthError(f"AUTHENTICATE XOAUTH2 {response.result}: {_text(response.lines[-1:])}")


class _SaslCommand(aioimaplib.Command):  # type: ignore[misc]
    """AUTHENTICATE with an initial response. A refusal comes first as a continuation carrying the
    error (XOAUTH2's JSON), which the client must answer, empty, to get the tagged NO."""

    def __init__(self, protocol: aioimaplib.IMAP4ClientProtocol, mechanism: str, response: str) -> None:
        super().__init__("AUTHENTICATE", protocol.new_tag(), mechanism, response, loop=protocol.loop)
        self.protocol = protocol

    def append_to_resp(self, line: bytes, result: str = "Pending") -> None:
        if result == "Pending" and line.startswith(b"+"):
            self.protocol.transport.write(b"\r\n")
        super().append_to_resp(line, result)


async def _xoauth2(client: aioimaplib.IMAP4, username: str, token: str) -> aioimaplib.Response:
    """aioimaplib's own `xoauth2` neither answers that continuation nor keeps the token out of its debug
    log (it scrubs the raw token, which is not what goes over the wire)."""
    protocol = client.protocol
    response = xoauth2.initial_response(username, token)
    async with protocol.state_condition:
        result = await protocol.execute(_SaslCommand(protocol, "XOAUTH2", response), scrub=response)
        if result.result == _OK:
            protocol.state = aioimaplib.AUTH
        protocol.state_condition.notify_all()
    return result


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


@dataclass(frozen=True, slots=True)
class Fetched:
    uid: int
    raw: bytes  # the whole message, or its header only when `truncated`
    truncated: bool = False


@dataclass(frozen=True, slots=True)
class NewMail:
    """What a read found: the mailbox's UIDVALIDITY and the UIDs after the cursor, oldest first."""

    uid_validity: int
    uids: list[int]


def _check(response: aioimaplib.Response, command: str) -> list[bytes]:
    if response.result != _OK:
        text = b" ".join(bytes(line) for line in response.lines).decode(errors="replace")
        raise MailboxError(f"{command} {response.result}: {text}")
    return [bytes(line) for line in response.lines]


class Mailbox:
    """One logged-in IMAP session; use as `async with Mailbox(endpoint) as mailbox`. Reads use BODY.PEEK,
    so reading never marks a message seen; only `store_flags`, `move` and `append` change the mailbox."""

    def __init__(self, endpoint: ImapEndpoint) -> None:
        self.endpoint = endpoint
        self.client: aioimaplib.IMAP4 | None = None

    async def __aenter__(self) -> "Mailbox":
        self.client = await connect(self.endpoint)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            await within(self.endpoint, "LOGOUT", client.logout())
        except (ImapError, OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort):
            pass  # the work is done; a server that hangs up on LOGOUT changes nothing
        finally:
            _close(client)

    def _client(self) -> aioimaplib.IMAP4:
        assert self.client is not None, "use Mailbox as an async context manager"
        return self.client

    async def _run(self, command: str, pending: Awaitable[aioimaplib.Response]) -> list[bytes]:
        try:
            response = await within(self.endpoint, command, pending)
        except (OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort) as error:
            raise ImapConnectionError(f"{command}: {type(error).__name__}: {error}") from error
        return _check(response, command)

    def has_capability(self, name: str) -> bool:
        return bool(self._client().has_capability(name.upper()))

    def capabilities(self) -> frozenset[str]:
        return frozenset(self._client().protocol.capabilities)

    async def folders(self) -> list[Folder]:
        """Every folder (LIST "" "*"), with its flags, special-use ones included."""
        lines = await self._run("LIST", self._client().list('""', "*"))
        return [folder for line in lines if (folder := parse_folder(line)) is not None]

    async def select(self, folder: str = "INBOX") -> int:
        """Select a folder; its UIDVALIDITY."""
        lines = await self._run("SELECT", self._client().select(quoted(folder)))
        found = next((match for line in lines if (match := _UIDVALIDITY.search(line))), None)
        if found is None:
            raise MailboxError(f"SELECT {folder} gave no UIDVALIDITY")
        return int(found.group(1))

    async def search(self, *criteria: str) -> list[int]:
        """UID SEARCH in the selected folder: the UIDs found, in ascending order."""
        lines = await self._run("SEARCH", self._client().uid_search(*criteria))
        return sorted({int(word) for word in b" ".join(lines[:-1]).split() if word.isdigit()})

    async def new_mail(self, *, uid_validity: int | None, after_uid: int, since: date) -> NewMail:
        """The INBOX UIDs to read: those after `after_uid` when the mailbox's UIDVALIDITY is still
        `uid_validity`; else (first read, or the server renumbered the mailbox) those since `since`."""
        current = await self.select("INBOX")
        if current == uid_validity:
            # "n:*" always matches the newest message, even below n: filter on our side.
            uids = await self.search(f"UID {after_uid + 1}:*")
            floor = after_uid
        else:
            uids = await self.search(f"SINCE {since.strftime('%d-%b-%Y')}")
            floor = 0
        return NewMail(uid_validity=current, uids=[uid for uid in uids if uid > floor])

    async def fetch(self, uids: Sequence[int], *, max_bytes: int) -> AsyncIterator[Fetched]:
        """The messages of the selected folder, in UID order, a chunk at a time; one larger than
        `max_bytes` by its header only, which is enough to thread it."""
        client = self._client()
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            sizes = _sizes(
                await self._run("FETCH", client.uid("fetch", _uid_set(chunk), "(UID RFC822.SIZE)"))
            )
            whole = [uid for uid in chunk if sizes.get(uid, 0) <= max_bytes]
            headers = [uid for uid in chunk if sizes.get(uid, 0) > max_bytes]
            fetched: dict[int, Fetched] = {}
            if whole:
                reply = await self._run("FETCH", client.uid("fetch", _uid_set(whole), "(UID BODY.PEEK[])"))
                for uid, raw in _literals(reply):
                    fetched[uid] = Fetched(uid=uid, raw=raw)
            if headers:
                reply = await self._run(
                    "FETCH", client.uid("fetch", _uid_set(headers), "(UID BODY.PEEK[HEADER])")
                )
                for uid, raw in _literals(reply):
                    fetched[uid] = Fetched(uid=uid, raw=raw, truncated=True)
            for uid in chunk:
                if uid in fetched:  # expunged since the search: nothing to read
                    yield fetched[uid]

    async def store_flags(self, uids: Sequence[int], flags: Iterable[str], *, add: bool = True) -> None:
        """Add (or with `add=False` remove) flags on messages of the selected folder."""
        if not uids:
            return
        action = "+FLAGS.SILENT" if add else "-FLAGS.SILENT"
        flag_list = f"({' '.join(flags)})"
        await self._run("STORE", self._client().uid("store", _uid_set(uids), action, flag_list))

    async def move(self, uids: Sequence[int], folder: str) -> None:
        """Move messages of the selected folder: MOVE (RFC 6851) when the server has it, else COPY, then
        \\Deleted and an expunge of those messages only (UID EXPUNGE) or, without UIDPLUS, of the folder."""
        if not uids:
            return
        if self.has_capability("MOVE"):
            await self._run("MOVE", self._client().uid("move", _uid_set(uids), quoted(folder)))
            return
        await self.copy_and_expunge(uids, folder)

    async def copy_and_expunge(self, uids: Sequence[int], folder: str) -> None:
        """`move` for a server without MOVE."""
        client = self._client()
        await self._run("COPY", client.uid("copy", _uid_set(uids), quoted(folder)))
        await self.store_flags(uids, ["\\Deleted"])
        if self.has_capability("UIDPLUS"):
            await self._run("EXPUNGE", client.uid("expunge", _uid_set(uids)))
        else:
            await self._run("EXPUNGE", client.expunge())

    async def append(self, message: bytes, folder: str = "INBOX", flags: Iterable[str] = ()) -> None:
        """Add a message to a folder, e.g. a sent message to the \\Sent one."""
        flag_list = " ".join(flags)
        pending = self._client().append(
            message, mailbox=quoted(folder), flags=f"({flag_list})" if flag_list else None
        )
        await self._run("APPEND", pending)

    # --- folders and reads for warmup --------------------------------------------------------------
    async def junk_folder(self) -> str | None:
        """The spam folder: the one flagged `\\Junk` (RFC 6154), else one with a usual name; None if
        neither is there."""
        return junk_folder(await self.folders())

    async def ensure_folder(self, name: str) -> None:
        """Create the folder unless it exists."""
        if any(folder.name == name for folder in await self.folders()):
            return
        await self._run("CREATE", self._client().create(quoted(name)))

    async def search_headers(self, matches: Sequence[tuple[str, str]]) -> list[int]:
        """UIDs in the selected folder with any of the (field, text) headers; an empty text matches
        every message that has the field. Nested ORs, a bounded number at a time."""
        found: set[int] = set()
        for start in range(0, len(matches), HEADER_SEARCH_CHUNK):
            chunk = matches[start : start + HEADER_SEARCH_CHUNK]
            terms = [f"HEADER {_field(name)} {quoted(text)}" for name, text in chunk]
            criteria = terms[-1]
            for term in reversed(terms[:-1]):
                criteria = f"OR {term} {criteria}"
            found.update(await self.search(criteria))
        return sorted(found)

    async def read(self, uids: Sequence[int]) -> None:
        """Open messages as a mail client does (FETCH BODY[], not PEEK), which marks them seen."""
        if uids:
            await self._run("FETCH", self._client().uid("fetch", _uid_set(uids), "(UID BODY[])"))


HEADER_SEARCH_CHUNK = 50


def _field(name: str) -> str:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"not a header field name: {name!r}")
    return name


def _uid_set(uids: Sequence[int]) -> str:
    return ",".join(str(uid) for uid in uids)


def _sizes(lines: list[bytes]) -> dict[int, int]:
    sizes: dict[int, int] = {}
    for line in lines:
        uid, size = _UID.search(line), _SIZE.search(line)
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _literals(lines: list[bytes]) -> list[tuple[int, bytes]]:
    """(UID, literal) of each FETCH response: aioimaplib gives the line opening a response, the literal,
    then the rest of the response (where a server may have put the UID instead)."""
    found: list[tuple[int, bytes]] = []
    index = 0
    while index + 1 < len(lines):
        line = lines[index]
        if not line.rstrip().endswith(b"}"):
            index += 1
            continue
        literal = lines[index + 1]
        after = lines[index + 2] if index + 2 < len(lines) else b""
        uid = _UID.search(line) or _UID.search(after)
        if uid is not None:
            found.append((int(uid.group(1)), literal))
        index += 2  # past the literal, which may itself end in "}"
    return found
