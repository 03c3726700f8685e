"""Blue/green read models: which version is live, where a new one is built beside it, and the switch.

A rebuild never empties what queries read. It folds a new version (SQLite: another file in the home;
PostgreSQL: another schema) while the live one keeps answering and folding; once the new one has caught
up it becomes live in one atomic step (a pointer: HOME/readmodels.live, renamed into place, or the one row
of `readmodel_live`), and the old one is dropped. A store that follows the live version notices the switch
on its next statement and moves over (`ReadModelStore.refresh`); a rebuild killed half-way leaves only an
abandoned version, which the next rebuild removes.

Names: the first version is `readmodels.sqlite` / the `public` schema (homes from before versions);
later ones `readmodels-vN.sqlite` / `readmodels_vN`.
"""

from __future__ import annotations

import os
import re
import weakref
from pathlib import Path
from typing import Any

FIRST_SQLITE, FIRST_SCHEMA = "readmodels.sqlite", "public"
POINTER = "readmodels.live"
NUMBERED_SQLITE = re.compile(r"^readmodels-v(\d+)\.sqlite$")
NUMBERED_SCHEMA = re.compile(r"^readmodels_v(\d+)$")
LIVE_TABLE = "public.readmodel_live"


def number(name: str) -> int:
    found = NUMBERED_SQLITE.match(name) or NUMBERED_SCHEMA.match(name)
    return int(found.group(1)) if found else 1


# -- SQLite: one file per version in the home, the live one named by a small file renamed into place

def live_file(home: Path) -> str:
    try:
        name = (home / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return FIRST_SQLITE
    return name if NUMBERED_SQLITE.match(name) or name == FIRST_SQLITE else FIRST_SQLITE


def pointer_token(home: Path) -> tuple[int, int] | None:
    """Changes whenever the pointer is replaced: a stat, cheap enough to check before every statement."""
    try:
        found = os.stat(home / POINTER)
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns


def sqlite_versions(home: Path) -> list[str]:
    names = [FIRST_SQLITE] if (home / FIRST_SQLITE).exists() else []
    return names + sorted((p.name for p in home.glob("readmodels-v*.sqlite") if NUMBERED_SQLITE.match(p.name)),
                          key=number)


def switch_file(home: Path, name: str) -> None:
    """Make `name` live: written aside, flushed, then renamed over the pointer (atomic on POSIX)."""
    aside = home / f"{POINTER}.{os.getpid()}"
    with open(aside, "w", encoding="utf-8") as file:
        file.write(name + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(aside, home / POINTER)
    directory = os.open(home, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def remove_file_version(home: Path, name: str) -> None:
    """Delete a version's files; a process still holding it open keeps reading its own copy until it moves."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (home / f"{name}{suffix}").unlink(missing_ok=True)


# -- PostgreSQL: one schema per version, the live one named in a one-row table

def live_schema(connection: Any, lock: bool = False) -> str:
    """The live schema; with `lock`, inside the caller's transaction and held against a switch until it ends.
    `connection` may be a cursor (inside a transaction)."""
    ensure_live_table(getattr(connection, "connection", connection))
    row = connection.execute(f"SELECT version FROM {LIVE_TABLE} WHERE one = 1" + (" FOR SHARE" if lock else "")
                             ).fetchone()
    return str(row[0]) if row else FIRST_SCHEMA


# Connections that made sure of the pointer table. Weak: an id() would be reused by a later connection,
# maybe to another database that has no such table yet.
_made: weakref.WeakSet[Any] = weakref.WeakSet()


def ensure_live_table(connection: Any) -> None:
    if connection in _made:
        return
    _made.add(connection)
    try:
        connection.execute(f"CREATE TABLE IF NOT EXISTS {LIVE_TABLE} "
                           "(one INTEGER PRIMARY KEY CHECK (one = 1), version TEXT NOT NULL)")
    except Exception:  # two processes creating it at once: one is told it exists
        connection.execute(f"SELECT version FROM {LIVE_TABLE}")


def schema_versions(connection: Any) -> list[str]:
    rows = connection.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'readmodels_v%'").fetchall()
    names = [str(r[0]) for r in rows if NUMBERED_SCHEMA.match(str(r[0]))]
    first = connection.execute("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'tracking'"
                               ).fetchone()
    return ([FIRST_SCHEMA] if first else []) + sorted(names, key=number)


def hold_default(connection: Any) -> None:
    """The pointer's row, naming the first version until a switch names another: a reader locks that row while it
    makes its tables, which it could not do while no row existed (before the first switch)."""
    connection.execute(f"INSERT INTO {LIVE_TABLE} (one, version) VALUES (1, %s) ON CONFLICT (one) DO NOTHING",
                       (FIRST_SCHEMA,))


def switch_schema(connection: Any, name: str) -> None:
    """Make `name` live in one statement; waits for transactions that hold the pointer (writers folding)."""
    ensure_live_table(connection)
    connection.execute(f"INSERT INTO {LIVE_TABLE} (one, version) VALUES (1, %s) "
                       "ON CONFLICT (one) DO UPDATE SET version = excluded.version", (name,))


def remove_schema_version(connection: Any, name: str, tables: tuple[str, ...]) -> None:
    if name == FIRST_SCHEMA:  # the first version shares `public` with the events: only its own tables go
        for table in tables:
            connection.execute(f"DROP TABLE IF EXISTS public.{table}")
    elif NUMBERED_SCHEMA.match(name):
        connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
