"""Mail peers that misbehave on purpose, on loopback, each in threads of its own (never on the test's
event loop, so a client stuck on one cannot stall the peer):

- "garbage": greets as IMAP, then answers every line with bytes that are no protocol at all;
- "silent": accepts the connection and never says a word;
- "pop3": a POP3 server, as when its port is entered for IMAP or SMTP by mistake.

`make_hostile_peer(kind)` starts one and stops it after the test; `peer.port` is where it listens and
`peer.connections` how many clients it has seen.

`make_plain_imap()` starts a minimal IMAP server without STARTTLS (what a downgrade attacker in the
path presents) that records every LOGIN it is sent in `logins` and accepts it.
"""

import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from typing import Literal

import pytest

Kind = Literal["garbage", "silent", "pop3", "plain-imap"]
SILENCE_SECONDS = 120.0


class HostilePeer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, kind: Kind) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.kind: Kind = kind
        self.connections = 0
        self.logins: list[str] = []
        self.stopped = threading.Event()
        self.port = int(self.server_address[1])
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def start(self) -> "HostilePeer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.shutdown()
        self.server_close()


class _Handler(socketserver.BaseRequestHandler):
    server: HostilePeer

    def handle(self) -> None:
        peer, connection = self.server, self.request
        assert isinstance(connection, socket.socket)
        peer.connections += 1
        try:
            if peer.kind == "silent":
                peer.stopped.wait(SILENCE_SECONDS)
                return
            if peer.kind == "plain-imap":
                _plain_imap(peer, connection)
                return
            greeting = b"+OK POP3 server ready\r\n" if peer.kind == "pop3" else b"* OK IMAP4rev1 ready\r\n"
            connection.sendall(greeting)
            answer = b"-ERR unknown command\r\n" if peer.kind == "pop3" else b"\x00\xff}{ )( garbage\r\n"
            for _line in connection.makefile("rb"):
                connection.sendall(answer)
        except OSError:
            pass  # the client hung up


def _plain_imap(peer: HostilePeer, connection: socket.socket) -> None:
    connection.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] no TLS here\r\n")
    for raw in connection.makefile("rb"):
        tag, _, rest = raw.decode(errors="replace").strip().partition(" ")
        command = rest.split(" ", 1)[0].upper()
        if command == "LOGIN":
            peer.logins.append(rest)
        elif command == "CAPABILITY":
            connection.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n")
        elif command == "LOGOUT":
            connection.sendall(f"* BYE\r\n{tag} OK LOGOUT done\r\n".encode())
            return
        connection.sendall(f"{tag} OK {command} done\r\n".encode())


MakeHostilePeer = Callable[[Kind], HostilePeer]


@pytest.fixture
def make_hostile_peer() -> Iterator[MakeHostilePeer]:
    started: list[HostilePeer] = []

    def make(kind: Kind) -> HostilePeer:
        peer = HostilePeer(kind).start()
        started.append(peer)
        return peer

    try:
        yield make
    finally:
        for peer in started:
            peer.stop()
