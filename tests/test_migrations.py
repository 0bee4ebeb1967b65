"""The migrations build exactly the schema the models declare, on both databases."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import coldsend.models  # noqa: F401  (every model registered on the metadata)
from coldsend.db.base import Base


def _differences(connection: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_migrated_schema_matches_the_models(app: FastAPI) -> None:
    engine: AsyncEngine = app.state.sessionmaker.kw["bind"]
    async with engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []
