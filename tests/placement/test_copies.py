"""What a copy is and where it goes: rendered exactly as campaign mail (spintax, `{{email}}`, the account's
signature, and the test's campaign's unsubscribe header, open and link tracking; none of them with
`text_only` and no campaign), from the accounts the test's `tags` pick, to the seeds its
`recipients_labels` pick, never to a seed on the sender's own domain."""

import re
import uuid
from typing import Any

from fastapi import FastAPI

from coldsend.clock import ManualClock
from coldsend.engine.placement_loop import PlacementLoop
from coldsend.engine.serial import EngineLock
from tests.conftest import Tenant
from tests.dns_server import serve_dns
from tests.factories import create_campaign, create_sink_account, step
from tests.imap_server import _free_port
from tests.placement.world import TESTS, loop_start
from tests.smtp_sink import SmtpSink

SENDER = "al@acme.test"
SIGNATURE = "<b>Al Smith</b>, Acme"
SEEDS = {"one@seeds.test": "Google", "two@seeds.test": "Microsoft", "box@acme.test": "Google"}
GOOGLE = {"region": "North America", "sub_region": "US", "type": "Professional", "esp": "Google"}
SUBJECT = "{{RANDOM | Quick idea | A quick idea}} for {{email}}"
BODY = '<p>Hi, see <a href="https://example.org/offer">the offer</a>.</p><p>{{accountSignature}}</p>'
TRACKED = re.compile(r'(?:href|src)="[^"]*/t/(open|click)/[^"]*"')


async def tag_sender(tenant: Tenant) -> str:
    tag: str = (await tenant.client.post("/api/v2/custom-tags", json={"label": "placement"})).json()["id"]
    toggle = {"tag_ids": [tag], "resource_type": 1, "resource_ids": [SENDER], "assign": True}
    assert (await tenant.client.post("/api/v2/custom-tags/toggle-resource", json=toggle)).status_code == 200
    return tag


async def create_test(tenant: Tenant, tag: str, **fields: Any) -> None:
    body = {
        "name": "Copies",
        "type": 1,
        "sending_method": 1,
        "delivery_mode": 2,
        "email_subject": SUBJECT,
        "email_body": BODY,
        "emails": [],
        "tags": [tag],
        "recipients_labels": [GOOGLE],
        **fields,
    }
    response = await tenant.client.post(TESTS, json=body)
    assert response.status_code == 200, response.text
    assert sorted(response.json()["recipients"]) == ["box@acme.test", "one@seeds.test"]


async def test_copies_are_campaign_mail_to_the_seeds_picked(
    app: FastAPI, tenant: Tenant, smtp_sink: SmtpSink
) -> None:
    await create_sink_account(tenant, smtp_sink, SENDER, signature=SIGNATURE)
    await create_sink_account(tenant, smtp_sink, "other@acme.test")  # not tagged: sends nothing
    for email, esp in SEEDS.items():
        body = {
            "email": email,
            "esp": esp,
            "imap_host": "127.0.0.1",
            "imap_port": _free_port(),
            "imap_password": "x",
        }
        assert (await tenant.client.post(f"{TESTS}/seeds", json=body)).status_code == 200
    tag = await tag_sender(tenant)
    campaign = await create_campaign(
        tenant,
        sequences=[{"steps": [step("Hi", "Hello")]}],
        email_list=[SENDER],
        open_tracking=True,
        link_tracking=True,
        insert_unsubscribe_header=True,
    )
    await create_test(tenant, tag, campaign_id=campaign["id"])
    await create_test(tenant, tag, text_only=True)
    with serve_dns() as dns:
        settings = app.state.settings.model_copy(
            update={"dns_nameservers": [dns.nameserver], "placement_spamd_port": _free_port()}
        )
        lock = EngineLock(settings.effective_database_url())
        worker = f"copies:{uuid.uuid4().hex[:6]}"
        loop = PlacementLoop(
            settings, app.state.sessionmaker, ManualClock(loop_start()), lock, worker_id=worker
        )
        try:
            await loop.tick()
        finally:
            await loop.close()
    # One copy per test: to the Google seed the labels pick, not to the one on the sender's own domain.
    assert [(item.mail_from, item.rcpt_tos) for item in smtp_sink.received] == [
        (SENDER, ["one@seeds.test"])
    ] * 2
    tracked, text_only = sorted(smtp_sink.received, key=lambda item: item.message.get_body(("html",)) is None)
    for item in (tracked, text_only):
        assert item.message["Subject"] in ("Quick idea for one@seeds.test", "A quick idea for one@seeds.test")
    html = tracked.message.get_body(("html",))
    assert html is not None
    content = str(html.get_content())
    assert SIGNATURE in content
    assert sorted(TRACKED.findall(content)) == ["click", "open"]
    assert str(tracked.message["List-Unsubscribe"]).startswith("<http")
    assert text_only.message.get_body(("html",)) is None
    plain = text_only.message.get_body(("plain",))
    assert plain is not None
    assert "Al Smith" in str(plain.get_content())
    assert "/t/" not in text_only.raw.decode(errors="replace")
    assert text_only.message["List-Unsubscribe"] is None
