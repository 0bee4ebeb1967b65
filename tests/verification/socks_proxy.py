"""A minimal SOCKS5 proxy on loopback (CONNECT, no authentication) that records where it connected."""

import selectors
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class SocksProxy:
    port: int
    connects: list[tuple[str, int]] = field(default_factory=list)


def _read(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _relay(client: socket.socket, upstream: socket.socket) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ, upstream)
        selector.register(upstream, selectors.EVENT_READ, client)
        while True:
            for key, _ in selector.select():
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)


@contextmanager
def serve_socks5() -> Iterator[SocksProxy]:
    proxy = SocksProxy(port=0)

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            client: socket.socket = self.request
            _version, methods = _read(client, 2)
            _read(client, methods)
            client.sendall(b"\x05\x00")
            _version, _command, _reserved, atyp = _read(client, 4)
            size = {1: 4, 4: 16}[atyp]
            host = socket.inet_ntop(socket.AF_INET if atyp == 1 else socket.AF_INET6, _read(client, size))
            port = int.from_bytes(_read(client, 2), "big")
            proxy.connects.append((host, port))
            with socket.create_connection((host, port)) as upstream:
                client.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + port.to_bytes(2, "big"))
                _relay(client, upstream)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    proxy.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
