import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass
class RateLimiter:
    """Per-workspace request budget over one second and one minute (fixed windows, in memory).

    Each API process keeps its own counters; behind a load balancer with N API nodes a workspace
    can reach N times the budget, which is the usual trade for not sharing state on every request.
    """

    per_second: int
    per_minute: int
    now: Callable[[], float] = time.monotonic
    _second: dict[object, _Window] = field(default_factory=dict)
    _minute: dict[object, _Window] = field(default_factory=dict)

    def _hit(self, windows: dict[object, _Window], key: object, span: float, budget: int) -> bool:
        now = self.now()
        window = windows.get(key)
        if window is None or now - window.started >= span:
            if len(windows) > 10_000:
                windows.clear()
            window = windows[key] = _Window(started=now)
        window.count += 1
        return window.count <= budget

    def allow(self, key: object) -> bool:
        second_ok = self._hit(self._second, key, 1.0, self.per_second)
        minute_ok = self._hit(self._minute, key, 60.0, self.per_minute)
        return second_ok and minute_ok

    def retry_after(self, key: object) -> int:
        """Whole seconds until every window `key` has overrun starts again (at least 1): a Retry-After."""
        now = self.now()
        waits = [
            span - (now - window.started)
            for windows, span, budget in (
                (self._second, 1.0, self.per_second),
                (self._minute, 60.0, self.per_minute),
            )
            if (window := windows.get(key)) is not None and window.count > budget
        ]
        return max(1, math.ceil(max(waits, default=1.0)))
