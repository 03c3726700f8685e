"""The read-model store: plain SQL tables on SQLite (default) or PostgreSQL.

Every projection writes its rows and its tracking position in ONE transaction, so after a crash
the position says exactly which events the rows already contain: nothing is folded twice or lost.
SQL is written once with `?` placeholders; PostgreSQL gets them as `%s`.
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from projections import versions

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS complaint_facts (
        complaint_id TEXT PRIMARY KEY, outlet TEXT NOT NULL, received_at TEXT NOT NULL,
        received_month TEXT NOT NULL, kind TEXT NOT NULL, via TEXT NOT NULL, state TEXT NOT NULL,
        effective INTEGER, validated_at TEXT, validated_month TEXT, annulments INTEGER NOT NULL,
        assessed INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL, facts TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS complaint_facts_annulments ON complaint_facts (annulments)",
    # rewards and appeals: the few complaints the assessment reads beyond the fines
    "CREATE INDEX IF NOT EXISTS complaint_facts_assessed ON complaint_facts (assessed)",
    "CREATE INDEX IF NOT EXISTS complaint_facts_received ON complaint_facts (received_month)",
    "CREATE INDEX IF NOT EXISTS complaint_facts_validated ON complaint_facts (validated_month)",
    "CREATE INDEX IF NOT EXISTS complaint_facts_outlet ON complaint_facts (outlet)",
    """CREATE TABLE IF NOT EXISTS org_units (
        unit TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, parent TEXT, customers INTEGER)""",
    # Each outlet's sub-branch and branch, recomputed whenever the organisation changes: the roll-up key.
    "CREATE TABLE IF NOT EXISTS org_rollup (outlet TEXT PRIMARY KEY, sub_branch TEXT, branch TEXT)",
    "CREATE TABLE IF NOT EXISTS org_people (person TEXT PRIMARY KEY, name TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS org_roles (
        key TEXT PRIMARY KEY, person TEXT NOT NULL, role TEXT NOT NULL, unit TEXT NOT NULL,
        start TEXT NOT NULL, "end" TEXT)""",
    # Per outlet and period of receipt; `period` is every key a complaint falls in: 2024-03, 2024Q1 and 2024,
    # so a quarter's or a year's board reads one row per outlet instead of summing months.
    """CREATE TABLE IF NOT EXISTS indicators (
        unit TEXT NOT NULL, period TEXT NOT NULL, work_orders INTEGER NOT NULL, complaints INTEGER NOT NULL,
        regulator_transferred INTEGER NOT NULL, effective INTEGER NOT NULL, PRIMARY KEY (period, unit))
        WITHOUT ROWID""",  # SQLite: rows live in the key's order, so a period's board is one range read
    # What each complaint version is liable for (fine tier, final SLA verdicts): a memo of pure functions of
    # complaint_facts, keyed by its version and a digest of the rules and code (projections/liabilities.py).
    """CREATE TABLE IF NOT EXISTS liabilities (
        complaint_id TEXT PRIMARY KEY, version INTEGER NOT NULL, rules TEXT NOT NULL, record TEXT NOT NULL)""",
    # Stored events no fold could place (projections/problems.py): reported, never allowed to stop the read side.
    """CREATE TABLE IF NOT EXISTS fold_problems (
        originator_id TEXT NOT NULL, version BIGINT NOT NULL, position BIGINT NOT NULL, complaint_id TEXT,
        event_type TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (originator_id, version))""",
    # The home's transport (projections/transport.py): never dropped with the other tables, carried to each version.
    "CREATE TABLE IF NOT EXISTS readmodel_transport (one INTEGER PRIMARY KEY CHECK (one = 1), source TEXT NOT NULL)",
    # HR's scores of each period as last worked out, and the generations of the months they read
    # (projections/score_memo.py): kept answers, never stale, only missing.
    "CREATE TABLE IF NOT EXISTS month_changes (month TEXT PRIMARY KEY, generation BIGINT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS score_memo (
        period TEXT NOT NULL, key TEXT NOT NULL, basis TEXT NOT NULL, months TEXT NOT NULL,
        corrections TEXT NOT NULL, people INTEGER NOT NULL, PRIMARY KEY (period, key))""",
    """CREATE TABLE IF NOT EXISTS score_rows (
        period TEXT NOT NULL, key TEXT NOT NULL, person TEXT NOT NULL, name TEXT NOT NULL, fines_cny TEXT NOT NULL,
        points TEXT NOT NULL, positive_points TEXT NOT NULL, negative_points TEXT NOT NULL, rewards_cny TEXT NOT NULL,
        complaints INTEGER NOT NULL, entries INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY (period, key, person))""",
    # The red/black board of each period in its order, as last ranked (projections/board_memo.py).
    """CREATE TABLE IF NOT EXISTS board_memo (
        period TEXT NOT NULL, level TEXT NOT NULL, compare TEXT NOT NULL, basis TEXT NOT NULL, lines TEXT NOT NULL,
        PRIMARY KEY (period, level, compare))""",
    """CREATE TABLE IF NOT EXISTS tracking (
        projection TEXT NOT NULL, source TEXT NOT NULL, partition INTEGER NOT NULL, position BIGINT NOT NULL,
        PRIMARY KEY (projection, source, partition))""",
)
SCHEMA_VERSION = "7"  # bump when a table changes: stores of another version are dropped and refolded
REBUILDING = "rebuild"  # the readmodel_meta key of a rebuild under way
TABLES = ("complaint_facts", "org_units", "org_rollup", "org_people", "org_roles", "indicators", "liabilities",
          "month_changes", "score_memo", "score_rows", "board_memo", "fold_problems", "tracking", "readmodel_meta")


class SqlStore:
    """A connection to some SQL tables on SQLite or PostgreSQL, with explicit transactions."""

    def __init__(self, connection: Any, dialect: str, path: str = ":memory:") -> None:
        self.connection = connection
        self.dialect = dialect
        self.path = path  # SQLite's file; ':memory:' on PostgreSQL
        self.create()

    def refresh(self, force: bool = False) -> bool:
        """Move to another version of the tables if one has become live (subclasses); True when it moved."""
        return False

    def _live_in(self, cursor: Any) -> bool:
        """Inside a transaction: whether this connection still writes the live version (subclasses)."""
        return True

    def create(self) -> None:
        """Make the tables this store needs (subclasses)."""

    @classmethod
    def sqlite(cls, path: Path | str) -> Self:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        # Big pages for a new file (an existing one keeps its own): a complaint's facts fit in one page
        # instead of an overflow chain, and a rebuild's DROP has a quarter of the pages to free.
        connection.execute("PRAGMA page_size=16384")
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return cls(connection, "sqlite", str(path))

    @classmethod
    def postgres(cls, url: str) -> Self:
        import psycopg

        return cls(psycopg.connect(url, autocommit=True), "postgres")

    def sql(self, statement: str) -> str:
        return statement if self.dialect == "sqlite" else statement.replace("?", "%s")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside one transaction: committed on success, rolled back on any error. A store that
        follows the live version begins on the live one, and keeps it live until the transaction ends."""
        while True:
            self.refresh()
            cursor = self.connection.cursor()
            cursor.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            if self._live_in(cursor):
                break
            cursor.execute("ROLLBACK")
            cursor.close()
            self.refresh(force=True)
        try:
            yield cursor
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            cursor.close()

    def execute(self, cursor: Any, statement: str, params: Sequence[Any] = ()) -> Any:
        cursor.execute(self.sql(statement), params)
        return cursor

    def executemany(self, cursor: Any, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            cursor.executemany(self.sql(statement), rows)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.refresh()
        try:
            return self._query(statement, params)
        except Exception:
            if not self.refresh(force=True):  # a version dropped under a slow reader: ask the live one
                raise
            return self._query(statement, params)

    def _query(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(self.sql(statement), params)
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def close(self) -> None:
        self.connection.close()


class ReadModelStore(SqlStore):
    """The read-model tables, with one transaction per folded batch and its tracking position.

    Opened with `live` (SQLite: the home folder; PostgreSQL: True) it follows the live version
    (projections/versions.py): a rebuild's switch moves it over before its next statement, and `epoch`
    counts the moves, so a folder holding memory of the old version knows to drop it."""

    home: Path | None = None  # SQLite, following: the home whose pointer names the live file
    follows = False
    version = ""
    epoch = 0
    _token: tuple[int, int] | None = None
    _checked = 0.0

    @classmethod
    def live_sqlite(cls, home: Path) -> Self:
        """The live version of a home's read models, followed across switches."""
        home.mkdir(parents=True, exist_ok=True)
        while True:
            token, name = versions.pointer_token(home), versions.live_file(home)
            try:
                store = cls._connect_version(home, name)
            except sqlite3.OperationalError:  # switched and dropped while we looked: look again
                if versions.live_file(home) == name:
                    raise
                continue
            store.home, store.follows, store.version, store._token = home, True, name, token
            return store

    @classmethod
    def version_sqlite(cls, home: Path, name: str) -> Self:
        """One version, new or not, that does not follow the pointer (a rebuild's)."""
        store = cls.sqlite(home / name)
        store.home, store.version = home, name
        return store

    @classmethod
    def _connect_version(cls, home: Path, name: str) -> Self:
        if name == versions.FIRST_SQLITE:
            return cls.sqlite(home / name)
        connection = sqlite3.connect(f"file:{home / name}?mode=rw", uri=True, timeout=30, isolation_level=None,
                                     check_same_thread=False)  # never a new empty file where a version was
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return cls(connection, "sqlite", str(home / name))

    @classmethod
    def live_postgres(cls, url: str, schema: str | None = None) -> Self:
        """The live schema (followed across switches), or with `schema` that one version only."""
        import psycopg

        connection = psycopg.connect(url, autocommit=True)
        if schema is not None:
            return cls._on_schema(connection, schema, follows=False)
        versions.ensure_live_table(connection)
        versions.hold_default(connection)
        with connection.transaction():  # the pointer held until the tables exist: a switch waits, so the version
            name = versions.live_schema(connection, lock=True)  # it drops is never made again behind it
            return cls._on_schema(connection, name, follows=True)

    @classmethod
    def _on_schema(cls, connection: Any, name: str, follows: bool) -> Self:
        if name != versions.FIRST_SCHEMA:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {name}")
        connection.execute(f"SET search_path TO {name}")
        store = cls(connection, "postgres")
        store.follows, store.version, store._checked = follows, name, time.monotonic()
        return store

    def refresh(self, force: bool = False) -> bool:
        if not self.follows:
            return False
        if self.dialect == "sqlite":
            assert self.home is not None
            token = versions.pointer_token(self.home)
            if token == self._token and not force:
                return False
            moved = False
            while versions.live_file(self.home) != self.version:
                name = versions.live_file(self.home)
                try:
                    connection = self._connect_version(self.home, name).connection
                except sqlite3.OperationalError:
                    continue  # dropped by a later switch already
                self.connection.close()
                self.connection, self.path, self.version, moved = connection, str(self.home / name), name, True
            self._token = token
        else:
            now = time.monotonic()
            if not force and now - self._checked < 0.25:  # a round trip: at most four times a second
                return False
            self._checked = now
            name = versions.live_schema(self.connection)
            moved = name != self.version
            if moved:
                self.connection.execute(f"SET search_path TO {name}")
                self.version = name
        if moved:
            self.epoch += 1
        return moved

    def _live_in(self, cursor: Any) -> bool:
        if not self.follows or self.dialect == "sqlite":
            return True  # SQLite: a write into a version switched away from is dropped with it, never counted
        return versions.live_schema(cursor, lock=True) == self.version

    def create(self) -> None:
        """Make the tables; a store written by another schema version is dropped first and refolded
        from the first event by the next catch-up (the events are the truth, read models are caches).

        On PostgreSQL two processes opening a new database at once would both create the tables (one
        fails on the catalogue's unique type names): the creation is one transaction under an advisory lock."""
        if self.dialect == "postgres":
            with self.connection.transaction():
                self.connection.execute("SELECT pg_advisory_xact_lock(hashtext('plaintrail.readmodels.create'))")
                self._create()
        else:
            self._create()

    def _create(self) -> None:
        cursor = self.connection.cursor()
        try:
            cursor.execute("CREATE TABLE IF NOT EXISTS readmodel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            cursor.execute("SELECT value FROM readmodel_meta WHERE key = 'schema_version'")
            row = cursor.fetchone()
            if row is None or row[0] != SCHEMA_VERSION:  # new, older or unversioned: start clean
                for table in TABLES:
                    cursor.execute(f"DROP TABLE IF EXISTS {table}")
                cursor.execute("CREATE TABLE readmodel_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                row = None
            for statement in SCHEMA:
                cursor.execute(statement if self.dialect == "sqlite" else statement.replace("WITHOUT ROWID", ""))
            if row is None:
                cursor.execute(self.sql("INSERT INTO readmodel_meta (key, value) VALUES ('schema_version', ?)"),
                               (SCHEMA_VERSION,))
        finally:
            cursor.close()

    def drop(self) -> None:
        """Forget every read model (the events stay); `rebuild` folds them again from the first event."""
        with self.transaction() as cursor:
            for table in TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
        self.create()

    def position(self, projection: str, source: str, partition: int = 0) -> int | None:
        rows = self.query("SELECT position FROM tracking WHERE projection = ? AND source = ? AND partition = ?",
                          (projection, source, partition))
        return int(rows[0][0]) if rows else None

    def meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM readmodel_meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as cursor:
            self.execute(cursor, "INSERT INTO readmodel_meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    # A rebuild marks the store while it runs (and leaves the mark if it dies): nothing else folds then.
    def begin_rebuild(self) -> None:
        self.set_meta(REBUILDING, "under way")

    def rebuilding(self, cursor: Any = None) -> bool:
        """Whether the mark is there; inside `cursor`'s transaction when given."""
        if cursor is None:
            return self.meta(REBUILDING) is not None
        return self.execute(cursor, "SELECT value FROM readmodel_meta WHERE key = ?", (REBUILDING,)).fetchone() \
            is not None

    def end_rebuild(self, cursor: Any) -> None:
        self.execute(cursor, "DELETE FROM readmodel_meta WHERE key = ?", (REBUILDING,))

    @contextmanager
    def rebuild_lock(self) -> Iterator[bool]:
        """True when this process may rebuild: one rebuild at a time, held while it runs, and let go
        by the operating system or the database if the process dies."""
        if self.dialect == "postgres":
            got = bool(self.query("SELECT pg_try_advisory_lock(hashtext('plaintrail.rebuild'))")[0][0])
            try:
                yield got
            finally:
                if got:
                    self.query("SELECT pg_advisory_unlock(hashtext('plaintrail.rebuild'))")
            return
        if self.path == ":memory:":
            yield True
            return
        lock = self.home / "readmodels.rebuild-lock" if self.home is not None else f"{self.path}.rebuild-lock"
        with open(lock, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
