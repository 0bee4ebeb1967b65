"""The catch-all cache in the database, shared by every process; this process keeps a copy in front of it."""

from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import utcnow
from coldsend.db.session import session_scope
from coldsend.models import VerificationDomain
from coldsend.verification.probe.catch_all import MemoryCatchAllCache


class DbCatchAllCache:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], ttl: float) -> None:
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self.memory = MemoryCatchAllCache(ttl)

    async def get(self, domain: str) -> bool | None:
        known = await self.memory.get(domain)
        if known is not None:
            return known
        async with self.sessionmaker() as session:
            row = await session.get(VerificationDomain, domain)
        if row is None or row.checked_at + timedelta(seconds=self.ttl) <= utcnow():
            return None
        await self.memory.put(domain, row.catch_all)
        return row.catch_all

    async def put(self, domain: str, catch_all: bool) -> None:
        await self.memory.put(domain, catch_all)
        async with session_scope(self.sessionmaker) as session:
            dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
            values = {"domain": domain, "catch_all": catch_all, "checked_at": utcnow()}
            stmt = dialect.insert(VerificationDomain).values(**values)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[VerificationDomain.domain],
                    set_={"catch_all": stmt.excluded.catch_all, "checked_at": stmt.excluded.checked_at},
                )
            )
