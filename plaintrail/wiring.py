"""The composition root: settings in, stores and applications out. Nothing else builds them."""

from __future__ import annotations

import os

from consumers import replay
from consumers.local import SOURCE, follow
from domain.application import ComplaintLog
from plaintrail.settings import Settings
from projections import problems
from projections.runner import PROJECTION, Projector, RebuildUnderWay
from projections.store import ReadModelStore


def open_log(settings: Settings) -> ComplaintLog:
    """The event store application, on SQLite under `home` or on PostgreSQL when configured."""
    from plaintrail.vault import open_vault

    return ComplaintLog(env=settings.event_store_env(), vault=open_vault(settings), window=settings.at_window())


def open_read_models(settings: Settings) -> ReadModelStore:
    """The read-model tables: beside the event store (same PostgreSQL database, or HOME/readmodels.sqlite)."""
    return locations(settings).open_readmodels()


def locations(settings: Settings, table: str = "") -> replay.Stores:
    """Where the stores are, as plain strings (a rebuild's processes open them from these too)."""
    if settings.database_url:
        return replay.Stores(settings.database_url, table, settings.database_url, settings.timezone)
    return replay.Stores(settings.event_store_env()["SQLITE_DBNAME"], table, str(settings.home / "readmodels.sqlite"),
                         settings.timezone)


def rebuild(settings: Settings, progress: bool = False, workers: int | None = None, log: ComplaintLog | None = None,
            store: ReadModelStore | None = None) -> replay.Rebuilt:
    """Drop the read models and fold every event again, in `workers` processes (default: one per core)."""
    log = log or open_log(settings)
    own_store = store is None
    store = store or open_read_models(settings)
    try:
        with store.rebuild_lock() as mine:
            if not mine:
                raise RebuildUnderWay("another process is rebuilding the read models; try again when it is done")
            table = log.recorder.events_table_name  # type: ignore[attr-defined]
            return replay.rebuild(locations(settings, table), store, log.recorder.max_notification_id() or 0,
                                  workers or os.cpu_count() or 1, progress)
    finally:
        if own_store:
            store.close()


def catch_up(settings: Settings, progress: bool = False, log: ComplaintLog | None = None,
             store: ReadModelStore | None = None, force: bool = False) -> int:
    """Bring the read models up to the last recorded event (embedded mode); returns events folded.

    A rebuild that died half-way is done again first, and a long log folded from nothing (a new or
    dropped store, a new schema) is folded the rebuild's way, a complaint at a time. In Kafka mode the
    workers keep the read models and this does nothing, unless forced."""
    if settings.kafka_bootstrap and not force:
        return 0
    own_store = store is None
    store = store or open_read_models(settings)
    log = log or open_log(settings)
    try:
        folded = 0
        from_nothing = store.position(PROJECTION, SOURCE) is None and \
            (log.recorder.max_notification_id() or 0) >= replay.ALONE_BELOW
        if from_nothing or store.rebuilding():  # a long log from the first: the rebuild's way
            try:
                folded = rebuild(settings, progress, log=log, store=store).events
            except RebuildUnderWay:
                return 0  # the rebuilding process brings the read models up to date
        return folded + follow(log, store, Projector(store, settings.tz), progress)
    finally:
        if own_store:
            store.close()


def fold_problems(settings: Settings, store: ReadModelStore | None = None) -> int:
    """How many stored events the read models could not place (`plaintrail verify` lists them)."""
    own_store = store is None
    store = store or open_read_models(settings)
    try:
        return problems.count(store)
    finally:
        if own_store:
            store.close()


def fold_problems_note(count: int) -> str:
    return (f"{count} event{'s' if count != 1 else ''} could not be folded into the read models "
            "(left out of every count); `plaintrail verify` lists them")
