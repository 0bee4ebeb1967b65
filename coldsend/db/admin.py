"""Creating and dropping a throwaway PostgreSQL database (tests, benchmarks)."""

import uuid

import asyncpg
from sqlalchemy.engine import make_url


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_database(admin_dsn: str, *, prefix: str = "coldsend_") -> tuple[str, str]:
    """A fresh, empty database on the server of `admin_dsn`: (its SQLAlchemy URL, its name)."""
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"CREATE DATABASE {_quote_identifier(name)}")
    finally:
        await conn.close()
    url = make_url(admin_dsn).set(drivername="postgresql+asyncpg", database=name, query={})
    return url.render_as_string(hide_password=False), name


async def drop_database(admin_dsn: str, name: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quote_identifier(name)} WITH (FORCE)")
    finally:
        await conn.close()
