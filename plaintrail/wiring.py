"""The composition root: settings in, stores and applications out. Nothing else builds them."""

from __future__ import annotations

from domain.application import ComplaintLog
from plaintrail.settings import Settings


def open_log(settings: Settings) -> ComplaintLog:
    """The event store application, on SQLite under `home` or on PostgreSQL when configured."""
    return ComplaintLog(env=settings.event_store_env())
