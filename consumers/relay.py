"""The transactional-outbox relay: the notification log, in order, onto the `complaint-events` topic.

Each event goes out as its self-describing JSON envelope, keyed by complaint id (organisation events by
the organisation's id), so per-complaint order holds on any partition count. The position advances
only after the broker acknowledged every message up to it: a crash never skips an event; it may
republish a few, which the workers ignore (each fold is idempotent per aggregate version).
"""

from __future__ import annotations

import time
from typing import Any

from consumers.kafka_io import EVENTS, Stop
from domain.application import ComplaintLog
from projections.envelope import Envelope
from projections.store import SqlStore


class RelayPosition(SqlStore):
    """The last notification id whose publication was acknowledged, per topic."""

    def create(self) -> None:
        self.connection.execute("CREATE TABLE IF NOT EXISTS relay_position (topic TEXT PRIMARY KEY, "
                                "position BIGINT NOT NULL)")

    def get(self, topic: str) -> int:
        rows = self.query("SELECT position FROM relay_position WHERE topic = ?", (topic,))
        return int(rows[0][0]) if rows else 0

    def set(self, topic: str, position: int) -> None:
        with self.transaction() as cursor:
            self.execute(cursor, "INSERT INTO relay_position (topic, position) VALUES (?, ?) ON CONFLICT (topic) "
                         "DO UPDATE SET position = excluded.position", (topic, position))


def relay(log: ComplaintLog, producer: Any, position: RelayPosition, topic: str = EVENTS, once: bool = False,
          batch: int = 2_000, stop: Stop | None = None, idle: float = 0.5) -> int:
    """Publish every event after the stored position; with `once`, stop when caught up. Returns events sent."""
    sent = 0
    while not stop:
        after = position.get(topic)
        notes = log.recorder.select_notifications(after + 1, batch)
        if not notes:
            if once:
                break
            if stop:
                stop.event.wait(idle)
            else:
                time.sleep(idle)
            continue
        futures = []
        for note in notes:
            envelope = Envelope.from_notification(note)
            key = (envelope.complaint_id or envelope.originator_id).encode()
            futures.append(producer.send(topic, key=key, value=envelope.to_json()))
        producer.flush()
        for future in futures:
            future.get(timeout=30)  # raises if the broker refused any: the position stays behind it
        position.set(topic, notes[-1].id)
        sent += len(notes)
    return sent
