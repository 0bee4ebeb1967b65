"""Gmail's IMAP extension in front of the test Dovecot, for the placement reader's category tabs.

Dovecot has no X-GM-EXT-1 and cannot be configured to offer it: `imap_capability` could only advertise the
name, and Dovecot would then answer `SEARCH X-GM-RAW` with BAD. So `GmailFront` is a proxy on loopback that
adds the two parts of the extension the reader uses, and passes everything else through to Dovecot:

- `X-GM-EXT-1` in every capability list (Gmail offers it before login too);
- `SEARCH X-GM-RAW "<query>"` for queries of `category:<name>` terms joined by `OR`, as Gmail's search
  takes them; each term becomes Dovecot's `KEYWORD $Category<Name>`. Any other query is passed on
  unchanged, and Dovecot answers BAD: a reader asking something else fails loudly.

Where Gmail files a message under a tab, the test mail system's Sieve sets that keyword (`imap4flags`), so
the tab is the provider's decision, made at delivery, and found by the reader's own search. Cleartext IMAP
only (the seeds that use it log in with `imap_tls` "cleartext"). It runs its own event loop in a thread.
"""

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from tests.imap_server import _free_port

HOST = "127.0.0.1"
EXTENSION = b"X-GM-EXT-1"
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_CAPABILITY = re.compile(rb"(\* CAPABILITY [^\r\n]*?|\[CAPABILITY [^\]]*?)(\]?\r\n|\])")
_GM_RAW = re.compile(rb'X-GM-RAW "((?:[^"\\]|\\.)*)"', re.IGNORECASE)
_CATEGORY = re.compile(r"^category:([a-z]+)$", re.IGNORECASE)


def keyword(category: str) -> str:
    """The Dovecot keyword a Gmail category is kept as: `$CategoryPromotions`."""
    return f"$Category{category.capitalize()}"


def _criteria(query: str) -> str | None:
    terms = [term.strip() for term in query.split(" OR ")]
    found = [_CATEGORY.match(term) for term in terms]
    if not all(found):
        return None
    criteria = [f"KEYWORD {keyword(match.group(1))}" for match in found if match]
    combined = criteria[-1]
    for term in reversed(criteria[:-1]):
        combined = f"OR {term} {combined}"
    return combined


def client_line(line: bytes) -> bytes:
    def translate(match: re.Match[bytes]) -> bytes:
        criteria = _criteria(match.group(1).decode())
        return criteria.encode() if criteria else match.group(0)

    return _GM_RAW.sub(translate, line)


def server_line(line: bytes) -> bytes:
    def extend(match: re.Match[bytes]) -> bytes:
        listed = match.group(1)
        return listed if EXTENSION in listed.split() else listed + b" " + EXTENSION

    return _CAPABILITY.sub(lambda match: extend(match) + match.group(2), line)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rewrite: object) -> None:
    """Line by line, rewritten; a literal's bytes (after `{n}`) are passed on untouched."""
    assert callable(rewrite)
    try:
        while line := await reader.readline():
            writer.write(rewrite(line))
            literal = _LITERAL.search(line)
            if literal:
                writer.write(await reader.readexactly(int(literal.group(1))))
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


class GmailFront:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.host, self.port = HOST, _free_port()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        await asyncio.gather(_pump(reader, up_writer, client_line), _pump(up_reader, writer, server_line))

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._session, self.host, self.port))
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())
        self._loop.close()

    def start(self) -> "GmailFront":
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@contextmanager
def gmail_front(upstream_port: int) -> Iterator[GmailFront]:
    front = GmailFront(upstream_port).start()
    try:
        yield front
    finally:
        front.stop()
