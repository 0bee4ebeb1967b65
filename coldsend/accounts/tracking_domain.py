"""Custom tracking domains: a CNAME from the user's host to this server's public host, checked in DNS."""

import asyncio
import ssl
from collections.abc import Sequence
from urllib.parse import urlsplit

import dns.exception
import dns.name
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.IN.A

from coldsend import dns as coldsend_dns
from coldsend.accounts.schemas import CtdStatus
from coldsend.config import Settings
from coldsend.network import is_public

HTTPS_PORT = 443
TLS_TIMEOUT_SECONDS = 5.0


def cname_target(settings: Settings) -> str | None:
    """The host tracking domains must point at: public_url's host, unless that is an IP address."""
    host = (urlsplit(settings.effective_public_url()).hostname or "").lower().rstrip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host:
        return None
    return host


async def _cname(host: str, nameservers: Sequence[str]) -> list[str]:
    try:
        answer = await coldsend_dns.resolver(nameservers).resolve(
            dns.name.from_text(host), "CNAME", search=False
        )
    except dns.exception.DNSException:
        return []
    return [
        rdata.target.to_text(omit_final_dot=True).lower()
        for rdata in answer
        if isinstance(rdata, dns.rdtypes.ANY.CNAME.CNAME)
    ]


async def _addresses(host: str, nameservers: Sequence[str]) -> list[str]:
    try:
        answer = await coldsend_dns.resolver(nameservers).resolve(dns.name.from_text(host), "A", search=False)
    except dns.exception.DNSException:
        return []
    return [rdata.address for rdata in answer if isinstance(rdata, dns.rdtypes.IN.A.A)]


async def _serves_tls(host: str, settings: Settings) -> bool:
    """A verified TLS handshake for `host` on port 443, at an address the configured DNS gives; only at
    public addresses unless private ones are allowed (the user names the host: no probing the LAN)."""
    for address in await _addresses(host, settings.dns_nameservers):
        if not settings.tracking_domain_allow_private and not is_public(address):
            continue
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    address, HTTPS_PORT, ssl=ssl.create_default_context(), server_hostname=host
                ),
                TLS_TIMEOUT_SECONDS,
            )
        except (OSError, TimeoutError, ssl.SSLError):
            continue
        writer.close()
        return True
    return False


async def status(host: str, settings: Settings) -> CtdStatus:
    """Whether `host` is a CNAME to this server (to any host when public_url names none) and serves TLS."""
    targets = await _cname(host, settings.dns_nameservers)
    wanted = cname_target(settings)
    cname = bool(targets) if wanted is None else wanted in targets
    ssl_ok = cname and await _serves_tls(host, settings)
    return CtdStatus(success=cname, ssl=ssl_ok, cname=cname, host=host)
