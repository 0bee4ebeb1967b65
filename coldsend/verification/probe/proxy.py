"""A SOCKS5 CONNECT (RFC 1928, no authentication) for networks where only a proxy can reach port 25."""

import asyncio
import ipaddress
import socket

SOCKS_VERSION = 5
NO_AUTHENTICATION = 0
CONNECT = 1
ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 1, 3, 4


def _host_port(spec: str) -> tuple[str, int]:
    host, _, port = spec.strip().removeprefix("socks5://").rpartition(":")
    return host.strip("[]"), int(port)


async def _read(loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(sock, size - len(data))
        if not chunk:
            raise ConnectionError("SOCKS5 proxy closed the connection")
        data += chunk
    return data


async def connect(proxy: str, host: str, port: int) -> socket.socket:
    """A socket connected to `host:port` (an IP address) through the proxy `host:port`."""
    loop = asyncio.get_running_loop()
    proxy_host, proxy_port = _host_port(proxy)
    family, kind, proto, _, address = (
        await loop.getaddrinfo(proxy_host, proxy_port, type=socket.SOCK_STREAM)
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, address)
        await loop.sock_sendall(sock, bytes([SOCKS_VERSION, 1, NO_AUTHENTICATION]))
        if await _read(loop, sock, 2) != bytes([SOCKS_VERSION, NO_AUTHENTICATION]):
            raise ConnectionError("SOCKS5 proxy wants authentication")
        target = ipaddress.ip_address(host)
        atyp = ATYP_IPV4 if target.version == 4 else ATYP_IPV6
        request = bytes([SOCKS_VERSION, CONNECT, 0, atyp]) + target.packed + port.to_bytes(2, "big")
        await loop.sock_sendall(sock, request)
        head = await _read(loop, sock, 4)
        if head[1] != 0:
            raise ConnectionError(f"SOCKS5 proxy could not connect (reply {head[1]})")
        bound = {ATYP_IPV4: 4, ATYP_IPV6: 16}.get(head[3]) or (await _read(loop, sock, 1))[0]
        await _read(loop, sock, bound + 2)
    except BaseException:
        sock.close()
        raise
    return sock
