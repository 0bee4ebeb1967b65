"""Fixtures: the real app on SQLite and on PostgreSQL, driven over HTTP (ASGI), one workspace per test."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.config import Settings
from coldsend.db import migrate
from coldsend.db.admin import create_database, drop_database
from coldsend.db.session import create_engine, create_sessionmaker, session_scope
from coldsend.workspaces import service as workspace_service
from tests.imap_server import dovecot, make_dovecot  # noqa: F401 (fixtures)
from tests.oauth_provider import oauth_dovecot, oauth_provider, oauth_sink  # noqa: F401 (fixtures)
from tests.smtp_sink import make_smtp_sink, smtp_sink, smtp_sink_ssl, smtp_sink_starttls  # noqa: F401 (fixtures)
from tests.workers import Worker

PG_ADMIN_DSN = os.environ.get("COLDSEND_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("COLDSEND_TEST_BACKENDS", "sqlite,postgresql").split(",")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def create_pg_database() -> tuple[str, str]:
    """A fresh PostgreSQL database for this run: (SQLAlchemy URL, name)."""
    return await create_database(PG_ADMIN_DSN, prefix="coldsend_test_")


async def drop_pg_database(name: str) -> None:
    await drop_database(PG_ADMIN_DSN, name)


@pytest.fixture(scope="session")
async def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "coldsend.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    url, name = await create_pg_database()
    yield url
    await drop_pg_database(name)


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "secret_key": "test-secret-key",
        "rate_limit_per_second": 100_000,
        "rate_limit_per_minute": 1_000_000,
        # Few connections opened at start: four test workers each run apps on one PostgreSQL.
        "database_pool_size": 2,
        "database_max_overflow": 20,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(database_url, tmp_path_factory.mktemp("data")), run_engine=False)
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: FastAPI, key: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 4321)),
        base_url="http://coldsend.test",
        headers=headers,
    )


@dataclass
class Tenant:
    """A workspace of its own, and a client holding one of its API keys."""

    workspace_id: uuid.UUID
    key: str
    client: httpx.AsyncClient


MakeKey = Callable[..., Awaitable[str]]
MakeTenant = Callable[..., Awaitable[Tenant]]


@pytest.fixture
def make_key(app: FastAPI) -> MakeKey:
    async def make(workspace_id: uuid.UUID, scopes: list[str]) -> str:
        async with session_scope(app.state.sessionmaker) as session:
            _key, secret = await api_key_service.create(
                session, workspace_id=workspace_id, name="test key", scopes=scopes
            )
        return secret

    return make


@pytest.fixture
async def make_tenant(app: FastAPI, make_key: MakeKey) -> AsyncIterator[MakeTenant]:
    clients: list[httpx.AsyncClient] = []

    async def make(scopes: list[str] | None = None, owner_email: str = "owner@example.com") -> Tenant:
        async with session_scope(app.state.sessionmaker) as session:
            workspace = await workspace_service.create(
                session, name=f"Workspace {uuid.uuid4().hex[:6]}", owner_email=owner_email
            )
        key = await make_key(workspace.id, scopes or ["all:all"])
        client = client_for(app, key)
        clients.append(client)
        return Tenant(workspace_id=workspace.id, key=key, client=client)

    yield make
    for client in clients:
        await client.aclose()


OverrideSettings = Callable[..., Settings]


@pytest.fixture
def override_settings(app: FastAPI) -> Iterator[OverrideSettings]:
    """Swap some of the running app's settings for one test, and put the originals back after it.

    Not monkeypatch.setattr: Starlette's State keeps attributes outside __dict__, and pytest >= 9.2 undoes a
    setattr on such an object by deleting the attribute, which leaves every later test without settings.
    """
    original: Settings = app.state.settings

    def override(**update: object) -> Settings:
        app.state.settings = app.state.settings.model_copy(update=update)
        return app.state.settings  # type: ignore[no-any-return]

    try:
        yield override
    finally:
        app.state.settings = original


@pytest.fixture
async def tenant(make_tenant: MakeTenant) -> Tenant:
    return await make_tenant()


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


@pytest.fixture
async def worker_database() -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    """A fresh, migrated PostgreSQL database for real worker processes, and a sessionmaker on it."""
    url, name = await create_pg_database()
    engine = create_engine(url)
    try:
        # Migrate before the workers start, so they do not race each other to create the schema.
        await asyncio.to_thread(migrate.upgrade, url)
        yield url, create_sessionmaker(engine)
    finally:
        await engine.dispose()
        await drop_pg_database(name)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[str], list[Worker]]]:
    """Start two `coldsend worker` processes on a database; they are stopped after the test."""
    started: list[Worker] = []

    def start(url: str) -> list[Worker]:
        started.extend(Worker(url, tmp_path / f"worker-{n}") for n in range(2))
        return started

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
