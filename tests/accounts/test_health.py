"""`mark_connection_error`, the one place an account enters connection error (the health loop and the
sender call it), seen through the API."""

import uuid

from fastapi import FastAPI
from sqlalchemy import select

from coldsend.accounts.health import mark_connection_error
from coldsend.db.session import session_scope
from coldsend.models import Account
from tests.conftest import Tenant
from tests.factories import ACCOUNTS, create_account


async def mark(app: FastAPI, workspace_id: uuid.UUID, email: str) -> bool:
    async with session_scope(app.state.sessionmaker) as session:
        account = await session.scalar(
            select(Account).where(Account.workspace_id == workspace_id, Account.email == email)
        )
        assert account is not None
        return await mark_connection_error(
            session,
            account,
            "535 5.7.8 authentication failed",
            code="EAUTH",
            command="AUTH",
            response_code=535,
        )


class TestMarkConnectionError:
    async def test_active_account_stops_until_fixed(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "smtp-auth@example.com")
        assert await mark(app, tenant.workspace_id, "smtp-auth@example.com") is True
        shown = (await tenant.client.get(f"{ACCOUNTS}/smtp-auth%40example.com")).json()
        assert shown["status"] == -1
        assert shown["status_message"] == {
            "code": "EAUTH",
            "e_message": "535 5.7.8 authentication failed",
            "command": "AUTH",
            "responseCode": 535,
        }
        assert await mark(app, tenant.workspace_id, "smtp-auth@example.com") is False
        assert (await tenant.client.post(f"{ACCOUNTS}/smtp-auth%40example.com/mark-fixed")).json()[
            "status"
        ] == 1

    async def test_paused_account_stays_paused(self, app: FastAPI, tenant: Tenant) -> None:
        await create_account(tenant, "paused@example.com")
        await tenant.client.post(f"{ACCOUNTS}/paused%40example.com/pause")
        assert await mark(app, tenant.workspace_id, "paused@example.com") is False
        shown = (await tenant.client.get(f"{ACCOUNTS}/paused%40example.com")).json()
        assert shown["status"] == 2
        assert "status_message" not in shown
