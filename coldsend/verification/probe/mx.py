"""The DNS stage: a domain's mail servers in preference order (RFC 5321 §5.1), and their addresses."""

import time
from dataclasses import dataclass
from enum import StrEnum

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

# How long a lookup's answer is reused at most, whatever its TTL says, and how many are kept.
MAX_CACHE_SECONDS = 3600.0
MAX_CACHE_ENTRIES = 100_000


class MxKind(StrEnum):
    FOUND = "found"
    NULL_MX = "null_mx"  # RFC 7505: the domain says it accepts no mail
    NO_DOMAIN = "no_domain"  # NXDOMAIN
    NO_MAIL_SERVER = "no_mail_server"  # neither MX nor A/AAAA
    TIMEOUT = "timeout"  # no answer in time, or SERVFAIL: worth asking again later


@dataclass(frozen=True, slots=True)
class MailServers:
    kind: MxKind
    hosts: tuple[str, ...] = ()
    implicit: bool = False  # no MX: the domain itself, by its A/AAAA records


class MxResolver:
    """MX and address lookups on one resolver, with answers reused for their TTL."""

    def __init__(self, resolver: dns.asyncresolver.Resolver) -> None:
        self.resolver = resolver
        self._servers: dict[str, tuple[float, MailServers]] = {}
        self._addresses: dict[str, tuple[float, list[str]]] = {}

    async def _answer(self, name: str, rdtype: str) -> dns.resolver.Answer | None:
        """The answer, or None when the name exists without such records; NXDOMAIN and timeouts raise."""
        try:
            return await self.resolver.resolve(dns.name.from_text(name), rdtype, search=False)
        except dns.resolver.NoAnswer:
            return None

    async def mail_servers(self, domain: str) -> MailServers:
        cached = self._servers.get(domain)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            found, ttl = await self._lookup(domain)
        except dns.resolver.NXDOMAIN:
            found, ttl = MailServers(MxKind.NO_DOMAIN), MAX_CACHE_SECONDS
        except dns.exception.DNSException:
            return MailServers(MxKind.TIMEOUT)
        if len(self._servers) >= MAX_CACHE_ENTRIES:
            self._servers.clear()
        self._servers[domain] = (time.monotonic() + min(ttl, MAX_CACHE_SECONDS), found)
        return found

    async def _lookup(self, domain: str) -> tuple[MailServers, float]:
        answer = await self._answer(domain, "MX")
        if answer is not None and answer.rrset is not None:
            records = sorted(answer, key=lambda rdata: (rdata.preference, str(rdata.exchange)))
            hosts = tuple(str(rdata.exchange).rstrip(".").lower() for rdata in records)
            ttl = float(answer.rrset.ttl)
            if not any(hosts):
                return MailServers(MxKind.NULL_MX), ttl
            return MailServers(MxKind.FOUND, tuple(host for host in hosts if host)), ttl
        for rdtype in ("A", "AAAA"):
            fallback = await self._answer(domain, rdtype)
            if fallback is not None and fallback.rrset is not None:
                return MailServers(MxKind.FOUND, (domain,), implicit=True), float(fallback.rrset.ttl)
        return MailServers(MxKind.NO_MAIL_SERVER), MAX_CACHE_SECONDS

    async def addresses(self, host: str) -> list[str]:
        """The host's IPv4 then IPv6 addresses; empty when it has none or the lookup fails."""
        cached = self._addresses.get(host)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        found: list[str] = []
        ttl = MAX_CACHE_SECONDS
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self._answer(host, rdtype)
            except dns.exception.DNSException:
                continue
            if answer is not None and answer.rrset is not None:
                found.extend(rdata.address for rdata in answer)
                ttl = min(ttl, float(answer.rrset.ttl))
        if found:
            if len(self._addresses) >= MAX_CACHE_ENTRIES:
                self._addresses.clear()
            self._addresses[host] = (time.monotonic() + ttl, found)
        return found
