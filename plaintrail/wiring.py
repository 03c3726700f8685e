"""The composition root: settings in, stores and applications out. Nothing else builds them."""

from __future__ import annotations

from consumers.local import follow
from domain.application import ComplaintLog
from plaintrail.settings import Settings
from projections.runner import Projector
from projections.store import ReadModelStore


def open_log(settings: Settings) -> ComplaintLog:
    """The event store application, on SQLite under `home` or on PostgreSQL when configured."""
    from plaintrail.vault import open_vault

    return ComplaintLog(env=settings.event_store_env(), vault=open_vault(settings))


def open_read_models(settings: Settings) -> ReadModelStore:
    """The read-model tables: beside the event store (same PostgreSQL database, or HOME/readmodels.sqlite)."""
    if settings.database_url:
        return ReadModelStore.postgres(settings.database_url)
    return ReadModelStore.sqlite(settings.home / "readmodels.sqlite")


def catch_up(settings: Settings, progress: bool = False, log: ComplaintLog | None = None,
             store: ReadModelStore | None = None, force: bool = False) -> int:
    """Bring the read models up to the last recorded event (embedded mode); returns events folded.

    In Kafka mode the workers keep the read models and this does nothing, unless forced (rebuild)."""
    if settings.kafka_bootstrap and not force:
        return 0
    own_store = store is None
    store = store or open_read_models(settings)
    try:
        return follow(log or open_log(settings), store, Projector(store, settings.tz), progress)
    finally:
        if own_store:
            store.close()
