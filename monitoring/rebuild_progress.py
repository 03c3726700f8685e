"""A rebuild's progress where other processes can see it: HOME/readmodels.rebuild-progress.json.

Written by the rebuilding process at most every `EVERY` seconds (events folded of the log's head at the
start), removed when it ends; `status` and every metrics port read it. A file whose process is gone (a
rebuild killed with kill -9) is reported as nothing under way.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

FILE = "readmodels.rebuild-progress.json"
EVERY = 1.0


class RebuildProgress:
    def __init__(self, home: Path, version: str, total: int, bar: Any = None) -> None:
        self.path, self.bar = home / FILE, bar
        self.state: dict[str, Any] = {"version": version, "events_total": total, "events_folded": 0, "pid": os.getpid(),
                      "started": time.time()}
        self._written = 0.0
        self._write()

    def update(self, events: int) -> None:
        self.state["events_folded"] += events
        if self.bar is not None:
            self.bar.update(events)
        if time.monotonic() - self._written >= EVERY:
            self._write()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        aside = self.path.with_suffix(f".{os.getpid()}")
        aside.write_text(json.dumps(self.state), encoding="utf-8")
        aside.replace(self.path)
        self._written = time.monotonic()


def under_way(home: Path) -> dict[str, Any] | None:
    """{version, events_total, events_folded, pid, started} of a rebuild running on this machine, or None."""
    try:
        state: dict[str, Any] = json.loads((home / FILE).read_text(encoding="utf-8"))
        os.kill(int(state["pid"]), 0)
    except (FileNotFoundError, ValueError, KeyError, TypeError, ProcessLookupError):
        return None
    except PermissionError:  # alive, another user's
        pass
    return state
