"""Renewing an account's access token from three workers at once (each with its own database connections):
one renewal, and the rotated refresh token kept. The Microsoft client of the test provider rotates refresh
tokens and revokes the whole grant when a used one comes back, as a provider with reuse detection does, so
a second renewal, or a lost rotated token, would lock the account out."""

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from coldsend.accounts.mailbox_settings import AccountTokens, smtp_endpoint_for
from coldsend.clock import utcnow
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.mail import smtp
from coldsend.models import Account
from tests.conftest import Tenant
from tests.oauth.world import OAuthWorld, account, connect


async def _about_to_expire(world: OAuthWorld, email: str) -> Account:
    async with session_scope(world.app.state.sessionmaker) as session:
        await session.execute(
            update(Account)
            .where(Account.email == email)
            .values(oauth_token_expires_at=utcnow() + timedelta(minutes=1))
        )
        row = await session.scalar(select(Account).where(Account.email == email))
    assert row is not None
    return row


async def test_workers_renew_once_and_keep_the_rotated_refresh_token(
    world: OAuthWorld, tenant: Tenant, database_url: str
) -> None:
    email = world.mailbox()
    assert (await connect(world, tenant, email, "microsoft"))["status"] == "success"
    row = await _about_to_expire(world, email)
    others = [create_engine(database_url) for _ in range(2)]
    try:
        for engine in others:  # connected before the race, as a running worker is
            async with engine.connect() as connection:
                await connection.execute(select(1))
        sessionmakers = [world.app.state.sessionmaker, *(create_sessionmaker(engine) for engine in others)]
        workers = [AccountTokens(row.id, world.settings, sessionmaker) for sessionmaker in sessionmakers]
        tokens = await asyncio.gather(*(worker(None) for worker in workers))
    finally:
        for engine in others:
            await engine.dispose()
    assert len(set(tokens)) == 1
    assert world.provider.refreshes(email) == 1

    # The next renewal presents the rotated refresh token: the grant is intact and logins go on.
    row = await _about_to_expire(world, email)
    renewed = await workers[0](None)
    assert renewed != tokens[0]
    assert world.provider.refreshes(email) == 2
    await smtp.check_login(smtp_endpoint_for(row, world.settings, world.app.state.sessionmaker))
    assert (await account(tenant, email))["status"] == 1


async def test_a_token_a_server_refused_is_renewed_unless_another_worker_did(
    world: OAuthWorld, tenant: Tenant
) -> None:
    email = world.mailbox()
    assert (await connect(world, tenant, email))["status"] == "success"
    async with world.app.state.sessionmaker() as session:
        row = await session.scalar(select(Account).where(Account.email == email))
    assert row is not None
    tokens = AccountTokens(row.id, world.settings, world.app.state.sessionmaker)
    stored = await tokens(None)
    assert world.provider.refreshes(email) == 0  # good for an hour: used as it is
    renewed = await tokens(stored)  # a server refused it
    assert renewed != stored
    assert world.provider.refreshes(email) == 1
    assert await tokens(stored) == renewed  # refused again by a slower worker: already renewed
    assert world.provider.refreshes(email) == 1
