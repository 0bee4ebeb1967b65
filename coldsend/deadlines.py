"""A deadline that holds even when the awaited code cannot be cancelled promptly.

`asyncio.wait_for` waits for its cancelled task to finish; aioimaplib, fed garbage or a POP3 greeting,
can sit on a lock that cancellation never gets past, so the caller hung despite the timeout. Here the
caller gets its `TimeoutError` at the deadline and the abandoned task is left cancelled (its caller
closes the connection under it).
"""

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


def _forget(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """The awaitable's result, or `TimeoutError` after `seconds` without waiting for it to unwind."""
    task = asyncio.ensure_future(awaitable)
    try:
        done, _pending = await asyncio.wait({task}, timeout=seconds)
    except BaseException:
        task.cancel()
        task.add_done_callback(_forget)
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_forget)
        raise TimeoutError(f"no result within {seconds:g} s")
    return task.result()
