from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import coldsend.leads.jobs  # noqa: F401  (job handlers register themselves on import)
import coldsend.workspaces.removal  # noqa: F401
from coldsend.config import Settings
from coldsend.engine.jobs import HANDLERS, JobRunner
from coldsend.engine.runner import Engine, Loop


def build_engine(settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> Engine:
    """The engine's loops, wired to one database."""
    jobs = JobRunner(settings, sessionmaker, HANDLERS)
    loops: list[Loop] = [jobs.run]
    return Engine(loops)
