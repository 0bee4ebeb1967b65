"""Reading an account's INBOX over IMAP: the messages that arrived after a cursor, never changing a flag.

Messages are fetched with BODY.PEEK (a reply stays unread in the user's mail client) in UID order, in
chunks; one larger than `max_bytes` is fetched by its header only, which is enough to thread it.
"""

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date

import aioimaplib  # type: ignore[import-untyped]

from coldsend.mail import imap

FETCH_CHUNK = 50
_OK = "OK"
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


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


class MailboxError(imap.ImapError):
    """The server answered a command with NO or BAD."""


def _check(response: aioimaplib.Response, command: str) -> list[bytes]:
    if response.result != _OK:
        text = b" ".join(bytes(line) for line in response.lines).decode(errors="replace")
        raise MailboxError(f"{command} {response.result}: {text}")
    return [bytes(line) for line in response.lines]


class Inbox:
    """One logged-in IMAP session on an account's INBOX; use as `async with Inbox(endpoint) as inbox`."""

    def __init__(self, endpoint: imap.ImapEndpoint) -> None:
        self.endpoint = endpoint
        self.client: aioimaplib.IMAP4 | None = None

    async def __aenter__(self) -> "Inbox":
        self.client = await imap.connect(self.endpoint)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            await imap.within(self.endpoint, "LOGOUT", client.logout())
        except (imap.ImapError, OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort):
            pass  # the work is done; a server that hangs up on LOGOUT changes nothing
        finally:
            transport = client.protocol.transport if client.protocol else None
            if transport is not None:
                transport.close()

    async def _run(self, command: str, *args: str) -> list[bytes]:
        assert self.client is not None, "use Inbox as an async context manager"
        try:
            if command == "SELECT":
                pending = self.client.select(*args)
            elif command == "SEARCH":
                pending = self.client.uid_search(*args)
            else:
                pending = self.client.uid(command.lower(), *args)
            response = await imap.within(self.endpoint, command, pending)
        except (OSError, TimeoutError, aioimaplib.Error, aioimaplib.Abort) as error:
            raise imap.ImapConnectionError(f"{command}: {type(error).__name__}: {error}") from error
        return _check(response, command)

    async def new_mail(self, *, uid_validity: int | None, after_uid: int, since: date) -> NewMail:
        """The UIDs to read: those after `after_uid` when the mailbox's UIDVALIDITY is still
        `uid_validity`; else (first read, or the server renumbered the mailbox) those since `since`."""
        lines = await self._run("SELECT", "INBOX")
        found = next((match for line in lines if (match := _UIDVALIDITY.search(line))), None)
        if found is None:
            raise MailboxError("SELECT INBOX gave no UIDVALIDITY")
        current = int(found.group(1))
        if current == uid_validity:
            # "n:*" always matches the newest message, even below n: filter on our side.
            lines = await self._run("SEARCH", f"UID {after_uid + 1}:*")
            floor = after_uid
        else:
            lines = await self._run("SEARCH", f"SINCE {since.strftime('%d-%b-%Y')}")
            floor = 0
        uids = sorted({int(word) for word in b" ".join(lines[:-1]).split() if word.isdigit()})
        return NewMail(uid_validity=current, uids=[uid for uid in uids if uid > floor])

    async def fetch(self, uids: Sequence[int], *, max_bytes: int) -> AsyncIterator[Fetched]:
        """The messages, in UID order, a chunk at a time."""
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            sizes = _sizes(await self._run("FETCH", _uid_set(chunk), "(UID RFC822.SIZE)"))
            whole = [uid for uid in chunk if sizes.get(uid, 0) <= max_bytes]
            headers = [uid for uid in chunk if sizes.get(uid, 0) > max_bytes]
            fetched: dict[int, Fetched] = {}
            if whole:
                for uid, raw in _literals(await self._run("FETCH", _uid_set(whole), "(UID BODY.PEEK[])")):
                    fetched[uid] = Fetched(uid=uid, raw=raw)
            if headers:
                reply = await self._run("FETCH", _uid_set(headers), "(UID BODY.PEEK[HEADER])")
                for uid, raw in _literals(reply):
                    fetched[uid] = Fetched(uid=uid, raw=raw, truncated=True)
            for uid in chunk:
                if uid in fetched:  # expunged since the search: nothing to read
                    yield fetched[uid]


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
