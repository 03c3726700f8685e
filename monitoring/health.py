"""What a long-running process says of itself on /healthz and /readyz.

Alive: its loop went round lately (a loop stuck longer than `stale_after` is not, and an orchestrator
should restart it). Ready: the last round did its work (a worker holding partitions, a relay whose broker
acknowledges); not ready says why. Nothing here knows Kafka: the loops say it with `beat`.
"""

from __future__ import annotations

import threading
import time


class Health:
    def __init__(self, stale_after: float = 120.0) -> None:
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._beaten: float | None = None
        self._ready, self._reason = False, "starting"

    def beat(self, ready: bool = True, reason: str = "") -> None:
        with self._lock:
            self._beaten = time.monotonic()
            self._ready, self._reason = ready, reason

    def alive(self) -> tuple[bool, str]:
        with self._lock:
            if self._beaten is None:
                return True, "starting"
            quiet = time.monotonic() - self._beaten
        if quiet > self.stale_after:
            return False, f"the loop has not gone round for {quiet:.0f} s"
        return True, "ok"

    def readiness(self) -> tuple[bool, str]:
        alive, why = self.alive()
        if not alive:
            return False, why
        with self._lock:
            return self._ready, "ok" if self._ready else self._reason
