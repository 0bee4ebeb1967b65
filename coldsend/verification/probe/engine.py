"""The verification pipeline: syntax, disposable and role checks, DNS, then one SMTP probe with catch-all."""

import asyncio
import secrets
import socket

from coldsend import dns as coldsend_dns
from coldsend.addresses import Address, InvalidAddress, parse_address
from coldsend.config import Settings
from coldsend.network import is_public
from coldsend.verification.probe import smtp_probe
from coldsend.verification.probe.catch_all import CatchAllCache, MemoryCatchAllCache, random_recipient
from coldsend.verification.probe.disposable import is_disposable
from coldsend.verification.probe.limits import HostLimiter
from coldsend.verification.probe.mx import MxKind, MxResolver
from coldsend.verification.probe.outcome import Outcome, Reachability, Reason
from coldsend.verification.probe.port_check import PortMonitor
from coldsend.verification.probe.replies import Mailbox, mailbox
from coldsend.verification.probe.roles import is_role
from coldsend.verification.probe.smtp_probe import Probe, ProbeConfig, ProbeFailure

_DNS_VERDICTS = {
    MxKind.NO_DOMAIN: (Reachability.INVALID, Reason.NO_SUCH_DOMAIN),
    MxKind.NULL_MX: (Reachability.INVALID, Reason.NULL_MX),
    MxKind.NO_MAIL_SERVER: (Reachability.INVALID, Reason.NO_MAIL_SERVER),
    MxKind.TIMEOUT: (Reachability.UNKNOWN, Reason.DNS_TIMEOUT),
}
_INVALID_MAILBOX = {Mailbox.NOT_FOUND: Reason.MAILBOX_NOT_FOUND, Mailbox.DISABLED: Reason.MAILBOX_DISABLED}


def probe_config(settings: Settings) -> ProbeConfig:
    ehlo = settings.verify_ehlo_hostname or socket.getfqdn()
    return ProbeConfig(
        port=settings.verify_smtp_port,
        ehlo_hostname=ehlo,
        mail_from=settings.verify_mail_from or f"verify@{ehlo}",
        connect_timeout=settings.verify_connect_timeout_seconds,
        timeout=settings.verify_smtp_timeout_seconds,
        proxy=settings.verify_smtp_proxy,
    )


