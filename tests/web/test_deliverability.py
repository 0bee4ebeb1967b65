"""The Deliverability page's inbox placement tests and their results, in process (both backends): the numbers
equal what /inbox-placement-analytics/stats-by-test-id answers, each copy says where it landed, the reports
say what was checked, and another workspace's test is a 404 page (the browser test runs one for real); a
mailbox whose warmup is on is in the warmup pool's table."""

import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from markupsafe import escape

from coldsend.models import MemberRole
from tests.conftest import MakeTenant, Tenant
from tests.factories import add_placement_run, create_account, create_offline_account
from tests.warmup.world import enable_warmup
from tests.web.members import add_member, new_email, signed_in

TESTS = "/api/v2/inbox-placement-tests"
SENDER = "sender@acme.test"
NAME = "<b>Weekly</b> check"
NOT_RUN = "spamd could not be reached"


async def placement_test(tenant: Tenant, name: str = NAME) -> dict[str, Any]:
    await create_offline_account(tenant, SENDER)
    for seed in ("g@gseed.test", "m@mseed.test", "y@yseed.test", "z@zseed.test"):
        body = {
            "email": seed,
            "imap_host": "127.0.0.1",
            "imap_port": 1143,
            "imap_password": "seed-password",
            "imap_tls": "cleartext",
            "esp": "Google" if seed.startswith("g") else "Microsoft",
        }
        assert (await tenant.client.post(f"{TESTS}/seeds", json=body)).status_code == 200
    test: dict[str, Any] = {
        "name": name,
        "type": 1,
        "sending_method": 1,
        "email_subject": "Hello",
        "email_body": "Hi",
        "emails": [SENDER],
    }
    created = await tenant.client.post(TESTS, json=test)
    assert created.status_code == 200, created.text
    shown: dict[str, Any] = created.json()
    return shown


def copy(seed: str, **fields: Any) -> dict[str, Any]:
    return {"recipient_email": seed, "recipient_esp": 1 if seed.startswith("g") else 2, **fields}


FOUND = {"record_type": 2, "spf_pass": True, "dkim_pass": True, "dmarc_pass": False}
COPIES = [
    copy("g@gseed.test", **FOUND, is_spam=False, has_category=True, folder="INBOX"),
    copy("m@mseed.test", **FOUND, is_spam=True, folder="Junk"),
    copy("y@yseed.test", missing=True),
    copy("z@zseed.test", **FOUND, is_spam=False, folder="INBOX"),
]
REPORT = {
    "domain": "acme.test",
    "domain_ip": "192.0.2.7",
    "domain_blacklist_count": 1,
    "domain_ip_blacklist_count": 0,
    "spam_assassin_score": None,
    "spam_assassin_report": {"ran": False, "error": NOT_RUN},
    "blacklist_report": {"details": []},
}


class TestWarmupPool:
    async def test_a_mailbox_warming_is_in_the_pool(
        self, app: FastAPI, make_tenant: MakeTenant, database_url: str, tmp_path: Path
    ) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        await create_account(tenant, "warm@pool.test")
        await enable_warmup(app, tenant, ["warm@pool.test"], database_url, tmp_path)
        async with signed_in(app, email) as client:
            page = await client.get("/deliverability")
            pool = page.text.split('id="warmup-pool"', 1)[1].split("</table>", 1)[0]
            assert 'href="/accounts/warm@pool.test"' in pool
            account = await client.get("/accounts/warm@pool.test")
            assert "Warmup is <strong>on</strong>" in account.text


class TestPlacementResults:
    async def test_the_list_and_a_tests_copies_and_reports(
        self, app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        test = await placement_test(tenant)
        await add_placement_run(app, test, COPIES, [REPORT])
        stats = await tenant.client.post(
            "/api/v2/inbox-placement-analytics/stats-by-test-id", json={"test_ids": [test["id"]]}
        )
        assert stats.status_code == 200, stats.text
        expected = stats.json()[0]
        assert (expected["count"], expected["inbox_percent"], expected["spam_percent"]) == (4, 50.0, 25.0)

        async with signed_in(app, email) as client:
            listing = await client.get("/deliverability")
            assert listing.status_code == 200
            assert str(escape(NAME)) in listing.text  # escaped, not markup
            assert NAME not in listing.text
            assert f'href="/deliverability/tests/{test["id"]}"' in listing.text
            assert f'data-stat="count">{expected["count"]}<' in listing.text
            assert 'data-stat="inbox">50%<' in listing.text
            assert 'data-stat="spam">25%<' in listing.text

            detail = await client.get(f"/deliverability/tests/{test['id']}")
            assert detail.status_code == 200
            landed = [part.split("<", 1)[0].strip() for part in detail.text.split("<td data-landed>")[1:]]
            assert sorted(landed) == ["inbox", "inbox (category tab)", "missing", "spam"]
            assert detail.text.count(">pass<") == 6  # SPF and DKIM of the three copies found
            assert detail.text.count(">fail<") == 3  # their DMARC
            assert "not run" in detail.text
            assert NOT_RUN in detail.text
            assert "192.0.2.7" in detail.text

    async def test_another_workspaces_test_is_a_404_page(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        mine, theirs, email = await make_tenant(), await make_tenant(), new_email()
        await add_member(app, mine.workspace_id, email, MemberRole.ADMIN)
        test = await placement_test(theirs, name="Their test")
        async with signed_in(app, email) as client:
            listing = await client.get("/deliverability")
            assert "Their test" not in listing.text
            assert "No inbox placement tests yet" in listing.text
            for test_id in (test["id"], str(uuid.uuid4())):
                page = await client.get(f"/deliverability/tests/{test_id}")
                assert page.status_code == 404
                assert "Their test" not in page.text
