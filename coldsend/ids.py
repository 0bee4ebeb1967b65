import os
import secrets
import socket
import threading
import time
import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A time-ordered UUIDv7: ids sort by creation, which keyset pagination relies on."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)


_object_id_lock = threading.Lock()
_object_id_counter = int.from_bytes(os.urandom(3), "big")
_object_id_process = os.urandom(5)


def new_object_id() -> str:
    """A 24-hex MongoDB-style ObjectId, the id format Instantly uses for background jobs."""
    global _object_id_counter
    with _object_id_lock:
        _object_id_counter = (_object_id_counter + 1) % 0xFFFFFF
        counter = _object_id_counter
    raw = int(time.time()).to_bytes(4, "big") + _object_id_process + counter.to_bytes(3, "big")
    return raw.hex()


def default_worker_id() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"
