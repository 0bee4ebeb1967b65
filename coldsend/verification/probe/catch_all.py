"""Catch-all domains accept any recipient; found by asking for a random one, remembered per domain."""

import hashlib
import hmac
import time
from typing import Protocol


def random_recipient(domain: str, secret: bytes) -> str:
    """An address nobody has, the same for a domain on every retry: greylisting remembers recipients."""
    token = hmac.new(secret, domain.encode(), hashlib.sha256).hexdigest()[:16]
    return f"coldsend-probe-{token}@{domain}"


class CatchAllCache(Protocol):
    async def get(self, domain: str) -> bool | None: ...

    async def put(self, domain: str, catch_all: bool) -> None: ...


class MemoryCatchAllCache:
    """In this process only, each answer kept `ttl` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._known: dict[str, tuple[float, bool]] = {}

    async def get(self, domain: str) -> bool | None:
        found = self._known.get(domain)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1]

    async def put(self, domain: str, catch_all: bool) -> None:
        self._known[domain] = (time.monotonic() + self.ttl, catch_all)
