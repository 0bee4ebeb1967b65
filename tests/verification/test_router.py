"""POST /email-verification and GET /email-verification/{email}, against real DNS and SMTP on loopback."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from coldsend.db.session import session_scope
from coldsend.models import EmailVerification
from tests.conftest import MakeTenant, Tenant, client_for
from tests.verification.conftest import (
    IDN_DOMAIN,
    MailWorld,
    WebhookReceiver,
    final_result,
)
from tests.waiting import eventually

PATH = "/api/v2/email-verification"


@pytest.fixture
async def client(verifying_app: FastAPI, tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(verifying_app, tenant.key) as verifying_client:
        yield verifying_client


def expected(
    email: str, verification_status: str, catch_all: bool | str, status: str = "success"
) -> dict[str, Any]:
    return {
        "status": status,
        "email": email,
        "verification_status": verification_status,
        "catch_all": catch_all,
        "credits": None,
        "credits_used": 1,
    }


# (address sent, address shown, verification_status, catch_all, status)
CASES = {
    "deliverable": ("alice@deliverable.example", "alice@deliverable.example", "verified", False, "success"),
    "unknown-user": ("nobody@deliverable.example", "nobody@deliverable.example", "invalid", False, "success"),
    "catch-all": ("someone@catchall.example", "someone@catchall.example", "verified", True, "success"),
    "a-fallback": ("bob@fallback.example", "bob@fallback.example", "verified", False, "success"),
    "null-mx": ("x@nullmx.example", "x@nullmx.example", "invalid", False, "success"),
    "nxdomain": ("x@nowhere.example", "x@nowhere.example", "invalid", False, "success"),
    "mx-timeout": ("x@slowpoke.example", "x@slowpoke.example", "invalid", False, "error"),
    "disposable": ("temp@mailinator.com", "temp@mailinator.com", "verified", False, "success"),
    "role": ("info@deliverable.example", "info@deliverable.example", "verified", False, "success"),
    "idn": ("Anna@Bücher.example", f"anna@{IDN_DOMAIN}", "verified", False, "success"),
}


class TestCreateEmailVerification:
    @pytest.mark.parametrize("case", CASES)
    async def test_result(self, client: httpx.AsyncClient, case: str) -> None:
        email, shown, verification_status, catch_all, status = CASES[case]
        result = expected(shown, verification_status, catch_all, status)
        response = await client.post(PATH, json={"email": email})
        assert response.status_code == 200, response.text
        assert response.json() == result
        fetched = await client.get(f"{PATH}/{result['email']}")
        assert fetched.status_code == 200
        assert fetched.json() == result

    async def test_greylisted_then_accepted(self, client: httpx.AsyncClient, mail_world: MailWorld) -> None:
        response = await client.post(PATH, json={"email": "grey@greylist.example"})
        assert response.status_code == 200, response.text
        assert response.json() == expected("grey@greylist.example", "verified", False)
        replies = [rcpt.reply.split()[0] for rcpt in mail_world.mx.rcpts_to("grey@greylist.example")]
        assert replies == ["451", "250"]

    async def test_probe_is_polite_and_never_sends_data(
        self, client: httpx.AsyncClient, mail_world: MailWorld
    ) -> None:
        response = await client.post(PATH, json={"email": "carol@deliverable.example"})
        assert response.json()["verification_status"] == "verified"
        [rcpt] = mail_world.mx.rcpts_to("carol@deliverable.example")
        assert (rcpt.ehlo, rcpt.mail_from, rcpt.tls) == ("probe.coldsend.test", "probe@coldsend.test", True)
        assert mail_world.mx.data_commands == 0

    async def test_cached_result_is_not_probed_again(
        self, client: httpx.AsyncClient, mail_world: MailWorld
    ) -> None:
        first = await client.post(PATH, json={"email": "lead@deliverable.example"})
        again = await client.post(PATH, json={"email": "LEAD@deliverable.example"})
        assert first.json() == expected("lead@deliverable.example", "verified", False)
        assert again.json() == {**first.json(), "credits_used": 0}
        assert len(mail_world.mx.rcpts_to("lead@deliverable.example")) == 1

    async def test_richer_result_is_stored(
        self, client: httpx.AsyncClient, verifying_app: FastAPI, tenant: Tenant
    ) -> None:
        await client.post(PATH, json={"email": "info@deliverable.example"})
        async with session_scope(verifying_app.state.sessionmaker) as session:
            row = await session.scalar(
                select(EmailVerification).where(
                    EmailVerification.workspace_id == tenant.workspace_id,
                    EmailVerification.email == "info@deliverable.example",
                )
            )
        assert row is not None
        assert (row.reachability, row.reason) == ("risky", "role")
        assert row.details["mx_host"] == "mx.deliverable.example"
        assert row.details["smtp_code"] == 250

    async def test_lead_status_follows_the_result(self, client: httpx.AsyncClient) -> None:
        created = await client.post("/api/v2/leads", json={"email": "Nobody@Deliverable.example"})
        assert created.status_code == 200, created.text
        assert created.json()["verification_status"] in (None, 11)
        await client.post(PATH, json={"email": "nobody@deliverable.example"})
        lead = await client.get(f"/api/v2/leads/{created.json()['id']}")
        assert lead.json()["verification_status"] == -1

    async def test_another_workspace_sees_nothing(
        self, client: httpx.AsyncClient, verifying_app: FastAPI, make_tenant: MakeTenant
    ) -> None:
        await client.post(PATH, json={"email": "alice@deliverable.example"})
        other = await make_tenant()
        async with client_for(verifying_app, other.key) as other_client:
            response = await other_client.get(f"{PATH}/alice@deliverable.example")
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "error": "Not Found", "message": "Resource not found"}


class TestPending:
    async def test_greylisted_retry_is_left_to_the_engine(
        self, impatient_app: FastAPI, tenant: Tenant, mail_world: MailWorld
    ) -> None:
        async with client_for(impatient_app, tenant.key) as client:
            response = await client.post(PATH, json={"email": "grey2@greylist.example"})
            assert response.json() == expected("grey2@greylist.example", "pending", "pending")
            assert await final_result(client, "grey2@greylist.example") == expected(
                "grey2@greylist.example", "verified", False
            )
        replies = [rcpt.reply.split()[0] for rcpt in mail_world.mx.rcpts_to("grey2@greylist.example")]
        assert replies == ["451", "250"]

    @pytest.mark.parametrize("failures", [0, 2])
    async def test_slow_probe_answers_pending_then_webhook_once(
        self,
        impatient_app: FastAPI,
        tenant: Tenant,
        mail_world: MailWorld,
        webhook_receiver: WebhookReceiver,
        failures: int,
    ) -> None:
        webhook_receiver.failures_left = failures
        late = f"late{failures}@gated.example"
        mail_world.mx.gate.clear()
        client = client_for(impatient_app, tenant.key)
        response = await client.post(PATH, json={"email": late, "webhook_url": webhook_receiver.url})
        assert response.status_code == 200, response.text
        assert response.json() == expected(late, "pending", "pending")
        assert (await client.get(f"{PATH}/{late}")).json()["verification_status"] == "pending"
        mail_world.mx.gate.set()
        final = await final_result(client, late)
        assert final == expected(late, "verified", False)

        async def delivered() -> bool:
            async with impatient_app.state.sessionmaker() as session:
                row = await session.scalar(
                    select(EmailVerification).where(
                        EmailVerification.workspace_id == tenant.workspace_id,
                        EmailVerification.email == late,
                    )
                )
            return row is not None and row.webhook_status == "delivered"

        # Once marked delivered, no engine worker can claim the webhook again; failed tries were retried.
        await eventually(delivered, "the webhook delivery")
        assert webhook_receiver.bodies() == [final] * (failures + 1)
        await client.aclose()


BAD_EMAIL = 'body/email must match format "email"'
BAD_URL = "body/webhook_url must be an http or https URL"
GOOD = "a@deliverable.example"
BAD_BODIES = [
    ({"email": "not-an-email"}, BAD_EMAIL),
    ({"email": "a@@b.example"}, BAD_EMAIL),
    ({}, "body must have required property 'email'"),
    ({"email": "x" * 65 + "@deliverable.example"}, BAD_EMAIL),
    ({"email": "l" * 60 + "@" + ".".join(["d" * 60] * 4) + ".example"}, BAD_EMAIL),
    ({"email": GOOD, "webhook_url": "ftp://example.com/hook"}, BAD_URL),
    ({"email": GOOD, "webhook_url": "not a url"}, BAD_URL),
    ({"email": GOOD, "webhook_url": None}, "body/webhook_url must be string"),
    ({"email": GOOD, "extra": 1}, "body must NOT have additional properties"),
    ({"email": 5}, "body/email must be string"),
]


class TestCredits:
    async def test_allowance_is_counted_then_402(self, metered_app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant = await make_tenant()
        async with client_for(metered_app, tenant.key) as client:
            first = await client.post(PATH, json={"email": "alice@deliverable.example"})
            cached = await client.post(PATH, json={"email": "alice@deliverable.example"})
            second = await client.post(PATH, json={"email": "x@nowhere.example"})
            refused = await client.post(PATH, json={"email": "bob@fallback.example"})
            fetched = await client.get(f"{PATH}/alice@deliverable.example")
        assert (first.json()["credits"], first.json()["credits_used"]) == (1, 1)
        assert (cached.json()["credits"], cached.json()["credits_used"]) == (1, 0)
        assert (second.json()["credits"], second.json()["credits_used"]) == (0, 1)
        assert refused.status_code == 402
        assert refused.json() == {
            "statusCode": 402,
            "error": "Payment Required",
            "message": "No email verification credits left in this workspace",
        }
        assert fetched.json()["credits"] == 0


class TestBadInput:
    @pytest.mark.parametrize(("body", "message"), BAD_BODIES)
    async def test_400(self, client: httpx.AsyncClient, body: dict[str, Any], message: str) -> None:
        response = await client.post(PATH, json=body)
        assert response.status_code == 400
        assert response.json() == {"statusCode": 400, "error": "Bad Request", "message": message}

    async def test_private_webhook_refused_by_default(self, tenant: Tenant) -> None:
        # The session app keeps the default: no webhooks to loopback or private addresses.
        response = await tenant.client.post(
            PATH, json={"email": "a@deliverable.example", "webhook_url": "http://127.0.0.1:9/hook"}
        )
        assert response.status_code == 400
        assert (
            response.json()["message"] == "body/webhook_url must not point at a loopback or private address"
        )

    async def test_get_malformed_email_400(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"{PATH}/not-an-email")
        assert response.status_code == 400
        assert response.json()["message"] == 'params/email must match format "email"'

    async def test_get_unknown_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"{PATH}/{uuid.uuid4().hex}@deliverable.example")
        assert response.status_code == 404
