"""The seeds' side of the local mail system for the placement tests: the warmup tests' MailSystem (SMTP
into Dovecot over LMTP, Sieve filing into Junk) whose SMTP server also acts as a receiving provider does.
For each message it accepts it checks SPF (pyspf), DKIM and DMARC (dkimpy through authheaders) against
the test DNS server, and prepends its own `Received` and `Authentication-Results` headers before the
delivery. The Sieve script files and discards by sender domain and recipient, so some copies land in
Junk and some never arrive, as a provider decides; at the Gmail domains it also puts some under a category
tab, which the seeds there find through Gmail's IMAP extension (`gmail_imap.GmailFront`).
"""

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from email.utils import formatdate
from typing import Any

import authheaders  # type: ignore[import-untyped]
import dns.exception
import dns.resolver
import spf  # type: ignore[import-untyped]

from tests.dns_server import DnsServer
from tests.placement import gmail_imap
from tests.smtp_sink import Received
from tests.warmup.mail_system import MailSystem

AUTHSERV_ID = "mx.seeds.test"
PEER_IP = "127.0.0.1"  # every client of the loopback mail system connects from here


def _rule(sender: str, recipient: str, action: str) -> str:
    to = (
        f'envelope :is "to" "{recipient}"' if "@" in recipient else f'envelope :domain :is "to" "{recipient}"'
    )
    return f'if allof (header :contains "From" "@{sender}", {to}) {{\n  {action}\n}}'


def sieve(
    junk: list[tuple[str, str]],
    discard: list[tuple[str, str]],
    categories: Sequence[tuple[str, str, str]] = (),
) -> str:
    """A script filing mail From a domain to a recipient (an address, or a whole domain) into Junk, or
    discarding it; what else reaches the inbox is put under a Gmail category tab by `categories`
    (sender domain, recipient, category): the keyword `tests.placement.gmail_imap` searches as that tab."""
    lines = ['require ["fileinto", "envelope", "imap4flags"];']
    for action, pairs in (("discard;", discard), ('fileinto "Junk";', junk)):
        lines += [_rule(sender, recipient, f"{action}\n  stop;") for sender, recipient in pairs]
    for sender, recipient, category in categories:
        lines.append(_rule(sender, recipient, f'addflag "{gmail_imap.keyword(category)}";'))
    return "\n".join(lines) + "\n"


def dns_functions(server: DnsServer) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """A TXT lookup for dkimpy and authheaders (bytes in, bytes out; text in, text out), and a
    `spf.DNSLookup` replacement, both asking the test DNS server."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.lifetime = 5.0

    def txt(name: bytes | str, timeout: float = 5) -> bytes | str | None:  # noqa: ARG001
        text = name.decode() if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(text.rstrip("."), "TXT")
        except dns.exception.DNSException:
            return None
        value = b"".join(b"".join(rdata.strings) for rdata in answer)
        return value if isinstance(name, bytes) else value.decode()

    def spf_lookup(name: str, qtype: str, tcpfallback: bool = True, timeout: float = 30) -> list[Any]:  # noqa: ARG001
        try:
            answer = resolver.resolve(name, qtype)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as error:
            raise spf.TempError(f"DNS {error}") from error
        found: list[Any] = []
        for rdata in answer:
            if qtype in ("A", "AAAA"):
                found.append(((name, qtype), rdata.address))
            elif qtype == "MX":
                found.append(((name, qtype), (rdata.preference, rdata.exchange)))
            elif qtype in ("TXT", "SPF"):
                found.append(((name, qtype), rdata.strings))
            elif qtype == "PTR":
                found.append(((name, qtype), rdata.target.to_text(True)))
        return found

    return txt, spf_lookup


class SeedMailSystem(MailSystem):
    """The mail system; mailboxes at `gmail_domains` are read through `gmail` (Gmail's IMAP extension in
    front of the same Dovecot): `imap_port(address)` says where a seed logs in."""

    def __init__(self, server: DnsServer, script: str, gmail_domains: tuple[str, ...] = ()) -> None:
        self.txt, self.spf_lookup = dns_functions(server)
        super().__init__((), script=script)
        self.gmail_domains = gmail_domains
        self.gmail = gmail_imap.GmailFront(self.dovecot.port).start()

    def imap_port(self, address: str) -> int:
        domain = address.rpartition("@")[2].lower()
        return self.gmail.port if domain in self.gmail_domains else self.dovecot.port

    def stop(self) -> None:
        self.gmail.stop()
        super().stop()

    def _deliver(self, received: Received) -> None:
        """Authenticate the message as the seeds' provider does, then deliver it with its verdict."""
        helo = received.mail_from.rpartition("@")[2] or "unknown"
        verdict = authheaders.authenticate_message(
            received.raw,
            AUTHSERV_ID,
            spf=True,
            ip=PEER_IP,
            mail_from=received.mail_from,
            helo=helo,
            dnsfunc=self.txt,
        )
        stamp = formatdate(time.time(), usegmt=True)
        trace = f"Received: from {helo} ({helo} [{PEER_IP}])\r\n\tby {AUTHSERV_ID} with ESMTPSA; {stamp}\r\n"
        headers = (trace + verdict.replace("\n", "\r\n") + "\r\n").encode()
        stamped = Received(
            received.login, received.mail_from, received.rcpt_tos, received.message, headers + received.raw
        )
        super()._deliver(stamped)


@contextmanager
def seed_mail_system(
    server: DnsServer, script: str, gmail_domains: tuple[str, ...] = ()
) -> Iterator[SeedMailSystem]:
    """The mail system, with pyspf asking the test DNS server while it runs."""
    system = SeedMailSystem(server, script, gmail_domains)
    previous, spf.DNSLookup = spf.DNSLookup, system.spf_lookup
    try:
        yield system
    finally:
        spf.DNSLookup = previous
        system.stop()
