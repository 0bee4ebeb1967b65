from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from coldsend.api.app import create_app
from coldsend.api_keys import service as api_key_service
from coldsend.db.session import session_scope
from coldsend.http.rate_limit import RateLimiter
from coldsend.workspaces import service as workspace_service
from tests.conftest import client_for, make_settings


@pytest.fixture
async def limited_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        database_url, tmp_path_factory.mktemp("limited"), rate_limit_per_second=1000, rate_limit_per_minute=5
    )
    application = create_app(settings, run_engine=False)
    async with application.router.lifespan_context(application):
        yield application


async def _key(app: FastAPI) -> str:
    async with session_scope(app.state.sessionmaker) as session:
        workspace = await workspace_service.create(session, name="limited")
        _key, secret = await api_key_service.create(
            session, workspace_id=workspace.id, name="k", scopes=["all:all"]
        )
    return secret


class TestRateLimit:
    async def test_over_budget_is_429_per_workspace(self, limited_app: FastAPI) -> None:
        first, second = await _key(limited_app), await _key(limited_app)
        async with client_for(limited_app, first) as client, client_for(limited_app, second) as other:
            statuses = [(await client.get("/api/v2/api-keys")).status_code for _ in range(7)]
            assert statuses == [200] * 5 + [429] * 2
            response = await client.get("/api/v2/api-keys")
            assert response.json() == {
                "statusCode": 429,
                "error": "Too Many Requests",
                "message": "Rate limit exceeded",
            }
            assert (await other.get("/api/v2/api-keys")).status_code == 200


class TestRateLimiter:
    def test_second_window_resets(self) -> None:
        now = [0.0]
        limiter = RateLimiter(per_second=2, per_minute=100, now=lambda: now[0])
        assert [limiter.allow("w") for _ in range(3)] == [True, True, False]
        now[0] = 1.0
        assert limiter.allow("w")

    def test_minute_budget_holds_across_seconds(self) -> None:
        now = [0.0]
        limiter = RateLimiter(per_second=10, per_minute=3, now=lambda: now[0])
        results = []
        for step in range(5):
            now[0] = float(step)
            results.append(limiter.allow("w"))
        assert results == [True, True, True, False, False]
        now[0] = 61.0
        assert limiter.allow("w")
