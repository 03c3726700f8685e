"""The transactional-outbox relay: the notification log, in order, onto the `complaint-events` topic.

Each event goes out as its stored bytes framed in a JSON message (`projections.envelope.wire`: nothing is
decoded on the way), keyed by complaint id (organisation events by the organisation's id), so
per-complaint order holds on any partition count. The position advances
only after the broker acknowledged every message up to it: a crash never skips an event; it may
republish a few, which the workers ignore (each fold is idempotent per aggregate version).

A broker outage stops nothing: the relay says so on stderr and waits, looking again after a pause that
doubles up to `MAX_PAUSE`; its (patient) producer keeps every unacknowledged message, in order, until the
broker is back. A batch the broker refused outright is published again from the stored position.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import orjson

from consumers.kafka_io import EVENTS, ONCE_WAIT_S, Deadline, Stop
from domain.application import ComplaintLog
from monitoring.health import Health
from projections.bulk import few_collections
from projections.envelope import wire
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


MAX_PAUSE = 30.0  # seconds: the longest wait between two looks at a broker that is down


@few_collections()  # the rows of a batch are many young objects: a full collection per batch costs up to 3 us an event
def relay(log: ComplaintLog, producer: Any, position: RelayPosition, topic: str = EVENTS, once: bool = False,
          batch: int = 10_000, stop: Stop | None = None, idle: float = 0.5, pause: float = 0.5,
          health: Health | None = None, published: dict[str, int] | None = None,
          wait_s: float = ONCE_WAIT_S) -> int:
    """Publish every event after the stored position; with `once`, stop when caught up, or raise BrokerUnreachable
    when no batch was acknowledged for `wait_s` seconds (without `once` an outage is waited out however long).
    Returns events sent; `published["events"]` counts them as they go and `health` hears whether the broker keeps up
    (metrics)."""
    from kafka.errors import KafkaError

    sent = 0
    waiting = pause
    health = health or Health()
    patience = Deadline(wait_s if once else None, nothing_acknowledged(topic, position))
    ahead: dict[int, list[Stored]] = {}  # the next batch by the position it follows, read while the broker
    while not stop:  # acknowledged the batch before: taken only when the stored position is that one
        after = position.get(topic)
        notes = ahead.pop(after, None) or stored_after(log.recorder, after, batch)
        ahead.clear()
        if not notes:
            health.beat()
            if once:
                break
            _wait(stop, idle)
            continue

        def read_ahead(last: int = notes[-1][0]) -> None:
            ahead[last] = stored_after(log.recorder, last, batch)

        try:
            if not _publish(producer, topic, notes, stop, pause, health, read_ahead, patience):
                break  # stopped while the broker was away: these go out next time
        except KafkaError as error:
            ahead.clear()  # published again from the stored position
            patience.watch(False)
            print(f"plaintrail relay: the broker did not take events {notes[0][0]}-{notes[-1][0]} ({error}); "
                  f"publishing again from {after + 1} in {waiting:.1f} s", file=sys.stderr, flush=True)
            health.beat(False, f"the broker did not take events {notes[0][0]}-{notes[-1][0]}: {error}")
            _wait(stop, waiting)
            waiting = min(waiting * 2, MAX_PAUSE)
            continue
        waiting = pause
        patience.watch(True)
        position.set(topic, notes[-1][0])
        sent += len(notes)
        health.beat()
        if published is not None:
            published["events"] = published.get("events", 0) + len(notes)
    return sent


def nothing_acknowledged(topic: str, position: RelayPosition) -> Callable[[float], str]:
    """Why `relay --once` gives up; nothing is lost: the position stays put."""
    return lambda wait_s: (f"no broker acknowledged an event of {topic} within {wait_s:g} s; nothing is lost: the "
                           f"next run publishes from event {position.get(topic) + 1}")


def _publish(producer: Any, topic: str, notes: Sequence[Stored], stop: Stop | None, pause: float,
             health: Health, meanwhile: Callable[[], None] = lambda: None, patience: Deadline | None = None) -> bool:
    """Send `notes` and wait until the broker acknowledged them all (True), or until stopped (False); while the
    producer's thread ships them, `meanwhile` runs (the next batch is read: the broker's acknowledgements of each
    batch were a pause of the relay's own). Raises KafkaError when the broker refused one."""
    from kafka.errors import KafkaTimeoutError

    futures = []
    for row in notes:
        futures.append(producer.send(topic, key=key_of(row), value=wire(*row)))
    meanwhile()
    waited, waiting = 0.0, pause
    while True:
        try:
            producer.flush(timeout=waiting)
            break
        except KafkaTimeoutError:
            waited += waiting
            if stop:
                return False
            if patience is not None:
                patience.watch(False)
            unacknowledged = sum(not f.is_done for f in futures)
            if waited >= 3:  # a slow flush is not news; a broker silent for seconds is
                health.beat(False, f"waiting {waited:.0f} s for the broker to acknowledge {unacknowledged} events")
                print(f"plaintrail relay: waiting for the broker ({unacknowledged} events not yet acknowledged, "
                      f"{waited:.0f} s so far)", file=sys.stderr, flush=True)
            waiting = min(waiting * 2, MAX_PAUSE)
    for future in futures:
        future.get(timeout=0)  # raises if the broker refused any: the position stays behind it
    return True


Stored = tuple[int, Any, int, str, bytes]  # notification id, aggregate id (UUID, or its text on SQLite), version,
# topic, state: a Notification's fields as a plain tuple (a namedtuple or dataclass per row cost 1-5 us more)


def stored_after(recorder: Any, after: int, limit: int) -> list[Stored]:
    """The next `limit` events of the log after notification id `after`. From SQLite read as plain rows with
    the aggregate id kept as its stored text: the library's `select_notifications` builds a UUID and a
    Notification per row by column name, which cost the relay more than framing them (8 vs 2 us an event)."""
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if not isinstance(recorder, SQLiteApplicationRecorder):
        return [(n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in recorder.select_notifications(after + 1, limit)]
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.sqlite_cursor.row_factory = None  # plain tuples, not sqlite3.Row
        cursor.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM "
                       f"{recorder.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?", (after, limit))
        return cursor.fetchall()  # type: ignore[no-any-return]


_keys: dict[Any, bytes] = {}  # aggregate id -> message key: a complaint's events come together, read once


def key_of(row: Stored) -> bytes:
    """The complaint id (one aggregate per complaint, so it is read from the first of its events seen),
    or the aggregate's id for events of no complaint."""
    key = _keys.get(row[1])
    if key is None:
        if len(_keys) >= 100_000:
            _keys.clear()
        aggregate = str(UUID(str(row[1]))).encode()  # dashed, as ever
        try:
            complaint = orjson.loads(row[4]).get("complaint_id")
        except (orjson.JSONDecodeError, AttributeError):  # a damaged row goes out all the same (the worker
            return aggregate  # dead-letters it with the reason); nothing learnt from it
        key = _keys[row[1]] = complaint.encode() if isinstance(complaint, str) else aggregate
    return key


def _wait(stop: Stop | None, seconds: float) -> None:
    if stop is not None:
        stop.event.wait(seconds)
    else:
        time.sleep(seconds)
