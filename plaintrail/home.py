"""The data directory as users meet it: a query on a home with no events says so instead of answering empty."""

from __future__ import annotations

import sqlite3

from plaintrail.settings import Settings


class NothingRecorded(LookupError):
    """No event in this home's store: most often a command run without the --home the data was loaded into."""


def has_events(settings: Settings) -> bool:
    """Whether the event store holds any event; asks without opening the application (which would make the
    store, or close a shared connection pool when dropped)."""
    from plaintrail.wiring import events_table

    table = events_table(settings)
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url) as connection:
            if connection.execute("SELECT to_regclass(%s)", (table,)).fetchone() == (None,):
                return False
            return connection.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
    path = settings.home / "events.sqlite"
    if not path.exists():
        return False
    lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        return lite.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # no events table yet
        return False
    finally:
        lite.close()


def require_record(settings: Settings) -> None:
    """Raise NothingRecorded (exit 2) when the store holds no event."""
    if has_events(settings):
        return
    where = "the PostgreSQL database of PLAINTRAIL_DATABASE_URL" if settings.database_url else \
        str(settings.home.resolve())
    raise NothingRecorded(f"no events recorded in {where}: nothing to show. Pass the --home the data was loaded "
                          "into (before or after the command; or set PLAINTRAIL_HOME: `make demo` loads var/demo), "
                          "or load some first with `plaintrail org load FILE` and `plaintrail import FILE`")
