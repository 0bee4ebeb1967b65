"""Dashboard members for the in-process tests: a person with a password and a role in a workspace, and a
client signed in as them (the sign-in form posted as a browser would, CSRF cookie included)."""

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from coldsend.clock import utcnow
from coldsend.db.session import session_scope
from coldsend.models import DashboardSession, MemberRole, User, Workspace
from coldsend.web import identity
from coldsend.workspace_members import service as member_service
from coldsend.workspace_members.schemas import WorkspaceMemberCreate
from tests.conftest import client_for

PASSWORD = "a long enough passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def new_email(prefix: str = "member") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def add_member(app: FastAPI, workspace_id: uuid.UUID, email: str, role: MemberRole) -> None:
    """A joined member with a password (the owner of a workspace already is a member: their password only)."""
    async with session_scope(app.state.sessionmaker) as session:
        if role != MemberRole.OWNER:
            member = await member_service.create(
                session, workspace_id=workspace_id, member_in=WorkspaceMemberCreate(email=email, role=role)
            )
            await member_service.accept(session, member)
        user = await identity.user_by_email(session, email)
        assert user is not None
        await identity.set_password(session, user, PASSWORD)


async def owner_email(app: FastAPI, workspace_id: uuid.UUID) -> str:
    async with session_scope(app.state.sessionmaker) as session:
        workspace = await session.get(Workspace, workspace_id)
        assert workspace is not None
        owner = await session.get(User, workspace.owner_id)
        assert owner is not None
        return owner.email


def csrf_in(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


async def post_sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/sign-in")
    return await client.post(
        "/sign-in", data={"csrf_token": csrf_in(form), "email": email, "password": password, "next": "/"}
    )


@asynccontextmanager
async def signed_in(app: FastAPI, email: str, password: str = PASSWORD) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        response = await post_sign_in(client, email, password)
        assert response.status_code == 303, response.text[:500]
        yield client


async def csrf_of(client: httpx.AsyncClient) -> str:
    return csrf_in(await client.get("/campaigns"))


async def age_sessions(
    app: FastAPI, email: str, *, idle: timedelta | None = None, expired: bool = False
) -> None:
    """Make the user's sessions look unused for `idle`, or past their absolute end."""
    async with session_scope(app.state.sessionmaker) as session:
        user = await identity.user_by_email(session, email)
        assert user is not None
        values = {}
        if idle is not None:
            values["last_seen_at"] = utcnow() - idle
        if expired:
            values["expires_at"] = utcnow() - timedelta(seconds=1)
        await session.execute(
            update(DashboardSession).where(DashboardSession.user_id == user.id).values(**values)
        )
