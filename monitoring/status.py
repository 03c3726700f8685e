"""`plaintrail status`: what an operator asks first. How far the log got, how far each projection folded it,
which read-model version is live, whether a rebuild is under way, the last signed checkpoint, Kafka's
groups and lag, and the dead letters waiting.

Read only: watching a home never folds, rebuilds or creates anything (a query would catch up first).
Positions are notification ids of the log. In Kafka mode the read models' own positions are offsets per
partition, so their `position` is the log head less their lag, and the lag counts every event the relay has
not yet published plus every message the workers have not yet folded (unknown, null, while the broker
cannot be asked).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from consumers.kafka_io import Topics
from consumers.local import SOURCE
from plaintrail.home import log_head
from plaintrail.settings import Settings
from projections import problems, transport
from projections.runner import PROJECTION
from projections.store import ReadModelStore


def status(settings: Settings, kafka: bool = True) -> dict[str, Any]:
    """The whole picture; `kafka=False` leaves the broker alone (a metrics scrape every few seconds)."""
    from plaintrail.wiring import open_read_models

    head = log_head(settings)
    store = open_read_models(settings)
    try:
        source = transport.recorded_or_none(store)
        if source is None and settings.kafka_bootstrap:  # the first worker will claim it for the topic
            source = Topics.of(settings).events
        relay_position = relayed(settings)
        view = None
        if source not in (None, transport.EMBEDDED) and settings.kafka_bootstrap and kafka:
            from monitoring.offsets import kafka_view

            view = kafka_view(settings, store, relay_position, head)
        answer: dict[str, Any] = {
            "log_head": head,
            "read_model_version": store.version,
            "transport": source,
            "projections": [projection(store, source, head, relay_position, view)],
            "rebuild": rebuild_under_way(settings),
            "checkpoint": checkpoint(settings, head),
            "fold_problems": problems.count(store),
            "dead_letters": view["dead_letters"] if view else {},
            "kafka": view,
        }
    finally:
        store.close()
    return answer


def projection(store: ReadModelStore, source: str | None, head: int, relay_position: int,
               view: dict[str, Any] | None) -> dict[str, Any]:
    """{name, position, lag, transport}: the read models, one projection kept in one transaction per batch."""
    if source in (None, transport.EMBEDDED):
        position = store.position(PROJECTION, SOURCE) or 0
        return {"name": PROJECTION, "position": position, "lag": max(0, head - position), "transport": "embedded"}
    lag = None
    if view is not None and view.get("reachable"):
        workers = view["consumer_groups"][0]
        lag = max(0, head - relay_position) + int(workers["lag"])
    return {"name": PROJECTION, "position": head - lag if lag is not None else None, "lag": lag,
            "transport": "kafka", "topic": source}


def relayed(settings: Settings) -> int:
    """The relay's acknowledged position (0 before it ever ran); opens nothing that is not there."""
    from consumers.kafka_io import Topics
    from consumers.relay import RelayPosition

    if settings.database_url:
        position = RelayPosition.postgres(settings.database_url)
    elif (settings.home / "relay.sqlite").exists():
        position = RelayPosition.sqlite(settings.home / "relay.sqlite")
    else:
        return 0
    try:
        return position.get(Topics.of(settings).events)
    finally:
        position.close()


def rebuild_under_way(settings: Settings) -> dict[str, Any] | None:
    from monitoring.rebuild_progress import under_way

    found = under_way(settings.home)
    if found is None:
        return None
    total = int(found["events_total"]) or 1
    return {"version": found["version"], "events_folded": found["events_folded"], "events_total":
            found["events_total"], "percent": round(100 * int(found["events_folded"]) / total, 1)}


def checkpoint(settings: Settings, head: int) -> dict[str, Any] | None:
    """The latest signed tree head: its size, root, time and age, and how many events it does not cover yet."""
    from plaintrail.wiring import open_transparency

    if not settings.database_url and not (settings.home / "integrity.sqlite").exists():
        return None
    tree = open_transparency(settings)
    try:
        latest = tree.store.latest()
        last = tree.store.query("SELECT notification_id FROM merkle_leaves WHERE leaf_index = ?",
                                (latest.size - 1,)) if latest is not None else []
    finally:
        tree.store.close()
    if latest is None:
        return None
    covered = int(last[0][0]) if last else latest.size  # the notification id of the last event it covers
    signed = datetime.fromisoformat(latest.timestamp.replace("Z", "+00:00"))
    return {"size": latest.size, "root": latest.root, "timestamp": latest.timestamp,
            "age_seconds": round((datetime.now(UTC) - signed).total_seconds(), 1),
            "events_not_covered": max(0, head - covered), "public_key": latest.public_key}
