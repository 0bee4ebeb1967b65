"""A placement world: sender accounts on two domains and seed mailboxes at three simulated providers on
the seeds' mail system (the Google ones read through Gmail's IMAP extension, for category tabs), the test
DNS server serving their MX, SPF, DKIM and DMARC records and local blacklist zones, and the placement loop
on a manual clock, ticked by the test."""

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import update

from coldsend import encryption
from coldsend.clock import ManualClock
from coldsend.db.session import session_scope
from coldsend.engine.placement_loop import PlacementLoop
from coldsend.engine.serial import EngineLock
from coldsend.models import Account
from tests.conftest import Tenant
from tests.dns_server import DnsServer, serve_dns
from tests.engine.sending import nine_today, real_now
from tests.placement.seed_mail import SeedMailSystem, seed_mail_system, sieve
from tests.placement.spamd import Spamd
from tests.warmup.mail_system import PASSWORD
from tests.warmup.world import pool_account

TESTS = "/api/v2/inbox-placement-tests"
SEEDS = f"{TESTS}/seeds"
SELECTOR = "cs1"
SENDERS = {"al@alpha.test": "alpha.test", "bo@beta.test": "beta.test"}
MX = {
    "gseed.test": "aspmx.l.google.com.",
    "mseed.test": "mseed-test.mail.protection.outlook.com.",
    "yseed.test": "mta5.am0.yahoodns.net.",
    "alpha.test": "aspmx.l.google.com.",
    "beta.test": "beta-test.mail.protection.outlook.com.",
}
# alpha.test may send from the loopback address; beta.test's SPF names another one, so its copies fail
# SPF and pass DMARC by their aligned DKIM signature.
SPF = {"alpha.test": "v=spf1 ip4:127.0.0.1 -all", "beta.test": "v=spf1 ip4:192.0.2.1 -all"}
DMARC = {"alpha.test": "v=DMARC1; p=reject", "beta.test": "v=DMARC1; p=none"}
SEED_BOXES: dict[str, dict[str, Any]] = {
    "g1@gseed.test": {"sub_region": "US"},
    "g2@gseed.test": {"sub_region": "US"},
    "m1@mseed.test": {"region": "Europe", "sub_region": "DE"},
    "m2@mseed.test": {"region": "Europe", "sub_region": "DE"},
    "y1@yseed.test": {"sub_region": "US"},  # one of the workspace's accounts, marked as a seed
    "y2@yseed.test": {"sub_region": "US", "type": "Personal"},
}
ACCOUNT_SEED = "y1@yseed.test"
# What the seeds' provider does: (sender domain, recipient) into Junk, or discarded (never arrives).
JUNK = [("beta.test", "mseed.test"), ("alpha.test", "yseed.test")]
DISCARD = [("beta.test", "g2@gseed.test")]
# Gmail's tabs: what reaches a Google seed's inbox from this domain is filed under this category.
GMAIL_DOMAINS = ("gseed.test",)
CATEGORIES = [("alpha.test", "g1@gseed.test", "promotions")]
IP_LISTS = ["dnsbl.test", "refused.test", "clean.test", "zen.spamhaus.org"]
DOMAIN_LISTS = ["dbl.test"]


def dkim_key() -> tuple[str, str]:
    """(private key PEM, the public key's DNS TXT record)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, f"v=DKIM1; k=rsa; p={base64.b64encode(public).decode()}"


def serve_records(server: DnsServer) -> dict[str, str]:
    """The world's DNS; the DKIM private keys by sending domain."""
    for domain, host in MX.items():
        server.add(domain, "MX", f"10 {host}")
    keys = {}
    for domain in SENDERS.values():
        pem, record = dkim_key()
        keys[domain] = pem
        server.add(f"{SELECTOR}._domainkey.{domain}", "TXT", record)
        server.add(domain, "TXT", SPF[domain])
        server.add(f"_dmarc.{domain}", "TXT", DMARC[domain])
    server.add("1.0.0.127.dnsbl.test", "A", "127.0.0.2")  # lists the loopback sender
    server.add("1.0.0.127.refused.test", "A", "127.255.255.254")  # "query refused", Spamhaus style
    server.add("clean.test", "A", "192.0.2.53")  # the zone exists and lists nobody
    server.add("beta.test.dbl.test", "A", "127.0.1.2")  # lists beta.test
    return keys


@contextmanager
def placement_world() -> Iterator[tuple[DnsServer, SeedMailSystem, dict[str, str]]]:
    with serve_dns() as server:
        keys = serve_records(server)
        with seed_mail_system(server, sieve(JUNK, DISCARD, CATEGORIES), GMAIL_DOMAINS) as system:
            yield server, system, keys


async def set_dkim(app: FastAPI, tenant: Tenant, email: str, pem: str) -> None:
    """The account's DKIM key (the API has no field for it: an operator stores it)."""
    async with session_scope(app.state.sessionmaker) as session:
        await session.execute(
            update(Account)
            .where(Account.workspace_id == tenant.workspace_id, Account.email == email)
            .values(
                dkim_selector=SELECTOR, dkim_private_key_encrypted=encryption.encrypt(app.state.settings, pem)
            )
        )


async def build(app: FastAPI, tenant: Tenant, system: SeedMailSystem, keys: dict[str, str]) -> None:
    """The senders as accounts (with their DKIM keys), and the six seeds registered."""
    for email, domain in SENDERS.items():
        await pool_account(tenant, system, email)
        await set_dkim(app, tenant, email, keys[domain])
    await pool_account(tenant, system, ACCOUNT_SEED)
    for email, fields in SEED_BOXES.items():
        body: dict[str, Any] = {"email": email, **fields}
        if email != ACCOUNT_SEED:
            system.add_mailbox(email)
            body |= {
                "imap_host": system.dovecot.host,
                "imap_port": system.imap_port(email),
                "imap_password": PASSWORD,
                "imap_tls": "cleartext",
            }
        response = await tenant.client.post(SEEDS, json=body)
        assert response.status_code == 200, response.text


def loop_start() -> datetime:
    """Where the loop's clock starts: today's 09:00 UTC, or the real time when later, since a one-time test
    is due from its creation (stamped with the real time, microseconds included) and the clock must not lag
    it: the real time is rounded up to the next second (`real_now` drops the microseconds)."""
    return max(nine_today(), real_now() + timedelta(seconds=1))


@dataclass
class Placement:
    loop: PlacementLoop
    clock: ManualClock

    async def tick(self, minutes: float = 1) -> None:
        await self.loop.tick()
        self.clock.advance(timedelta(minutes=minutes))


def make_loop(app: FastAPI, server: DnsServer, spamd: Spamd, **overrides: Any) -> Placement:
    values = {
        "dns_nameservers": [server.nameserver],
        "placement_read_seconds": 60.0,
        "placement_missing_minutes": 30.0,
        "placement_one_by_one_seconds": 60.0,
        "placement_ip_blacklists": IP_LISTS,
        "placement_domain_blacklists": DOMAIN_LISTS,
        "placement_spamd_host": spamd.host,
        "placement_spamd_port": spamd.port,
        "smtp_timeout_seconds": 5.0,
        **overrides,
    }
    settings = app.state.settings.model_copy(update=values)
    clock = ManualClock(loop_start())
    lock = EngineLock(settings.effective_database_url())
    worker = f"placement-test:{uuid.uuid4().hex[:8]}"
    return Placement(PlacementLoop(settings, app.state.sessionmaker, clock, lock, worker_id=worker), clock)
