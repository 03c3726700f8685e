"""`action_id` is unique across the whole store, and the event store's own database says so.

The library's recorders (SQLite and PostgreSQL) are extended by one table, `<events table>_action_ids`
(action_id primary key -> complaint id), written in the SAME transaction as the events that carry those
ids. Two writers that record one id on two complaints, even at the same instant, cannot both commit: the
second gets the store's IntegrityError, and `ComplaintLog.record` decides its batch again, now asking
this table who owns each id (and rejecting the reuse with both complaint ids). A check in Python alone
could not hold between processes.

The ids come to the recorder as the `action_ids` keyword of `insert_events` (the application passes
them with the events it saves): the library's own `save` passes none and writes no index rows.

A store made before the index existed is indexed from its stored events the first time it is opened
(one pass over the events, in order: where an id was already reused on another complaint, the first
complaint keeps it and the later events stay in history as they are).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

import orjson
import psycopg
from eventsourcing.persistence import OperationalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal

from domain.complaint import Complaint

COMPLAINT_TOPICS = f"{Complaint.__module__}:{Complaint.__qualname__}.%"  # every complaint event's topic
LOOKUP_CHUNK = 500  # ids per query (SQLite's bound parameters are limited)
OPEN_ATTEMPTS = 5
FILL_BATCH = 10_000


def _pairs(states: Iterable[bytes]) -> list[tuple[str, str]]:
    """(action_id, complaint_id) of stored complaint events; a state that is not what we wrote is skipped
    (`plaintrail verify` is the one to report it)."""
    found = []
    for state in states:
        try:
            data = orjson.loads(state)
            found.append((str(data["action_id"]), str(data["complaint_id"])))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            continue
    return found


class SQLiteActionIndexRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.index_name = self.index_table = f"{events_table_name}_action_ids"
        self.insert_index_statement = f"INSERT INTO {self.index_table} (action_id, complaint_id) VALUES (?, ?)"

    def create_table(self) -> None:
        for attempt in range(OPEN_ATTEMPTS):  # two processes opening a new store at once: one waits
            try:
                super().create_table()
                return
            except OperationalError:
                if attempt == OPEN_ATTEMPTS - 1:
                    raise

    def _create_table(self, c: SQLiteCursor) -> None:
        super()._create_table(c)
        c.execute(f"CREATE TABLE IF NOT EXISTS {self.index_table} "
                  "(action_id TEXT PRIMARY KEY, complaint_id TEXT NOT NULL) WITHOUT ROWID")
        c.execute(f"CREATE TABLE IF NOT EXISTS {self.index_table}_filled (filled_at TEXT NOT NULL)")
        c.execute(f"SELECT 1 FROM {self.index_table}_filled")
        if c.fetchone() is not None:
            return
        select = (f"SELECT rowid, state FROM {self.events_table_name} WHERE topic LIKE ? AND rowid > ? "
                  "ORDER BY rowid LIMIT ?")
        after = 0
        while True:
            c.execute(select, (COMPLAINT_TOPICS, after, FILL_BATCH))
            rows = c.fetchall()
            if not rows:
                break
            after = rows[-1][0]
            c.executemany(f"INSERT OR IGNORE INTO {self.index_table} (action_id, complaint_id) VALUES (?, ?)",
                          _pairs(row[1] for row in rows))
        c.execute(f"INSERT INTO {self.index_table}_filled VALUES (datetime('now'))")

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        returning = super()._insert_events(c, stored_events, **kwargs)
        action_ids = kwargs.get("action_ids")
        if action_ids:
            c.executemany(self.insert_index_statement, action_ids)
        return returning

    def action_owners(self, action_ids: Sequence[str]) -> dict[str, str]:
        """The complaint that holds each of these ids, for those recorded."""
        owners: dict[str, str] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(action_ids), LOOKUP_CHUNK):
                chunk = action_ids[start:start + LOOKUP_CHUNK]
                c.execute(f"SELECT action_id, complaint_id FROM {self.index_table} WHERE action_id IN "
                          f"({','.join('?' * len(chunk))})", chunk)
                owners.update((row[0], row[1]) for row in c.fetchall())
        return owners

    def positions(self, originator_id: UUID) -> dict[int, int]:
        """version -> notification id of one aggregate's stored events (an id <= 0 is outside the log)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_version, rowid FROM {self.events_table_name} WHERE originator_id = ?",
                      (originator_id.hex,))
            return {int(row[0]): int(row[1]) for row in c.fetchall()}

    def originators_after(self, notification_id: int) -> tuple[set[UUID], int]:
        """The aggregates that have events after this position, and the last position."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, originator_id FROM {self.events_table_name} WHERE rowid > ?", (notification_id,))
            rows = c.fetchall()
        return {UUID(row[1]) for row in rows}, max((row[0] for row in rows), default=notification_id)


class PostgresActionIndexRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            raise ProgrammingError("the action id index needs the events inserted by statements, not by the "
                                   "library's database functions: unset POSTGRES_ENABLE_DB_FUNCTIONS")
        self.index_name = name = f"{events_table_name}_action_ids"
        self.check_identifier_length(f"{name}_filled")
        schema = Identifier(datastore.schema)
        self.index_table = SQL("{}.{}").format(schema, Identifier(name))
        self.filled_table = SQL("{}.{}").format(schema, Identifier(f"{name}_filled"))
        self.events_table = SQL("{}.{}").format(schema, Identifier(events_table_name))
        self.insert_index_statement = SQL(
            "INSERT INTO {} (action_id, complaint_id) SELECT * FROM unnest(%s::text[], %s::text[])"
        ).format(self.index_table)

    def _create_table(self, curs: psycopg.Cursor[DictRow]) -> None:
        # One opener at a time, in the library's own transaction: concurrent CREATE TABLE IF NOT EXISTS can
        # collide in PostgreSQL's catalog, and so do the library's CREATE OR REPLACE FUNCTION ("tuple
        # concurrently updated": seen with three imports started at once).
        curs.execute(SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(
            Literal(f"plaintrail event store {self.datastore.schema}")))
        super()._create_table(curs)
        curs.execute(SQL("CREATE TABLE IF NOT EXISTS {} (action_id text PRIMARY KEY, complaint_id text NOT NULL)")
                     .format(self.index_table))
        curs.execute(SQL("CREATE TABLE IF NOT EXISTS {} (filled_at timestamptz NOT NULL)").format(self.filled_table))
        curs.execute(SQL("SELECT 1 FROM {}").format(self.filled_table))
        if curs.fetchone() is None:
            self._fill(curs)
            curs.execute(SQL("INSERT INTO {} VALUES (now())").format(self.filled_table))

    def _fill(self, curs: psycopg.Cursor[DictRow]) -> None:
        """Index the events stored before the index existed, in their order (the first complaint keeps an id)."""
        after = 0
        select = SQL("SELECT notification_id, state FROM {} WHERE topic LIKE %s AND notification_id > %s "
                     "ORDER BY notification_id LIMIT %s").format(self.events_table)
        insert = SQL("INSERT INTO {} (action_id, complaint_id) SELECT * FROM unnest(%s::text[], %s::text[]) "
                     "ON CONFLICT (action_id) DO NOTHING").format(self.index_table)
        while True:
            curs.execute(select, (COMPLAINT_TOPICS, after, FILL_BATCH))
            rows = curs.fetchall()
            if not rows:
                return
            after = rows[-1]["notification_id"]
            pairs = _pairs(bytes(row["state"]) for row in rows)
            if pairs:
                # One id twice in one statement would make ON CONFLICT fail: keep its first.
                first = dict(reversed(pairs))
                ordered = [(a, c) for a, c in pairs if first.pop(a, None) is not None]
                curs.execute(insert, ([a for a, _ in ordered], [c for _, c in ordered]))

    def _insert_stored_events(self, curs: psycopg.Cursor[DictRow], stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        super()._insert_stored_events(curs, stored_events, **kwargs)  # takes the table lock, then inserts
        action_ids = kwargs.get("action_ids")
        if action_ids:
            # Another cursor: the events' RETURNING rows stay on `curs` for the library to read. Never a prepared
            # statement: in the library's pipeline, a conflict on the events skips the statement's preparation
            # while psycopg would take it for done ("prepared statement does not exist" on the next batch).
            with curs.connection.cursor() as index:
                index.execute(self.insert_index_statement, ([a for a, _ in action_ids], [c for _, c in action_ids]),
                              prepare=False)

    def action_owners(self, action_ids: Sequence[str]) -> dict[str, str]:
        """The complaint that holds each of these ids, for those recorded."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT action_id, complaint_id FROM {} WHERE action_id = ANY(%s)")
                         .format(self.index_table), (list(action_ids),))
            return {row["action_id"]: row["complaint_id"] for row in curs.fetchall()}

    def positions(self, originator_id: UUID) -> dict[int, int]:
        """version -> notification id of one aggregate's stored events (an id <= 0 is outside the log)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT originator_version, notification_id FROM {} WHERE originator_id = %s")
                         .format(self.events_table), (originator_id,))
            return {int(row["originator_version"]): int(row["notification_id"]) for row in curs.fetchall()}

    def originators_after(self, notification_id: int) -> tuple[set[UUID], int]:
        """The aggregates that have events after this position, and the last position."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT notification_id, originator_id FROM {} WHERE notification_id > %s")
                         .format(self.events_table), (notification_id,))
            rows = curs.fetchall()
        return ({UUID(str(row["originator_id"])) for row in rows},
                max((row["notification_id"] for row in rows), default=notification_id))
