"""The three OAuth operations and the callback, through the API: init's session and authorization URL,
the session's statuses (pending, success, error, expired), and everything that must not connect a
mailbox: a denied consent, a tampered state, a replayed code, a wrong PKCE verifier, an unticked scope."""

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from coldsend.clock import utcnow
from coldsend.db.session import session_scope
from coldsend.models import OAuthSession
from tests.conftest import MakeKey, MakeTenant, OverrideSettings, Tenant
from tests.oauth.world import PUBLIC_URL, Browser, OAuthWorld, account, connect, init, query_of, status

GOOGLE_SCOPES = {"https://mail.google.com/", "openid", "email", "profile"}
MICROSOFT_SCOPES = {
    "https://outlook.office.com/SMTP.Send",
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "offline_access",
    "openid",
    "email",
    "profile",
}


def client_at(app: FastAPI, key: str, ip: str) -> httpx.AsyncClient:
    """A client calling from an address of its own (the init limits count per IP)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 4321)),
        base_url=PUBLIC_URL,
        headers={"Authorization": f"Bearer {key}"},
    )


def fresh_ip() -> str:
    value = uuid.uuid4().int
    return f"10.{value % 250}.{value // 250 % 250}.{value // 62500 % 250 + 1}"


async def session_row(app: FastAPI, session_id: str) -> OAuthSession:
    async with app.state.sessionmaker() as session:
        row: OAuthSession | None = await session.get(OAuthSession, session_id)
    assert row is not None
    return row


async def accounts_named(tenant: Tenant, email: str) -> list[dict[str, Any]]:
    response = await tenant.client.get("/api/v2/accounts", params={"search": email})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


class TestInit:
    async def test_google_session_and_authorization_url(self, world: OAuthWorld, tenant: Tenant) -> None:
        started = await init(tenant, "google")
        assert set(started) == {"session_id", "auth_url", "expires_at"}
        assert started["auth_url"].startswith(f"{world.provider.url}/authorize?")
        query = query_of(started["auth_url"])
        assert query["client_id"] == world.settings.google_client_id
        assert query["redirect_uri"] == f"{PUBLIC_URL}/oauth/callback/google"
        assert query["response_type"] == "code"
        assert set(query["scope"].split()) == GOOGLE_SCOPES
        assert (query["access_type"], query["prompt"]) == ("offline", "consent")
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43  # base64url of a SHA-256
        session_id, _, secret = query["state"].partition(".")
        assert session_id == started["session_id"]
        assert len(secret) >= 40
        row = await session_row(world.app, started["session_id"])
        assert row.expires_at - row.timestamp_created == timedelta(minutes=10)
        assert started["expires_at"] == row.expires_at.isoformat(timespec="milliseconds")[:23] + "Z"
        assert secret not in (row.state_hash, row.code_verifier_encrypted)
        assert await status(tenant, started["session_id"]) == {"status": "pending"}

    async def test_microsoft_scopes_and_tenant(
        self, world: OAuthWorld, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        query = query_of((await init(tenant, "microsoft"))["auth_url"])
        assert set(query["scope"].split()) == MICROSOFT_SCOPES
        assert query["redirect_uri"] == f"{PUBLIC_URL}/oauth/callback/microsoft"
        assert "access_type" not in query
        defaults = {"microsoft_authorization_url": type(world.settings)().microsoft_authorization_url}
        override_settings(microsoft_tenant="contoso.onmicrosoft.com", **defaults)
        url = (await init(tenant, "microsoft"))["auth_url"]
        assert url.startswith(
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize?"
        )

    @pytest.mark.parametrize("provider", ["google", "microsoft"])
    async def test_without_settings_a_400_names_them(
        self, provider: str, tenant: Tenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(**{f"{provider}_client_id": None, f"{provider}_client_secret": None})
        response = await tenant.client.post(f"/api/v2/oauth/{provider}/init")
        assert response.status_code == 400
        body = response.json()
        assert (body["statusCode"], body["error"]) == (400, "Bad Request")
        setting = f"COLDSEND_{provider.upper()}_CLIENT"
        assert f"{setting}_ID and {setting}_SECRET" in body["message"]
        override_settings(**{f"{provider}_client_id": "an-id"})
        message = (await tenant.client.post(f"/api/v2/oauth/{provider}/init")).json()["message"]
        assert f"set {setting}_SECRET (" in message

    async def test_75_a_minute_per_workspace(self, world: OAuthWorld, make_tenant: MakeTenant) -> None:
        busy = await make_tenant()
        async with client_at(world.app, busy.key, fresh_ip()) as client:
            for _ in range(75):
                assert (await client.post("/api/v2/oauth/google/init")).status_code == 200
            refused = await client.post("/api/v2/oauth/microsoft/init")
        assert refused.status_code == 429
        assert refused.json() == {
            "statusCode": 429,
            "error": "Too Many Requests",
            "message": "Rate limit exceeded for OAuth session creation",
        }
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        other = await make_tenant()  # another workspace is not held back
        assert (await other.client.post("/api/v2/oauth/google/init")).status_code == 200

    async def test_150_a_minute_per_ip(self, world: OAuthWorld, make_tenant: MakeTenant) -> None:
        address = fresh_ip()
        for _ in range(2):
            workspace = await make_tenant()
            async with client_at(world.app, workspace.key, address) as client:
                for _ in range(75):
                    assert (await client.post("/api/v2/oauth/google/init")).status_code == 200
        third = await make_tenant()
        async with client_at(world.app, third.key, address) as client:
            refused = await client.post("/api/v2/oauth/google/init")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        async with client_at(world.app, third.key, fresh_ip()) as client:
            assert (await client.post("/api/v2/oauth/google/init")).status_code == 200


class TestAccess:
    @pytest.mark.usefixtures("world")
    async def test_another_workspaces_session_is_a_404(self, tenant: Tenant, make_tenant: MakeTenant) -> None:
        started = await init(tenant)
        other = await make_tenant()
        for session_id in (started["session_id"], "0" * 32):
            response = await other.client.get(f"/api/v2/oauth/session/status/{session_id}")
            assert response.status_code == 404
            assert response.json()["statusCode"] == 404
        malformed = await other.client.get("/api/v2/oauth/session/status/not-a-session")
        assert malformed.json() == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": 'params/sessionId must match pattern "^[0-9a-f]{32}$"',
        }

    async def test_missing_scope_is_a_403(self, world: OAuthWorld, tenant: Tenant, make_key: MakeKey) -> None:
        started = await init(tenant)
        reader = client_at(world.app, await make_key(tenant.workspace_id, ["accounts:read"]), "203.0.113.7")
        creator = client_at(
            world.app, await make_key(tenant.workspace_id, ["accounts:create"]), "203.0.113.7"
        )
        async with reader, creator:
            for response in (
                await reader.post("/api/v2/oauth/google/init"),
                await reader.post("/api/v2/oauth/microsoft/init"),
                await creator.get(f"/api/v2/oauth/session/status/{started['session_id']}"),
            ):
                assert response.status_code == 403, response.text
                assert response.json()["error"] == "Forbidden"
            assert (await creator.post("/api/v2/oauth/google/init")).status_code == 200
            assert (
                await reader.get(f"/api/v2/oauth/session/status/{started['session_id']}")
            ).status_code == 200

    async def test_without_a_key_only_the_callback_answers(self, world: OAuthWorld) -> None:
        anonymous = Browser(world.app, "nobody@workspace.test")
        page = await anonymous.land(f"{PUBLIC_URL}/oauth/callback/google?state=forged.state&code=x")
        assert page.status_code == 400
        assert "Link not recognised" in page.text
        assert page.headers["cache-control"].startswith("no-store")
        assert page.headers["referrer-policy"] == "no-referrer"
        unknown = await anonymous.land(f"{PUBLIC_URL}/oauth/callback/yahoo?state=a.b&code=x")
        assert unknown.status_code == 404
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=world.app), base_url=PUBLIC_URL
        ) as client:
            assert (await client.post("/api/v2/oauth/google/init")).status_code == 401


class TestCallback:
    async def test_success_creates_the_account(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox("Ada Lovelace")
        started = await init(tenant)
        browser = Browser(world.app, email)
        page = await browser.land(await browser.consent(started["auth_url"]))
        assert page.status_code == 200
        assert "Mailbox connected" in page.text
        assert f"{email} is connected" in page.text
        assert "close this tab" in page.text
        assert await status(tenant, started["session_id"]) == {
            "status": "success",
            "email": email,
            "name": "Ada Lovelace",
        }
        shown = await account(tenant, email)
        assert (shown["provider_code"], shown["status"]) == (2, 1)
        assert (shown["first_name"], shown["last_name"]) == ("Ada", "Lovelace")

    async def test_denied_consent_is_an_error(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox()
        started = await init(tenant)
        browser = Browser(world.app, email)
        page = await browser.land(await browser.consent(started["auth_url"], deny=True))
        assert page.status_code == 400
        assert "Mailbox not connected" in page.text
        assert await status(tenant, started["session_id"]) == {
            "status": "error",
            "error": "access_denied",
            "error_description": "The user denied access",
        }
        assert await accounts_named(tenant, email) == []

    async def test_tampered_state_is_an_error_and_burns_the_session(
        self, world: OAuthWorld, tenant: Tenant
    ) -> None:
        email = world.mailbox()
        started = await init(tenant)
        browser = Browser(world.app, email)
        callback = await browser.consent(started["auth_url"])
        state = query_of(callback)["state"]
        forged = callback.replace(f"state={state}", f"state={state[:33]}{'A' * (len(state) - 33)}")
        assert forged != callback
        assert (await browser.land(forged)).status_code == 400
        result = await status(tenant, started["session_id"])
        assert (result["status"], result["error"]) == ("error", "invalid_state")
        page = await browser.land(callback)  # the genuine redirect comes too late
        assert page.status_code == 400
        assert "already used" in page.text
        assert await accounts_named(tenant, email) == []

    async def test_a_replayed_code_is_an_error(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox()
        first = await init(tenant)
        browser = Browser(world.app, email)
        first_callback = await browser.consent(first["auth_url"])
        assert (await browser.land(first_callback)).status_code == 200
        replay = await browser.land(first_callback)  # the same redirect again: nothing more happens
        assert replay.status_code == 400
        assert "already used" in replay.text
        assert (await status(tenant, first["session_id"]))["status"] == "success"
        second = await init(tenant)
        second_state = query_of(await browser.consent(second["auth_url"]))["state"]
        used_code = query_of(first_callback)["code"]
        page = await browser.land(f"{PUBLIC_URL}/oauth/callback/google?state={second_state}&code={used_code}")
        assert page.status_code == 400
        result = await status(tenant, second["session_id"])
        assert (result["status"], result["error"]) == ("error", "invalid_grant")
        assert "already redeemed" in result["error_description"]

    async def test_a_wrong_pkce_verifier_is_an_error(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox()
        started = await init(tenant)
        challenge = query_of(started["auth_url"])["code_challenge"]
        substituted = started["auth_url"].replace(challenge, "B" * 43)  # someone else's challenge
        browser = Browser(world.app, email)
        assert (await browser.land(await browser.consent(substituted))).status_code == 400
        assert await status(tenant, started["session_id"]) == {
            "status": "error",
            "error": "invalid_grant",
            "error_description": "Invalid code verifier.",
        }
        assert await accounts_named(tenant, email) == []

    async def test_an_unticked_mail_scope_is_an_error(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox()
        started = await init(tenant)
        browser = Browser(world.app, email)
        await browser.land(await browser.consent(started["auth_url"], untick="https://mail.google.com/"))
        result = await status(tenant, started["session_id"])
        assert (result["status"], result["error"]) == ("error", "insufficient_scope")
        assert "https://mail.google.com/" in result["error_description"]
        assert await accounts_named(tenant, email) == []

    async def test_expired_session(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox()
        started = await init(tenant)
        callback = await Browser(world.app, email).consent(started["auth_url"])
        async with session_scope(world.app.state.sessionmaker) as session:  # ten minutes pass
            await session.execute(
                update(OAuthSession)
                .where(OAuthSession.id == started["session_id"])
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
        assert await status(tenant, started["session_id"]) == {"status": "expired"}
        page = await Browser(world.app, email).land(callback)
        assert page.status_code == 400
        assert "expired" in page.text
        assert await status(tenant, started["session_id"]) == {"status": "expired"}
        assert await accounts_named(tenant, email) == []

    async def test_name_and_address_from_user_info_without_an_id_token(
        self, world: OAuthWorld, tenant: Tenant
    ) -> None:
        world.provider.id_tokens = False
        email = world.mailbox("Grace Hopper")
        result = await connect(world, tenant, email)
        assert result == {"status": "success", "email": email, "name": "Grace Hopper"}

    async def test_microsoft_account(self, world: OAuthWorld, tenant: Tenant) -> None:
        email = world.mailbox("Alan Turing")
        assert (await connect(world, tenant, email, "microsoft"))["status"] == "success"
        assert (await account(tenant, email))["provider_code"] == 3
        async with world.app.state.sessionmaker() as session:
            rows = await session.scalars(select(OAuthSession).where(OAuthSession.email == email))
            assert [row.provider for row in rows] == ["microsoft"]
