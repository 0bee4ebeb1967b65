import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Loop = Callable[[asyncio.Event], Awaitable[None]]


class Engine:
    """Runs the engine's long-lived loops as tasks until stopped; a loop that crashes is restarted."""

    def __init__(self, loops: list[Loop], restart_delay: float = 1.0) -> None:
        self._loops = loops
        self._restart_delay = restart_delay
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _supervise(self, loop: Loop) -> None:
        while not self._stopping.is_set():
            try:
                await loop(self._stopping)
            except Exception:
                log.exception("engine loop %s crashed; restarting", getattr(loop, "__name__", loop))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._restart_delay)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._supervise(loop)) for loop in self._loops]

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_until_stopped(self) -> None:
        self.start()
        await self._stopping.wait()
        await self.stop()

    def request_stop(self) -> None:
        self._stopping.set()
