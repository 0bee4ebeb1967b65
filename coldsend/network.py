"""Which addresses the server may connect to on a user's word (tracking domain, MX record, webhook URL).

A name is resolved once, its addresses are checked, and the caller connects to a checked address itself:
resolving again to connect would let a DNS answer that changes in between (rebinding) pick the target.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import dns.exception
import dns.name
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA

from coldsend import dns as coldsend_dns


def is_public(address: str) -> bool:
    """A global unicast address: not loopback, private, link-local, CGNAT, multicast, reserved or ULA.

    IPv6 forms that carry an IPv4 address (mapped, 6to4, Teredo) are judged by that IPv4 address.
    """
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def ip_literal(host: str) -> str | None:
    """`host` as a normalised IP address, or None when it is a name."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def _dns_addresses(host: str, nameservers: Sequence[str]) -> list[str]:
    resolver = coldsend_dns.resolver(nameservers)
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = await resolver.resolve(dns.name.from_text(host), rdtype, search=False)
        except dns.exception.DNSException:
            continue
        found.extend(
            rdata.address
            for rdata in answer
            if isinstance(rdata, dns.rdtypes.IN.A.A | dns.rdtypes.IN.AAAA.AAAA)
        )
    return found


async def _system_addresses(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve(host: str, port: int, nameservers: Sequence[str]) -> list[str]:
    """The addresses of `host`: itself if it is an IP, else through the configured nameservers (the
    system resolver, hosts file included, when none are set)."""
    literal = ip_literal(host)
    if literal is not None:
        return [literal]
    if nameservers:
        return await _dns_addresses(host, nameservers)
    return await _system_addresses(host, port)
