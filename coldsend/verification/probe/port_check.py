"""Detects a network that blocks outbound SMTP: several MX hosts in a row unreachable, none reached."""

import time


class PortMonitor:
    def __init__(self, threshold: int, recheck_seconds: float) -> None:
        self.threshold = threshold
        self.recheck_seconds = recheck_seconds
        self._unreachable: set[str] = set()
        self._blocked_until = 0.0

    @property
    def blocked(self) -> bool:
        return time.monotonic() < self._blocked_until

    def unreachable(self, host: str) -> None:
        self._unreachable.add(host)
        if len(self._unreachable) >= self.threshold:
            self._blocked_until = time.monotonic() + self.recheck_seconds
            self._unreachable.clear()

    def reached(self) -> None:
        self._unreachable.clear()
        self._blocked_until = 0.0
