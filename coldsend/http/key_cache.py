import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """What authentication needs of a stored API key."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    scopes: frozenset[str]
    revoked: bool
    admin_workspace_id: uuid.UUID | None = None


@dataclass
class KeyCache:
    """Recently seen keys by hash, for `ttl` seconds, saving a query per request.

    A key revoked through this process is forgotten at once; other API nodes notice within `ttl`.
    """

    ttl: float
    now: Callable[[], float] = time.monotonic
    max_entries: int = 10_000
    _entries: dict[str, tuple[float, KeyRecord]] = field(default_factory=dict)

    def get(self, key_hash: str) -> KeyRecord | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[0] <= self.now():
            return None
        return entry[1]

    def put(self, key_hash: str, record: KeyRecord) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key_hash] = (self.now() + self.ttl, record)

    def forget(self, key_hash: str) -> None:
        self._entries.pop(key_hash, None)
