"""The scheduler and sender loops, wired to one database and the real clock."""

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from coldsend.clock import Clock
from coldsend.config import Settings
from coldsend.engine.runner import Loop
from coldsend.engine.scheduler import Scheduler
from coldsend.engine.sender import Sender
from coldsend.engine.serial import EngineLock


def sending_loops(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession], clock: Clock | None = None
) -> list[Loop]:
    clock = clock or Clock()
    lock = EngineLock(settings.effective_database_url())
    return [
        Scheduler(settings, sessionmaker, clock, lock).run,
        Sender(settings, sessionmaker, clock, lock).run,
    ]
