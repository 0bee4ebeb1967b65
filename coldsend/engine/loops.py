from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.config import Settings
from coldsend.engine.runner import Engine, Loop


def build_engine(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Engine:
    """The engine's loops, wired to one database."""
    loops: list[Loop] = []
    del settings, sessionmaker
    return Engine(loops)
