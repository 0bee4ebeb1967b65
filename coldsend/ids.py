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


_COUNTER_SPAN = 1 << 48  # the last 12 hex digits of a UUID


def new_id_texts(count: int) -> list[str]:
    """`count` UUIDv7s as canonical text, ascending, and as ordered against `new_id` as calling it
    `count` times: for a bulk insert, where one id each would cost more than the row.

    They take the millisecond of one `new_id()` (uuid6 gives no other call of this process the same one)
    and its random bits, except the last 48, which count up from a random start: RFC 9562's monotonic
    random (method 2). Only the last 12 hex digits differ, so each id is one format of an int.
    """
    if not count:
        return []
    if count > _COUNTER_SPAN // 2:
        raise ValueError(f"{count} ids do not fit one millisecond's counter")
    head = str(new_id())[:24]  # "xxxxxxxx-xxxx-7xxx-yxxx-"
    start = secrets.randbelow(_COUNTER_SPAN - count + 1)
    return [f"{head}{value:012x}" for value in range(start, start + count)]


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
