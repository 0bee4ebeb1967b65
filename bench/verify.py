"""The verification engine's rate next to a bare dnspython + aiosmtplib probe loop, in the same run.

    python bench/verify.py [--addresses 5000] [--domains 50] [--concurrency 50]

A child process serves a DNS zone (dnslib: an MX and an A record per domain, all on 127.0.0.1) and one
aiosmtpd MX server that accepts `user<N>` mailboxes for N < 40 and answers 550 5.1.1 otherwise (so 4/5 of
the addresses exist). Then, in this process and with the same concurrency: (a) the engine,
`Verifier.verify_until_final` per address (syntax, disposable and role checks, MX and address lookups,
per-host limits, the catch-all probe, the verdict); (b) the baseline, per address: an MX lookup, an A
lookup of the MX host, then connect, EHLO, MAIL FROM, RCPT TO, QUIT with aiosmtplib; (c) the same
baseline resolving each domain once (the engine reuses DNS answers for their TTL): what is left is the
engine's own overhead on the SMTP part. Prints addresses/s of each and the ratios (goal >= 0.7).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiosmtplib
import dns.asyncresolver
import dns.nameserver
from aiosmtpd.controller import Controller
from dnslib import QTYPE, RCODE, RR, DNSRecord
from dnslib.server import BaseResolver, DNSHandler, DNSLogger, DNSServer

from coldsend.config import Settings
from coldsend.verification.probe.engine import Verifier

MAILBOXES_PER_DOMAIN = 40
ADDRESSES_PER_MAILBOX_RANGE = 50  # user0..user49: 40 exist, 10 do not
MAIL_FROM = "probe@bench.coldsend.test"
EHLO = "bench.coldsend.test"


def domain_names(count: int) -> list[str]:
    return [f"bench{i}.example" for i in range(count)]


class ZoneResolver(BaseResolver):  # type: ignore[misc]
    def __init__(self, domains: list[str]) -> None:
        self.zone: dict[tuple[str, str], str] = {}
        for domain in domains:
            self.zone[(domain, "MX")] = f"10 mx.{domain}."
            self.zone[(f"mx.{domain}", "A")] = "127.0.0.1"

    def resolve(self, request: DNSRecord, handler: DNSHandler) -> DNSRecord:  # noqa: ARG002
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        value = self.zone.get((name, QTYPE[request.q.qtype]))
        if value is not None:
            reply.add_answer(*RR.fromZone(f"{name}. 300 IN {QTYPE[request.q.qtype]} {value}"))
        elif not any(key[0] == name for key in self.zone):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class MxHandler:
    async def handle_RCPT(  # noqa: N802
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: list[str]
    ) -> str:
        local = address.partition("@")[0]
        if local.startswith("user") and int(local[4:]) < MAILBOXES_PER_DOMAIN:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        return "550 5.1.1 User unknown"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(domains: list[str], conn: multiprocessing.connection.Connection) -> None:
    """The child process: DNS and MX servers until the parent says stop."""
    dns_server = DNSServer(
        ZoneResolver(domains), address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda _: None)
    )
    dns_server.start_thread()
    port = free_port()
    controller = Controller(MxHandler(), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    conn.send((dns_server.server.server_address[1], port))
    conn.recv()
    controller.stop()
    dns_server.stop()


def addresses(domains: list[str], count: int) -> list[str]:
    return [
        f"user{i // len(domains) % ADDRESSES_PER_MAILBOX_RANGE}@{domains[i % len(domains)]}"
        for i in range(count)
    ]


async def timed(
    label: str, work: Callable[[str], Awaitable[bool]], items: list[str], concurrency: int
) -> float:
    limit = asyncio.Semaphore(concurrency)
    valid = 0

    async def one(item: str) -> None:
        nonlocal valid
        async with limit:
            accepted = await work(item)
        valid += accepted

    started = time.perf_counter()
    await asyncio.gather(*(one(item) for item in items))
    elapsed = time.perf_counter() - started
    rate = len(items) / elapsed
    print(f"{label:10} {len(items)} addresses in {elapsed:6.2f} s = {rate:7.0f} addresses/s ({valid} valid)")
    return rate


def engine_probe(settings: Settings) -> Callable[[str], Awaitable[bool]]:
    verifier = Verifier(settings)

    async def work(address: str) -> bool:
        outcome = await verifier.verify_until_final(address)
        return outcome.reachability.value == "safe"

    return work


def bare_probe(dns_port: int, smtp_port: int, *, cache_dns: bool = False) -> Callable[[str], Awaitable[bool]]:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", dns_port)]
    known: dict[str, str] = {}

    async def mx_address(domain: str) -> str:
        if domain in known:
            return known[domain]
        mx = await resolver.resolve(domain, "MX")
        host = str(min(mx, key=lambda rdata: rdata.preference).exchange)
        ip = str((await resolver.resolve(host, "A"))[0].address)
        if cache_dns:
            known[domain] = ip
        return ip

    async def work(address: str) -> bool:
        ip = await mx_address(address.partition("@")[2])
        client = aiosmtplib.SMTP(hostname=ip, port=smtp_port, local_hostname=EHLO, start_tls=False)
        await client.connect()
        try:
            await client.ehlo()
            await client.mail(MAIL_FROM)
            try:
                await client.rcpt(address)
                accepted = True
            except aiosmtplib.SMTPRecipientRefused:
                accepted = False
            await client.quit()
        finally:
            client.close()
        return accepted

    return work


async def run(args: argparse.Namespace, dns_port: int, smtp_port: int) -> None:
    domains = domain_names(args.domains)
    items = addresses(domains, args.addresses)
    settings = Settings(
        dns_nameservers=[f"127.0.0.1:{dns_port}"],
        verify_smtp_port=smtp_port,
        verify_ehlo_hostname=EHLO,
        verify_mail_from=MAIL_FROM,
        # Politeness limits sized so they do not cap a local benchmark: it measures the engine's overhead.
        verify_domain_concurrency=args.concurrency,
        verify_domain_rate_per_second=1_000_000.0,
        verify_smtp_allow_private=True,  # its MX is on loopback
    )
    print(f"{args.addresses} addresses over {args.domains} domains, concurrency {args.concurrency}")
    engine = await timed("engine", engine_probe(settings), items, args.concurrency)
    baseline = await timed("baseline", bare_probe(dns_port, smtp_port), items, args.concurrency)
    cached = await timed(
        "baseline+", bare_probe(dns_port, smtp_port, cache_dns=True), items, args.concurrency
    )
    print(f"ratio engine / baseline = {engine / baseline:.2f} (goal >= 0.7)")
    print(f"ratio engine / baseline with DNS answers reused (SMTP only) = {engine / cached:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--addresses", type=int, default=5000)
    parser.add_argument("--domains", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(domain_names(args.domains), child))
    server.start()
    try:
        dns_port, smtp_port = parent.recv()
        asyncio.run(run(args, dns_port, smtp_port))
    finally:
        parent.send("stop")
        server.join(timeout=15)
        if server.is_alive():
            server.kill()


if __name__ == "__main__":
    main()