class Verifier:
    """Verifies one address per call, sharing DNS answers, catch-all knowledge and per-host limits."""

    def __init__(self, settings: Settings, *, catch_all_cache: CatchAllCache | None = None) -> None:
        resolver = coldsend_dns.resolver(settings.dns_nameservers)
        resolver.lifetime = settings.verify_dns_timeout_seconds
        self.mx = MxResolver(resolver)
        self.limiter = HostLimiter(settings.verify_domain_concurrency, settings.verify_domain_rate_per_second)
        self.ports = PortMonitor(
            settings.verify_port_blocked_after, settings.verify_port_blocked_recheck_seconds
        )
        self.catch_all = catch_all_cache or MemoryCatchAllCache(settings.verify_catch_all_ttl_seconds)
        self.config = probe_config(settings)
        self.allow_private = settings.verify_smtp_allow_private
        self.disposable_file = settings.verify_disposable_domains_file
        self.max_attempts = settings.verify_max_attempts
        self.retry_delay = settings.verify_retry_delay_seconds
        self._probe_secret = secrets.token_bytes(16)

    async def verify(self, value: str) -> Outcome:
        """One attempt; a `transient` outcome may turn out otherwise if tried again later."""
        try:
            address = parse_address(value)
        except InvalidAddress as error:
            return Outcome(
                value.strip().lower(), Reachability.INVALID, Reason.SYNTAX, details={"error": str(error)}
            )
        outcome = Outcome(
            address.email,
            Reachability.UNKNOWN,
            Reason.SMTP_ERROR,
            disposable=is_disposable(address.domain, extra_file=self.disposable_file),
            role=is_role(address.local),
        )
        servers = await self.mx.mail_servers(address.domain)
        if servers.kind is not MxKind.FOUND:
            outcome.reachability, outcome.reason = _DNS_VERDICTS[servers.kind]
            if outcome.reachability is Reachability.INVALID:
                outcome.catch_all = False
            return outcome
        if self.ports.blocked:
            outcome.reason = Reason.PORT_BLOCKED
            return outcome
        known_catch_all = await self.catch_all.get(address.domain)
        random_address = None
        if known_catch_all is None:
            random_address = random_recipient(address.domain, self._probe_secret)
        recipients = [random_address, address.email] if random_address else [address.email]
        probe, host = await self._probe(servers.hosts, recipients)
        outcome.mx_host = host
        if probe.failure is ProbeFailure.NOT_PUBLIC:
            outcome.reason = Reason.MX_NOT_PUBLIC
            return outcome
        if host is None:
            outcome.reachability, outcome.reason = Reachability.INVALID, Reason.NO_MAIL_SERVER
            outcome.catch_all = False
            return outcome
        await self._judge(outcome, address, probe, random_address, known_catch_all)
        return outcome

    async def verify_until_final(self, value: str) -> Outcome:
        """Attempts until one is final or they run out, waiting longer before each retry."""
        delay = self.retry_delay
        for attempt in range(1, self.max_attempts + 1):
            outcome = await self.verify(value)
            if not outcome.transient or attempt == self.max_attempts:
                break
            await asyncio.sleep(delay)
            delay *= 2
        outcome.details["attempts"] = attempt
        return outcome

    async def _probe(self, hosts: tuple[str, ...], recipients: list[str]) -> tuple[Probe, str | None]:
        """The first MX host (in preference order) that holds a session; unreachable ones are skipped,
        and so are non-public addresses unless allowed: an MX record must not aim probes at the LAN."""
        last: str | None = None
        not_public: str | None = None
        for host in hosts:
            for ip in await self.mx.addresses(host):
                if not self.allow_private and not is_public(ip):
                    not_public = not_public or host
                    continue
                last = host
                async with self.limiter.slot(host):
                    result = await smtp_probe.probe(ip, recipients, self.config)
                if result.failure is not ProbeFailure.UNREACHABLE:
                    self.ports.reached()
                    return result, host
                self.ports.unreachable(host)
        if last is None and not_public is not None:
            return Probe(failure=ProbeFailure.NOT_PUBLIC), not_public
        return Probe(failure=ProbeFailure.UNREACHABLE), last

    async def _judge(
        self,
        outcome: Outcome,
        address: Address,
        probe: Probe,
        random_address: str | None,
        known_catch_all: bool | None,
    ) -> None:
        outcome.details["tls"] = probe.tls
        if probe.failure is not None:
            _judge_failure(outcome, probe, blocked=self.ports.blocked)
            return
        reply = probe.replies[address.email]
        outcome.smtp_code, outcome.smtp_message = reply.code, reply.message
        verdict = mailbox(reply)
        random_verdict = mailbox(probe.replies[random_address]) if random_address else None
        if Mailbox.TRY_LATER in (verdict, random_verdict):
            outcome.reason = Reason.GREYLISTED
            return
        outcome.catch_all = known_catch_all
        if random_verdict is not None:
            outcome.catch_all = random_verdict is Mailbox.ACCEPTED
            await self.catch_all.put(address.domain, outcome.catch_all)
        if verdict in _INVALID_MAILBOX:
            outcome.reachability, outcome.reason = Reachability.INVALID, _INVALID_MAILBOX[verdict]
        elif verdict is Mailbox.REFUSED:
            outcome.reason = Reason.BLOCKED
        elif verdict is Mailbox.FULL:
            outcome.reachability, outcome.reason = Reachability.RISKY, Reason.FULL_INBOX
        else:
            outcome.reachability, outcome.reason = _accepted(outcome)


def _accepted(outcome: Outcome) -> tuple[Reachability, Reason]:
    if outcome.disposable:
        return Reachability.RISKY, Reason.DISPOSABLE
    if outcome.catch_all:
        return Reachability.RISKY, Reason.CATCH_ALL
    if outcome.role:
        return Reachability.RISKY, Reason.ROLE
    return Reachability.SAFE, Reason.DELIVERABLE


def _judge_failure(outcome: Outcome, probe: Probe, *, blocked: bool) -> None:
    if probe.failure_reply is not None:
        outcome.smtp_code, outcome.smtp_message = probe.failure_reply.code, probe.failure_reply.message
    if probe.failure is ProbeFailure.UNREACHABLE:
        outcome.reason = Reason.PORT_BLOCKED if blocked else Reason.SMTP_UNREACHABLE
    elif probe.failure is ProbeFailure.TIMEOUT:
        outcome.reason = Reason.SMTP_TIMEOUT
    elif outcome.smtp_code and 400 <= outcome.smtp_code < 500:
        outcome.reason = Reason.GREYLISTED
    elif outcome.smtp_code and outcome.smtp_code >= 500:
        outcome.reason = Reason.BLOCKED
    else:
        outcome.reason = Reason.SMTP_ERROR
