"""A lean HTTP/1.1 load client: keep-alive connections over asyncio streams, one request in flight on each.

The tracking probe fires 200 requests a second at the server from a process of its own, on the same
2 vCPUs as the server and PostgreSQL. httpx spent 2.4 ms of CPU on each request there, two thirds of what
the server spent answering it, so the client's load weighed on the figures it measured. This writes the
request line and reads the status, the headers and a Content-Length body, no more: what a load generator
such as wrk does. Not a general client: no TLS, no chunked bodies, no redirects followed.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit


class LoadClient:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"an http:// URL with a host, not {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, url: str, form: str = "") -> int:
        """The response's status code; `form` goes as an urlencoded body."""
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = form.encode()
        head = f"{method} {target} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
        if body:
            head += f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        message = head.encode() + b"\r\n" + body
        while self._idle:  # the server closes a connection idle for its keep-alive timeout (uvicorn: 5 s)
            reader, writer = self._idle.pop()
            if not reader.at_eof():
                try:
                    return await self._exchange(reader, writer, message)
                except (asyncio.IncompleteReadError, ConnectionError):
                    continue  # closed as the request went: on another connection
        return await self._exchange(*await self._connect(), message)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: bytes
    ) -> int:
        try:
            writer.write(message)
            status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
            length = 0
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
                elif name.lower() == b"transfer-encoding":
                    raise ValueError("a chunked response: not for this client")
            await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        self._idle.append((reader, writer))
        return status

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self._host, self._port)

    async def close(self) -> None:
        for _reader, writer in self._idle:
            writer.close()
        self._idle.clear()
