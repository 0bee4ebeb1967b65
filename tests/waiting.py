"""Waiting on a condition with a deadline: tests never sleep a fixed time for something to happen."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

POLL_SECONDS = 0.02


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 20.0) -> None:
    """Poll `check` until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)
