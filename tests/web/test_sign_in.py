"""Sign-in, sessions, CSRF and the login throttle, in process (both backends)."""

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from coldsend.models import MemberRole
from tests.conftest import MakeTenant, OverrideSettings, client_for
from tests.web.members import PASSWORD, add_member, age_sessions, csrf_of, new_email, post_sign_in, signed_in


@pytest.fixture
def fresh_throttle(app: FastAPI, override_settings: OverrideSettings) -> Iterator[OverrideSettings]:
    """Every client here comes from one IP: each test starts with an empty login throttle."""
    _forget_throttle(app)
    yield override_settings
    _forget_throttle(app)


def _forget_throttle(app: FastAPI) -> None:
    if hasattr(app.state, "login_throttle"):
        del app.state.login_throttle


class TestSignIn:
    async def test_right_password_opens_a_session_cookie(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        async with client_for(app) as client:
            response = await post_sign_in(client, email, PASSWORD)
            assert response.status_code == 303
            cookie = response.headers["set-cookie"]
            assert "coldsend_session=" in cookie
            assert "HttpOnly" in cookie
            assert "SameSite=lax" in cookie
            assert "Secure" not in cookie  # the public URL is http here
            page = await client.get("/campaigns")
            assert page.status_code == 200
            assert email in page.text
            assert client.cookies["coldsend_session"] not in page.text

    async def test_cookies_are_secure_when_the_public_url_is_https(
        self, app: FastAPI, make_tenant: MakeTenant, override_settings: OverrideSettings
    ) -> None:
        override_settings(public_url="https://coldsend.example")
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.EDITOR)
        transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 4321))
        async with httpx.AsyncClient(transport=transport, base_url="https://coldsend.test") as client:
            form = await client.get("/sign-in")
            assert "Secure" in form.headers["set-cookie"]  # the sign-in form's CSRF cookie
            response = await post_sign_in(client, email, PASSWORD)
            assert response.status_code == 303
            cookie = response.headers["set-cookie"]
            assert "coldsend_session=" in cookie
            assert "Secure" in cookie
            assert "HttpOnly" in cookie

    async def test_wrong_password_and_unknown_address_read_the_same(
        self, app: FastAPI, make_tenant: MakeTenant, fresh_throttle: OverrideSettings
    ) -> None:
        del fresh_throttle
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        async with client_for(app) as client:
            wrong = await post_sign_in(client, email, "not the password")
            unknown = await post_sign_in(client, new_email("nobody"), PASSWORD)
            assert wrong.status_code == unknown.status_code == 400
            assert "Wrong email or password" in wrong.text
            assert "Wrong email or password" in unknown.text
            assert "coldsend_session" not in client.cookies

    async def test_an_address_is_throttled_after_its_failures(
        self, app: FastAPI, make_tenant: MakeTenant, fresh_throttle: OverrideSettings
    ) -> None:
        fresh_throttle(login_attempts_per_address=3, login_attempts_per_ip=100)
        tenant, email, other = await make_tenant(), new_email(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        await add_member(app, tenant.workspace_id, other, MemberRole.VIEW)
        async with client_for(app) as client:
            for _ in range(3):
                assert (await post_sign_in(client, email, "wrong guess")).status_code == 400
            refused = await post_sign_in(client, email, PASSWORD)
            assert refused.status_code == 429
            assert "Too many failed sign-ins" in refused.text
            assert (await post_sign_in(client, other, PASSWORD)).status_code == 303

    async def test_an_ip_is_throttled_across_addresses(
        self, app: FastAPI, make_tenant: MakeTenant, fresh_throttle: OverrideSettings
    ) -> None:
        fresh_throttle(login_attempts_per_address=100, login_attempts_per_ip=4)
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        async with client_for(app) as client:
            for _ in range(4):
                assert (await post_sign_in(client, new_email("spray"), "guess")).status_code == 400
            assert (await post_sign_in(client, email, PASSWORD)).status_code == 429

    async def test_sign_in_form_without_its_csrf_cookie_is_refused(self, app: FastAPI) -> None:
        async with client_for(app) as client:
            response = await client.post(
                "/sign-in", data={"csrf_token": "x", "email": "a@b.c", "password": "y"}
            )
            assert response.status_code == 403

    async def test_next_goes_only_to_a_path_of_this_site(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        async with client_for(app) as client:
            form = await client.get("/sign-in?next=//evil.example/x")
            assert "//evil.example" not in form.text


class TestSessions:
    async def test_signed_out_pages_redirect_to_sign_in(self, anonymous: httpx.AsyncClient) -> None:
        for path in ("/campaigns", "/leads?search=x", "/settings/api-keys"):
            response = await anonymous.get(path)
            assert response.status_code == 303
            assert response.headers["location"].startswith("/sign-in?next=%2F")
        assert (await anonymous.post("/campaigns/new", data={"name": "x"})).status_code == 401

    async def test_idle_and_absolute_expiry(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        async with signed_in(app, email) as client:
            assert (await client.get("/campaigns")).status_code == 200
            await age_sessions(app, email, idle=timedelta(hours=9))
            gone = await client.get("/campaigns")
            assert gone.status_code == 303
            assert gone.headers["location"] == "/sign-in?next=%2Fcampaigns"
        async with signed_in(app, email) as client:
            await age_sessions(app, email, idle=timedelta(hours=7))
            assert (await client.get("/campaigns")).status_code == 200
            await age_sessions(app, email, expired=True)
            assert (await client.get("/campaigns")).status_code == 303

    async def test_sign_out_ends_the_session(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.VIEW)
        async with signed_in(app, email) as client:
            cookie = client.cookies["coldsend_session"]
            token = await csrf_of(client)
            assert (await client.post("/sign-out", data={"csrf_token": token})).status_code == 303
        async with client_for(app) as replay:
            replay.cookies.set("coldsend_session", cookie)
            assert (await replay.get("/campaigns")).status_code == 303

    async def test_a_post_needs_the_sessions_csrf_token(self, app: FastAPI, make_tenant: MakeTenant) -> None:
        tenant, email = await make_tenant(), new_email()
        await add_member(app, tenant.workspace_id, email, MemberRole.ADMIN)
        async with signed_in(app, email) as client:
            body = {"name": "k", "scopes": "campaigns:read"}
            assert (await client.post("/settings/api-keys", data=body)).status_code == 403
            forged = await client.post("/settings/api-keys", data={**body, "csrf_token": "forged"})
            assert forged.status_code == 403
            made = await client.post("/settings/api-keys", data={**body, "csrf_token": await csrf_of(client)})
            assert made.status_code == 200
            listed = await tenant.client.get("/api/v2/api-keys")
            assert [key["name"] for key in listed.json()["items"]].count("k") == 1
