"""POST /accounts/test/vitals: real checks of each account, reported one by one.

DNS (through the configured nameservers): MX, SPF (`v=spf1` at the domain), DKIM (a public key at the
account's selector, or at common selectors when none is set), DMARC (`v=DMARC1` at `_dmarc.`).
Logins: SMTP through `mail/smtp.py`, IMAP through `mail/imap.py`. A failed login is reported by
its outcome (refused, timeout, TLS failure, login refused...), never with what the server sent: the host
and port are the user's to choose, and echoing the peer's bytes would make this a banner grabber.
"""

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.rdtypes.ANY.MX
from cryptography.fernet import InvalidToken

from coldsend import dns as coldsend_dns
from coldsend.accounts import mailbox_settings
from coldsend.accounts.mailbox_settings import Sessions
from coldsend.accounts.schemas import AccountVitals
from coldsend.config import Settings
from coldsend.mail import imap, smtp
from coldsend.models import Account

COMMON_DKIM_SELECTORS = ("default", "google", "selector1", "selector2", "k1", "s1", "dkim", "mail")


@dataclass(frozen=True, slots=True)
class DomainVitals:
    mx: bool
    spf: bool
    dmarc: bool


async def _has_mx(domain: str, nameservers: Sequence[str]) -> bool:
    try:
        answer = await coldsend_dns.resolver(nameservers).resolve(
            dns.name.from_text(domain), "MX", search=False
        )
    except dns.exception.DNSException:
        return False
    # A null MX ("0 .") says the domain takes no mail.
    return any(
        isinstance(rdata, dns.rdtypes.ANY.MX.MX) and rdata.exchange != dns.name.root for rdata in answer
    )


async def _txt_starts(name: str, prefix: str, nameservers: Sequence[str]) -> bool:
    records = await coldsend_dns.txt_records(name, nameservers=nameservers)
    return any(record.strip().lower().startswith(prefix) for record in records)


def _is_dkim_key(record: str) -> bool:
    tags = dict(part.strip().partition("=")[::2] for part in record.split(";") if "=" in part)
    return bool(tags.get("p", "").strip())


async def _has_dkim(domain: str, selectors: Sequence[str], nameservers: Sequence[str]) -> bool:
    found = await asyncio.gather(
        *(
            coldsend_dns.txt_records(f"{selector}._domainkey.{domain}", nameservers=nameservers)
            for selector in selectors
        )
    )
    return any(_is_dkim_key(record) for records in found for record in records)


async def domain_vitals(domain: str, nameservers: Sequence[str]) -> DomainVitals:
    mx, spf, dmarc = await asyncio.gather(
        _has_mx(domain, nameservers),
        _txt_starts(domain, "v=spf1", nameservers),
        _txt_starts(f"_dmarc.{domain}", "v=dmarc1", nameservers),
    )
    return DomainVitals(mx=mx, spf=spf, dmarc=dmarc)


def _unreachable_why(error: BaseException) -> str:
    """What kept a connection from working, from the exceptions it chains: never their text."""
    seen: BaseException | None = error
    visited: set[int] = set()  # a chain can loop back on itself (an error raised while handling its cause)
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if isinstance(seen, ssl.SSLCertVerificationError):
            return "TLS certificate not trusted"
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return "TLS failure"
        if isinstance(seen, TimeoutError):
            return "timed out"
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        seen = seen.__cause__ or seen.__context__
    return "no usable answer"


def _tls_refusal(field: str, security: str) -> str:
    """Why the account's TLS rule stopped a login, in our words (the server's are never echoed)."""
    if security == "none":
        return f'{field} is "none": the password is never sent over a plain connection'
    return f"the server offers no STARTTLS (or refused it), which {field} requires: nothing sent in the clear"


async def _smtp_failure(account: Account, settings: Settings, sessions: Sessions) -> str | None:
    try:
        endpoint = mailbox_settings.smtp_endpoint_for(account, settings, sessions)
    except InvalidToken:
        return "the stored SMTP password cannot be decrypted (the secret key changed)"
    try:
        await smtp.check_login(endpoint)
    except smtp.SmtpSecurityError:
        why = _tls_refusal("smtp_tls", endpoint.security)
        return f"SMTP not logged in ({endpoint.host}:{endpoint.port}): {why}"
    except smtp.SmtpAuthError:
        return f"SMTP login refused ({endpoint.host}:{endpoint.port})"
    except smtp.SmtpError as error:
        return f"SMTP unreachable ({endpoint.host}:{endpoint.port}): {_unreachable_why(error)}"
    return None


async def _imap_failure(account: Account, settings: Settings, sessions: Sessions) -> str | None:
    try:
        endpoint = mailbox_settings.imap_endpoint_for(account, settings, sessions)
    except InvalidToken:
        return "the stored IMAP password cannot be decrypted (the secret key changed)"
    except imap.ImapError:
        return "the account has no IMAP settings"
    try:
        await imap.check_login(endpoint)
    except imap.ImapSecurityError:
        why = _tls_refusal("imap_tls", endpoint.security)
        return f"IMAP not logged in ({endpoint.host}:{endpoint.port}): {why}"
    except imap.ImapAuthError:
        return f"IMAP login refused ({endpoint.host}:{endpoint.port})"
    except imap.ImapError as error:
        return f"IMAP unreachable ({endpoint.host}:{endpoint.port}): {_unreachable_why(error)}"
    return None


async def account_vitals(
    account: Account, settings: Settings, sessions: Sessions, domains: dict[str, "asyncio.Task[DomainVitals]"]
) -> AccountVitals:
    domain = account.email.rpartition("@")[2]
    if domain not in domains:
        domains[domain] = asyncio.create_task(domain_vitals(domain, settings.dns_nameservers))
    selectors = (account.dkim_selector,) if account.dkim_selector else COMMON_DKIM_SELECTORS
    dkim, smtp_failure, imap_failure, by_domain = await asyncio.gather(
        _has_dkim(domain, selectors, settings.dns_nameservers),
        _smtp_failure(account, settings, sessions),
        _imap_failure(account, settings, sessions),
        domains[domain],
    )
    messages = {}
    if smtp_failure is not None:
        messages["smtp"] = smtp_failure
    if imap_failure is not None:
        messages["imap"] = imap_failure
    checks = {
        "mx": by_domain.mx,
        "spf": by_domain.spf,
        "dkim": dkim,
        "dmarc": by_domain.dmarc,
        "smtp": smtp_failure is None,
        "imap": imap_failure is None,
    }
    for name, passed in checks.items():
        if not passed and name not in messages:
            messages[name] = f"no {name.upper()} record found for {domain}"
    if not dkim:
        messages["dkim"] = f"no DKIM public key found for {domain} (selectors: {', '.join(selectors)})"
    return AccountVitals(
        domain=domain, email=account.email, allPass=all(checks.values()), messages=messages, **checks
    )


async def check_accounts(
    accounts: Sequence[Account], settings: Settings, sessions: Sessions
) -> list[AccountVitals]:
    """Every account's vitals, checked concurrently; each domain's shared records are looked up once."""
    domains: dict[str, asyncio.Task[DomainVitals]] = {}
    return list(
        await asyncio.gather(*(account_vitals(account, settings, sessions, domains) for account in accounts))
    )
