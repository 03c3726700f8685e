"""The event store's own table read as it is stored: every row, also those outside the notification sequence.

The tree is built from, and checked against, exactly these rows, in the order of their notification id.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

Row = tuple[int, Any, int, str, bytes]  # (notification id, originator id, version, topic, stored state)
COLUMNS = "originator_id, originator_version, topic, state"


@dataclass(frozen=True)
class EventTable:
    location: str  # the SQLite file, or a postgresql:// URL
    table: str  # the library's events table

    @property
    def postgres(self) -> bool:
        return self.location.startswith("postgres")

    @property
    def id(self) -> str:
        return "notification_id" if self.postgres else "rowid"

    def rows(self, after: int | None = None) -> Iterator[Row]:
        """Rows with an id above `after` (every row when None, ids <= 0 included), by id."""
        where, params = (f"WHERE {self.id} > ?", [after]) if after is not None else ("", [])
        yield from self._stream(f"SELECT {self.id}, {COLUMNS} FROM {self.table} {where} ORDER BY {self.id}", params)

    def of_originator(self, originator_id: UUID) -> list[Row]:
        key: Any = originator_id if self.postgres else originator_id.hex
        return list(self._stream(f"SELECT {self.id}, {COLUMNS} FROM {self.table} WHERE originator_id = ? "
                                 f"ORDER BY {self.id}", [key]))

    def _stream(self, sql: str, params: list[Any]) -> Iterator[Row]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.location) as connection, connection.cursor(name="transparency") as cursor:
                cursor.itersize = 10_000
                cursor.execute(sql.replace("?", "%s"), params)
                for nid, originator, version, topic, state in cursor:
                    yield int(nid), originator, int(version), topic, bytes(state)
            return
        if not Path(self.location).exists():  # the whole store gone: no rows (a tree over it says what was deleted)
            return
        lite = sqlite3.connect(f"file:{self.location}?mode=ro", uri=True)
        try:
            for nid, originator, version, topic, state in lite.execute(sql, params):
                yield int(nid), originator, int(version), topic, bytes(state)
        finally:
            lite.close()
