"""DNS lookups against the configured nameservers, or the system resolver when none are set."""

import ipaddress
from collections.abc import Sequence

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdtypes.txtbase
import dns.resolver

DNS_PORT = 53
LOOKUP_TIMEOUT_SECONDS = 5.0


def nameserver(spec: str) -> dns.nameserver.Do53Nameserver:
    """`"10.0.0.53"`, `"10.0.0.53:5353"`, `"::1"` or `"[::1]:5353"`."""
    host, port = spec.strip(), DNS_PORT
    if host.startswith("["):
        host, _, rest = host[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":"))
    elif host.count(":") == 1:
        host, _, raw_port = host.partition(":")
        port = int(raw_port)
    ipaddress.ip_address(host)
    return dns.nameserver.Do53Nameserver(host, port)


def resolver(nameservers: Sequence[str]) -> dns.asyncresolver.Resolver:
    if not nameservers:
        found = dns.asyncresolver.Resolver()
    else:
        found = dns.asyncresolver.Resolver(configure=False)
        found.nameservers = [nameserver(spec) for spec in nameservers]
    found.lifetime = LOOKUP_TIMEOUT_SECONDS
    return found


async def txt_records(name: str, *, nameservers: Sequence[str]) -> list[str]:
    """The TXT strings published at `name`; none when it does not resolve."""
    try:
        answer = await resolver(nameservers).resolve(dns.name.from_text(name), "TXT", search=False)
    except dns.exception.DNSException:
        return []
    return [
        b"".join(rdata.strings).decode(errors="replace")
        for rdata in answer
        if isinstance(rdata, dns.rdtypes.txtbase.TXTBase)
    ]


async def mx_hosts(domain: str, *, nameservers: Sequence[str]) -> list[str]:
    """The domain's MX host names, lowest preference first; none when it has no MX (or does not resolve)."""
    try:
        answer = await resolver(nameservers).resolve(dns.name.from_text(domain), "MX", search=False)
    except dns.exception.DNSException:
        return []
    records = sorted(answer, key=lambda rdata: int(getattr(rdata, "preference", 0)))
    return [str(getattr(rdata, "exchange", "")).rstrip(".").lower() for rdata in records]


async def a_records(name: str, *, nameservers: Sequence[str]) -> list[str] | None:
    """The IPv4 addresses at `name`: none when it does not exist (NXDOMAIN, no A record), None when the
    lookup itself failed (refused, server failure, timeout), which says nothing about the name."""
    try:
        answer = await resolver(nameservers).resolve(dns.name.from_text(name), "A", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException:
        return None
    return [str(rdata) for rdata in answer]
