"""A test sent from outside Coldsend (sending_method 2): the user sends from another system with the test's
code in the message; each seed is searched for the code, every message found is one row (with its sender's
provider, from MX, and the seed's own verdicts), a message without the code is not, and the run ends with a
report on the outside sender's domain once the missing time is up."""

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from fastapi import FastAPI

from tests.conftest import OverrideSettings, Tenant
from tests.placement.seed_mail import SeedMailSystem
from tests.placement.spamd import Spamd
from tests.placement.test_one_time import ANALYTICS, REPORTS, all_pages, run_until_done
from tests.placement.world import TESTS, build, make_loop, placement_world

OUTSIDE = "zed@outside.test"
CODED = ["g1@gseed.test", "m1@mseed.test", "y2@yseed.test"]
UNCODED = "g2@gseed.test"


def send_from_outside(system: SeedMailSystem, to: list[str], body: str) -> None:
    """One message per seed (the mail system delivers one recipient per transaction), as another tool
    sends."""
    with smtplib.SMTP(system.sink.host, system.sink.port, timeout=10) as client:
        client.login(OUTSIDE, "outside-password")
        for address in to:
            message = EmailMessage()
            message["From"] = OUTSIDE
            message["To"] = address
            message["Subject"] = "Our new offer"
            message["Message-ID"] = make_msgid(domain="outside.test")
            message.set_content(body)
            client.send_message(message)


async def test_outside_copies_are_found_by_test_code(
    app: FastAPI, tenant: Tenant, spamd: Spamd, override_settings: OverrideSettings
) -> None:
    with placement_world() as (server, system, keys):
        override_settings(dns_nameservers=[server.nameserver])
        server.add("outside.test", "MX", "10 aspmx.l.google.com.")
        server.add("outside.test", "TXT", "v=spf1 ip4:127.0.0.1 -all")
        system.sink.users[OUTSIDE] = "outside-password"
        await build(app, tenant, system, keys)
        body = {
            "name": "From our other tool",
            "type": 1,
            "sending_method": 2,
            "email_subject": "Our new offer",
            "email_body": "Hi",
            "emails": [],
            "test_code": "launch-7",
        }
        response = await tenant.client.post(TESTS, json=body)
        assert response.status_code == 200, response.text
        test = response.json()
        assert test["test_code"] == "ptid_launch-7"
        placement = make_loop(app, server, spamd)
        try:
            await placement.tick()  # the run starts, reading only: Coldsend sends nothing
            assert not [item for item in system.sink.received if item.mail_from != OUTSIDE]
            text = f"Hello,\n\na short note about our offer.\n\n{test['test_code']}\n"
            await asyncio.to_thread(send_from_outside, system, CODED, text)
            await asyncio.to_thread(send_from_outside, system, [UNCODED], "Hello, no code in this one.\n")
            await run_until_done(tenant, placement, test["id"])
        finally:
            await placement.loop.close()
        rows = await all_pages(tenant, ANALYTICS, test_id=test["id"])
        assert sorted(row["recipient_email"] for row in rows) == sorted(CODED)
        for row in rows:
            assert (row["record_type"], row["is_spam"], row["sender_email"]) == (2, False, OUTSIDE), row
            assert row["sender_esp"] == 1  # outside.test's MX is Google's
            assert (row["spf_pass"], row["dkim_pass"]) == (True, False), row  # the outside mail is unsigned
        by_seed = {row["recipient_email"]: row["recipient_esp"] for row in rows}
        assert by_seed == {"g1@gseed.test": 1, "m1@mseed.test": 2, "y2@yseed.test": 101}
        [report] = await all_pages(tenant, REPORTS, test_id=test["id"])
        assert (report["domain"], report["domain_ip"]) == ("outside.test", "127.0.0.1")
        assert report["spam_assassin_report"]["ran"] is True
        [stats] = (
            await tenant.client.post(f"{ANALYTICS}/stats-by-test-id", json={"test_ids": [test["id"]]})
        ).json()
        assert (stats["count"], stats["inbox_count"], stats["missing_count"]) == (3, 3, 0)
