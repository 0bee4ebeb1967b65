import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoginThrottle:
    """Failed sign-ins per address and per client IP over a sliding window, in this process's memory.

    While either budget is spent, sign-in is refused without checking the password (so a correct guess
    cannot be told apart either); a success clears the address's failures.
    """

    per_address: int
    per_ip: int
    window: float
    now: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            if len(self._failures) > 100_000:
                self._failures.clear()
            times = self._failures[key] = deque()
        cutoff = self.now() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        return times

    def blocked(self, address: str, ip: str) -> bool:
        return (
            len(self._recent(("address", address.strip().lower()))) >= self.per_address
            or len(self._recent(("ip", ip))) >= self.per_ip
        )

    def failed(self, address: str, ip: str) -> None:
        self._recent(("address", address.strip().lower())).append(self.now())
        self._recent(("ip", ip)).append(self.now())

    def succeeded(self, address: str) -> None:
        self._failures.pop(("address", address.strip().lower()), None)
