"""A real DNS server on loopback (UDP) answering from a mutable records table, for DNS-dependent tests.

`serve_dns()` yields a `DnsServer`: add records with `server.add(name, "TXT", value)` and point an app at it
with `make_settings(..., dns_nameservers=[server.nameserver])`.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dnslib import QTYPE, RCODE, RR, TXT, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

log = logging.getLogger(__name__)
TTL = 60


def _key(name: str) -> str:
    return name.lower().rstrip(".")


@dataclass
class DnsRecords:
    """(name, type) -> values. TXT values are the text itself; other types use zone-file syntax
    for their data (`"10 mx.example.com."` for MX, `"192.0.2.1"` for A)."""

    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    later: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    queries: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, rtype: str, value: str) -> None:
        self.records.setdefault((_key(name), rtype.upper()), []).append(value)

    def answer_later(self, name: str, rtype: str, value: str) -> None:
        """From the second query for (name, rtype) on, answer `value` instead (a rebinding DNS server)."""
        self.later[(_key(name), rtype.upper())] = [value]

    def remove(self, name: str, rtype: str | None = None) -> None:
        for key in [key for key in self.records if key[0] == _key(name) and rtype in (None, key[1])]:
            del self.records[key]

    def known(self, name: str) -> bool:
        return any(key[0] == _key(name) for key in self.records)

    def answers(self, name: str, rtype: str) -> list[RR]:
        rrs: list[RR] = []
        values = self.records.get((_key(name), rtype), [])
        if (_key(name), rtype) in self.later:
            self.records[(_key(name), rtype)] = self.later.pop((_key(name), rtype))
        if not values and rtype != "CNAME":
            # As a recursive resolver does: the CNAME, then the answers for its target.
            for target in self.records.get((_key(name), "CNAME"), [])[:1]:
                rrs.extend(RR.fromZone(f"{_key(name)}. {TTL} IN CNAME {target}"))
                rrs.extend(self.answers(target, rtype))
        for value in values:
            if rtype == "TXT":
                rrs.append(RR(f"{_key(name)}.", QTYPE.TXT, ttl=TTL, rdata=TXT(value)))
            else:
                rrs.extend(RR.fromZone(f"{_key(name)}. {TTL} IN {rtype} {value}"))
        return rrs


class _Resolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, records: DnsRecords) -> None:
        self.records = records

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:  # noqa: ARG002
        reply = request.reply()
        name = str(request.q.qname)
        self.records.queries.append((_key(name), QTYPE[request.q.qtype]))
        answers = self.records.answers(name, QTYPE[request.q.qtype])
        for rr in answers:
            reply.add_answer(rr)
        if not answers and not self.records.known(name):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


@dataclass
class DnsServer:
    records: DnsRecords
    host: str
    port: int

    @property
    def nameserver(self) -> str:
        """The `dns_nameservers` setting entry that points at this server."""
        return f"{self.host}:{self.port}"

    def add(self, name: str, rtype: str, value: str) -> None:
        self.records.add(name, rtype, value)

    def remove(self, name: str, rtype: str | None = None) -> None:
        self.records.remove(name, rtype)

    def answer_later(self, name: str, rtype: str, value: str) -> None:
        self.records.answer_later(name, rtype, value)


def _quiet(message: Any) -> None:
    log.debug("%s", message)


@contextmanager
def serve_dns(host: str = "127.0.0.1") -> Iterator[DnsServer]:
    """Bound to port 0, so the OS picks a free port and there is no race for it."""
    records = DnsRecords()
    server = DNSServer(_Resolver(records), address=host, port=0, logger=DNSLogger(logf=_quiet))
    server.start_thread()
    try:
        yield DnsServer(records=records, host=host, port=server.server.server_address[1])
    finally:
        server.stop()
        server.server.server_close()
