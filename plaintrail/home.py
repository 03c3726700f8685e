"""The data directory as users meet it: a query on a home with no events says so instead of answering empty."""

from __future__ import annotations

import sqlite3
from typing import Any

from plaintrail.settings import Settings


class NothingRecorded(LookupError):
    """No event in this home's store: most often a command run without the --home the data was loaded into."""


def has_events(settings: Settings) -> bool:
    """Whether the event store holds any event; asks without opening the application (which would make the
    store, or close a shared connection pool when dropped)."""
    return _ask(settings, "SELECT 1 FROM {table} LIMIT 1") is not None


def log_head(settings: Settings) -> int:
    """The last notification id recorded (0 for none): how far every projection has to go. Read like
    `has_events`, so watching a home never creates or changes anything in it."""
    found = _ask(settings, "SELECT MAX({id}) FROM {table}")
    return max(0, int(found)) if found is not None else 0


def _ask(settings: Settings, query: str) -> Any:
    """The first column of the first row of `query` on the events table, or None (no row, no table)."""
    from plaintrail.wiring import events_table

    table = events_table(settings)
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url) as connection:
            if connection.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
                return None
            row = connection.execute(query.format(table=table, id="notification_id")).fetchone()
            return row[0] if row else None
    path = settings.home / "events.sqlite"
    if not path.exists():
        return None
    lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        row = lite.execute(query.format(table=table, id="rowid")).fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError:  # no events table yet
        return None
    finally:
        lite.close()


def has_tree(settings: Settings) -> bool:
    """Whether a Merkle tree was ever built over this home's log; asked without creating one."""
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url) as connection:
            return connection.execute("SELECT to_regclass('merkle_leaves')").fetchone() != (None,)
    return (settings.home / "integrity.sqlite").exists()


def require_record(settings: Settings) -> None:
    """Raise NothingRecorded (exit 2) when the store holds no event."""
    if has_events(settings):
        return
    where = "the PostgreSQL database of PLAINTRAIL_DATABASE_URL" if settings.database_url else \
        str(settings.home.resolve())
    raise NothingRecorded(f"no events recorded in {where}: nothing to show. Pass the --home the data was loaded "
                          "into (before or after the command; or set PLAINTRAIL_HOME: `make demo` loads var/demo), "
                          "or load some first with `plaintrail org load FILE` and `plaintrail import FILE`")
