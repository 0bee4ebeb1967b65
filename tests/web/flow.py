"""What the browser flow of test_dashboard.py builds around the served site: its fixtures (the SMTP sink, the
owner's browser context, what earlier tests made), the DNS records of the sending domain, an HTML-only
hostile reply, another workspace's campaign, and a real inbox placement test (the copy taken from the sink
and put in a seed mailbox on Dovecot, as the seed's provider would)."""

import base64
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext

from tests.imap_server import Dovecot
from tests.inbox.mailboxes import PASSWORD as MAILBOX_PASSWORD
from tests.inbox.mailboxes import deliver
from tests.inbox.messages import new_message_id, now_header, raw_message, reply
from tests.smtp_sink import SmtpSink
from tests.web.site import Site, run_cli
from tests.web.world import ACCOUNT

DOMAIN = ACCOUNT.rpartition("@")[2]
DKIM_KEY = base64.b64encode(b"not a real key, only its presence is checked").decode()
HOSTILE_REPLY = "<script>window.pwned=2</script> Yes, let us talk."
HTML_REPLY_TEXT = "Hello from an HTML-only reply"
REMOTE_IMAGE = "http://192.0.2.1/pixel.png"


@pytest.fixture(scope="module")
def sink() -> Iterator[SmtpSink]:
    started = SmtpSink(users={ACCOUNT: MAILBOX_PASSWORD}).start()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    """What the tests of the module made, for the later ones."""
    return {}


@pytest.fixture(scope="module")
async def owner(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context()
    try:
        yield context
    finally:
        await context.close()


def account_form(sink: SmtpSink, dovecot: Dovecot) -> dict[str, str]:
    """The Add account form's fields for the account on the sink (SMTP) and Dovecot (IMAP)."""
    return {
        "#email": ACCOUNT,
        "#first_name": "Sam",
        "#last_name": "Seller",
        "#smtp_host": sink.host,
        "#smtp_port": str(sink.port),
        "#smtp_username": ACCOUNT,
        "#smtp_password": MAILBOX_PASSWORD,
        "#imap_host": dovecot.host,
        "#imap_port": str(dovecot.port),
        "#imap_username": ACCOUNT,
        "#imap_password": MAILBOX_PASSWORD,
        "#daily_limit": "500",
        "#sending_gap": "0",
    }


def sending_domain_records(site: Site) -> None:
    """MX, SPF and a DKIM key at a common selector for the account's domain; no DMARC record."""
    site.dns.add(DOMAIN, "MX", "10 mx.coldsend-dashboard.test.")
    site.dns.add(DOMAIN, "TXT", "v=spf1 ip4:127.0.0.1 -all")
    site.dns.add(f"default._domainkey.{DOMAIN}", "TXT", f"v=DKIM1; k=rsa; p={DKIM_KEY}")


def html_only_reply(to_message_id: str, from_email: str, subject: str) -> bytes:
    """A reply whose only part is HTML carrying a script and a remote image."""
    html = f'<script>window.pwned=3</script><p>{HTML_REPLY_TEXT}</p><img src="{REMOTE_IMAGE}" alt="">'
    headers = [
        ("Date", now_header()),
        ("Message-ID", new_message_id("example.org")),
        ("From", f"<{from_email}>"),
        ("To", f"<{ACCOUNT}>"),
        ("Subject", subject),
        ("In-Reply-To", to_message_id),
        ("References", to_message_id),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'text/html; charset="UTF-8"'),
    ]
    return raw_message(headers, html)


def lead_replies(sink: SmtpSink) -> list[bytes]:
    """lead1's reply carrying a script in its text; lead2's HTML-only reply with a script and an image."""
    sent = {item.rcpt_tos[0]: item.message for item in sink.received}
    first, second = sent["lead1@example.org"], sent["lead2@example.org"]
    text = reply(
        to_message_id=first["Message-ID"],
        from_email="lead1@example.org",
        to_email=ACCOUNT,
        body=HOSTILE_REPLY,
        subject=f"Re: {first['Subject']}",
    )
    return [text, html_only_reply(second["Message-ID"], "lead2@example.org", f"Re: {second['Subject']}")]


def schedule_body(name: str) -> dict[str, Any]:
    """A campaign's body with a schedule and nothing else."""
    schedule = {
        "name": "s",
        "timing": {"from": "09:00", "to": "17:00"},
        "days": {"1": True},
        "timezone": "Etc/GMT+12",
    }
    return {"name": name, "campaign_schedule": {"schedules": [schedule]}}


async def api_json(site: Site, path: str, params: dict[str, str]) -> Any:
    async with site.api() as api:
        response = await api.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def another_workspaces_campaign(site: Site) -> str:
    other = run_cli(site, "workspace", "create", "--name", "Someone else")
    assert other.returncode == 0, other.stderr
    made = ("api-key", "create", "--name", "k", "--scopes", "all:all", "--workspace", other.stdout.strip())
    key = run_cli(site, *made).stdout.strip()
    async with httpx.AsyncClient(base_url=site.url, headers={"Authorization": f"Bearer {key}"}) as api:
        theirs = await api.post("/api/v2/campaigns", json=schedule_body("Theirs"))
    assert theirs.status_code == 200, theirs.text
    return str(theirs.json()["id"])


async def run_placement_test(site: Site, sink: SmtpSink, dovecot: Dovecot) -> str:
    """A one-time test from the account to one seed on Dovecot (a Google mailbox by its MX): the copy the
    site sends reaches the sink, which hands it to the seed's INBOX. Its id."""
    seed = f"seed-{site.backend}@seeds.test"
    dovecot.add_user(seed, MAILBOX_PASSWORD)
    site.dns.add("seeds.test", "MX", "5 aspmx.l.google.com.")
    mailbox = {"imap_host": dovecot.host, "imap_port": dovecot.port, "imap_password": MAILBOX_PASSWORD}
    test = {
        "name": "Before the spring campaign",
        "type": 1,
        "sending_method": 1,
        "delivery_mode": 2,
        "email_subject": "A quick question, {{firstName}}",
        "email_body": "Hi there, would a short call next week work?",
        "emails": [ACCOUNT],
    }
    before = len(sink.received)
    async with site.api() as api:
        created = await api.post(
            "/api/v2/inbox-placement-tests/seeds", json={"email": seed, "imap_tls": "cleartext", **mailbox}
        )
        assert created.status_code == 200, created.text
        started = await api.post("/api/v2/inbox-placement-tests", json=test)
        assert started.status_code == 200, started.text
    await sink.wait_for(before + 1, timeout=60)
    copy = next(item for item in sink.received[before:] if item.rcpt_tos == [seed])
    await deliver(dovecot, seed, copy.raw)
    return str(started.json()["id"])
