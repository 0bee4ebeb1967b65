"""DNS blacklists: the sending IP against DNSBL zones, the sending domain against domain (URIBL) zones.

A listing is an answer in 127.0.0.0/8. Some answers are the list refusing to answer, not a listing:
127.255.255.0/24 (Spamhaus: public resolver, typo, rate limit), and 127.0.0.1 from a domain list (URIBL's
"query refused"); those, and a lookup that fails (REFUSED, SERVFAIL, timeout), read as not checked, never as
listed. Spamhaus zones are queried through its Data Query Service with the configured key
(`<key>.<zone>.dq.spamhaus.net`), since Spamhaus refuses queries from public resolvers; without a key they
are not checked.
"""

import asyncio
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coldsend.config import Settings
from coldsend.dns import a_records

SPAMHAUS = ".spamhaus.org"
REFUSED_NETWORK = ipaddress.ip_network("127.255.255.0/24")
LISTED_NETWORK = ipaddress.ip_network("127.0.0.0/8")
DOMAIN_REFUSED = "127.0.0.1"


@dataclass(frozen=True)
class Finding:
    blacklist: str  # the zone as configured
    test_type: str  # "ip" or "domain"
    checked: bool
    is_listed: bool
    answer: list[str]
    reason: str | None = None

    def shown(self) -> dict[str, Any]:
        return {
            "blacklist": self.blacklist,
            "test_type": self.test_type,
            "is_listed": self.is_listed,
            "checked": self.checked,
            "answer": self.answer,
            "reason": self.reason,
        }


def query_name(subject: str, zone: str, *, ip: bool, dqs_key: str | None) -> str | None:
    """The name to look up for `subject` in `zone`; None for a Spamhaus zone without a DQS key."""
    prefix = ".".join(reversed(subject.split("."))) if ip else subject.rstrip(".").lower()
    if zone.endswith(SPAMHAUS):
        if not dqs_key:
            return None
        return f"{prefix}.{dqs_key}.{zone.removesuffix(SPAMHAUS)}.dq.spamhaus.net"
    return f"{prefix}.{zone}"


def _read(zone: str, test_type: str, answer: list[str] | None) -> Finding:
    if answer is None:
        return Finding(zone, test_type, False, False, [], "the lookup was refused or failed")
    addresses = []
    for value in answer:
        try:
            addresses.append(ipaddress.ip_address(value))
        except ValueError:
            continue
    if any(address in REFUSED_NETWORK for address in addresses) or (
        test_type == "domain" and DOMAIN_REFUSED in answer
    ):
        return Finding(zone, test_type, False, False, answer, "the list refused the query")
    listed = any(address in LISTED_NETWORK for address in addresses)
    return Finding(zone, test_type, True, listed, answer)


async def _check(subject: str, zone: str, test_type: str, settings: Settings) -> Finding:
    key = settings.placement_spamhaus_dqs_key
    name = query_name(subject, zone, ip=test_type == "ip", dqs_key=key.get_secret_value() if key else None)
    if name is None:
        return Finding(zone, test_type, False, False, [], "Spamhaus is queried only with a DQS key")
    return _read(zone, test_type, await a_records(name, nameservers=settings.dns_nameservers))


async def check(ip: str | None, domain: str, settings: Settings) -> list[Finding]:
    """Every configured list's answer about the IP (an IPv4 address; IPv6 is not looked up) and the domain."""
    checks = [_check(domain, zone, "domain", settings) for zone in settings.placement_domain_blacklists]
    if ip and _ipv4(ip):
        checks = [_check(ip, zone, "ip", settings) for zone in settings.placement_ip_blacklists] + checks
    return list(await asyncio.gather(*checks))


def _ipv4(value: str) -> bool:
    try:
        return ipaddress.ip_address(value).version == 4
    except ValueError:
        return False


def listed_count(findings: Sequence[Finding], test_type: str) -> int:
    return sum(1 for finding in findings if finding.test_type == test_type and finding.is_listed)


def listed_on(findings: Sequence[Finding]) -> set[str]:
    return {f"{finding.test_type}:{finding.blacklist}" for finding in findings if finding.is_listed}
