"""Failed dashboard logins, counted per user and per address, so passwords cannot be guessed at speed.

Kept in HOME/logins.sqlite, shared by every dashboard process on the machine (the authenticator's own
counter lives in one session's memory and starts again with each page load). A user or an address with
too many failures within the window is refused, the right password included, until the oldest of them
ages out. The limits are in HOME/users.yaml under `logins` (defaults below).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULTS = {"max_failed_per_user": 5, "max_failed_per_address": 20, "window_minutes": 15}


@dataclass(frozen=True)
class Limits:
    per_user: int = 5
    per_address: int = 20
    window_s: float = 15 * 60

    @classmethod
    def of(cls, config: dict[str, Any]) -> Limits:
        given = {**DEFAULTS, **(config.get("logins") or {})}
        return cls(int(given["max_failed_per_user"]), int(given["max_failed_per_address"]),
                   float(given["window_minutes"]) * 60)


class LoginGuard:
    def __init__(self, home: Path, limits: Limits | None = None, clock: Any = time.time) -> None:
        self.path = home / "logins.sqlite"
        self.limits = limits or Limits()
        self.clock = clock

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("CREATE TABLE IF NOT EXISTS failed_logins (user TEXT NOT NULL, address TEXT, "
                           "at REAL NOT NULL)")
        return connection

    def refused(self, user: str, address: str | None) -> str | None:
        """Why a login by `user` from `address` is refused now, or None."""
        since = self.clock() - self.limits.window_s
        connection = self._connect()
        try:
            for column, value, limit in (("user", user, self.limits.per_user),
                                         ("address", address, self.limits.per_address)):
                if value is None or limit <= 0:
                    continue
                count, first = connection.execute(f"SELECT COUNT(*), MIN(at) FROM failed_logins WHERE {column} = ? "
                                                  "AND at > ?", (value, since)).fetchone()
                if count >= limit:
                    wait = max(1, int((first + self.limits.window_s - self.clock()) // 60) + 1)
                    who = f"user {value}" if column == "user" else f"address {value}"
                    return (f"Too many failed logins for {who} ({count} in {int(self.limits.window_s // 60)} "
                            f"minutes): try again in {wait} minute{'s' if wait != 1 else ''}.")
        finally:
            connection.close()
        return None

    def failed(self, user: str, address: str | None) -> None:
        connection = self._connect()
        try:
            connection.execute("INSERT INTO failed_logins (user, address, at) VALUES (?, ?, ?)",
                               (user, address, self.clock()))
            connection.execute("DELETE FROM failed_logins WHERE at < ?", (self.clock() - 86_400,))
        finally:
            connection.close()

    def succeeded(self, user: str) -> None:
        """A right password ends the user's run of failures (not the address's: one account proves nothing)."""
        connection = self._connect()
        try:
            connection.execute("DELETE FROM failed_logins WHERE user = ?", (user,))
        finally:
            connection.close()
