"""Kafka workers: one consumer group per projection, folding `complaint-events` into the read models.

Each poll's messages are folded per partition and written in ONE read-model transaction together with
that partition's offset, so a redelivered message is never counted twice and a crash between the write
and Kafka's own offset commit loses nothing: on start and on every rebalance the worker seeks each
partition to the offset stored with the read models, not to Kafka's. A message that is not a valid
envelope (not JSON, a tombstone, the wrong shape) or whose event cannot be folded goes to
`complaint-events.dlq` with the reason, partition and offset, and the worker carries on: the offset
past it is stored with the next batch's rows, so a crash after the letter redelivers (a second letter
at most) and never counts or loses an event. A worker folds only a home whose transport is this topic
(projections/transport.py).
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from datetime import tzinfo
from typing import Any

from consumers.dead_letters import dead_letter, infrastructure, why
from consumers.kafka_io import DEFAULT_TOPICS, EVENTS, ONCE_WAIT_S, Deadline, Stop, Topics, unassigned
from monitoring.health import Health
from projections import transport
from projections.bulk import few_collections
from projections.envelope import Envelope
from projections.runner import PROJECTION, PositionMoved, Projector, RebuildUnderWay
from projections.store import ReadModelStore


class Worker:
    def __init__(self, consumer: Any, producer: Any, store: ReadModelStore, tz: tzinfo,
                 projection: str = PROJECTION, topics: Topics = DEFAULT_TOPICS) -> None:
        self.consumer, self.producer, self.store = consumer, producer, store
        self.topic, self.dlq = topics.events, topics.events_dlq
        self.projector = Projector(store, tz)
        self.projector.redeliveries = True
        self.projection = projection
        self.folded = 0
        self.dead = 0
        self.epoch = store.epoch  # the read-model version count this worker's partitions were sought in
        self.lag: dict[tuple[str, int], tuple[int, int]] = {}  # (topic, partition) -> (next offset, messages after)
        self.holes: dict[int, int] = {}  # partition -> the offset found missing once (see `unbroken`)
        self.health = Health()

    def subscribe(self) -> None:
        from kafka import ConsumerRebalanceListener

        worker = self

        class SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
            def on_partitions_revoked(self, revoked: Any) -> None:
                worker.projector.cache.clear()

            def on_partitions_assigned(self, assigned: Any) -> None:
                worker.projector.cache.clear()
                for tp in assigned:
                    worker.seek(tp)

        self.consumer.subscribe([self.topic], listener=SeekToStored())

    def seek(self, tp: Any) -> None:
        stored = self.store.position(self.projection, self.topic, tp.partition)
        if stored is None:
            self.consumer.seek_to_beginning(tp)
        else:
            self.consumer.seek(tp, stored + 1)

    def poll_once(self, timeout_ms: int = 1000) -> int:
        """Fold one poll's messages; returns how many messages it took."""
        self.store.refresh(force=True)
        if self.store.epoch != self.epoch:  # a rebuild made a new version live: go on from the offsets it holds
            self.epoch = self.store.epoch
            self.projector.cache.clear()
            for tp in self.consumer.assignment():
                self.seek(tp)
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        taken = 0
        for tp, messages in polled.items():
            taken += len(messages)
            stored = self.store.position(self.projection, self.topic, tp.partition)
            fresh = self.unbroken(tp, [m for m in messages if stored is None or m.offset > stored], stored)
            if not fresh:
                continue
            transport.claim(self.store, self.topic)  # switched away while running: stop, never fold beside it
            readable = []
            for message in fresh:
                try:
                    readable.append((message, Envelope.from_json(message.value)))
                except ValueError as error:
                    self.reject(message, f"not a plaintrail envelope: {error}")
            try:
                try:
                    self.fold([e for _, e in readable], tp.partition, fresh[-1].offset, stored)
                except PositionMoved:
                    raise
                except Exception as error:
                    if infrastructure(error):
                        raise
                    self.fold_each(readable, tp.partition, fresh[-1].offset, stored)
            except RebuildUnderWay:
                self.seek(tp)  # read these again once the rebuild is done
                time.sleep(1)
            except PositionMoved:
                self.seek(tp)  # another worker of the group got there first (a rebalance)
        if taken:
            commit(self.consumer)
        self.lag = partition_lag(self.consumer)
        self.health.beat(bool(self.consumer.assignment()), "no partition of the topic assigned to this worker (yet)")
        return taken

    def unbroken(self, tp: Any, fresh: list[Any], stored: int | None) -> list[Any]:
        """The messages up to the first hole in the offsets: our topic is neither compacted nor transactional,
        so a message missing between the stored offset and the next one read (or inside a fetch) was skipped
        by the client, not absent: the partition is read again from the hole. A hole found at the same place
        twice is taken as real (a topic compacted by an operator), so the worker never stops on it."""
        expected = None if stored is None else stored + 1
        for index, message in enumerate(fresh):
            if expected is not None and message.offset != expected:
                if self.holes.get(tp.partition) == expected:
                    del self.holes[tp.partition]
                    return fresh
                self.holes[tp.partition] = expected
                self.consumer.seek(tp, expected)
                return fresh[:index]
            expected = message.offset + 1
        return fresh

    def fold(self, envelopes: list[Envelope], partition: int, offset: int, after: int | None) -> None:
        self.folded += self.projector.fold(envelopes, self.topic, partition, offset, after)

    def fold_each(self, readable: list[tuple[Any, Envelope]], partition: int, last: int, after: int | None) -> None:
        """A batch that would not fold, one message at a time: each that fails alone is dead-lettered, the
        others are folded, and the partition's offset reaches `last` either way."""
        for message, envelope in readable:
            try:
                self.fold([envelope], partition, message.offset, after)
            except PositionMoved:
                raise
            except Exception as error:
                if infrastructure(error):
                    raise
                self.reject(message, f"cannot be folded: {why(error)}")
                continue
            after = message.offset
        if after != last:
            self.fold([], partition, last, after)

    def reject(self, message: Any, reason: str) -> None:
        dead_letter(self.producer, self.dlq, message, reason)
        self.dead += 1

    def run(self, once: bool = False, stop: Stop | None = None, wait_s: float = ONCE_WAIT_S) -> int:
        """Consume until stopped; with `once`, until a poll comes back empty (caught up), or raise
        BrokerUnreachable when no partition was given to it within `wait_s`."""
        transport.claim(self.store, self.topic)
        self.subscribe()
        idle, patience = 0, Deadline(wait_s if once else None, unassigned(self.topic))
        with few_collections():  # batch after batch of long-lived objects: collected rarely, not between batches
            while not stop:
                taken = self.poll_once()
                idle = idle + 1 if taken == 0 else 0
                if once and (idle >= 2 or taken and read_to_end(self.consumer)) \
                        and caught_up(self.consumer, self.topic):
                    break
                patience.watch(bool(self.consumer.assignment()))
        return self.folded


def caught_up(consumer: Any, topic: str) -> bool:
    """Every partition of the topic is ours and read to its end (for `--once`: the only worker of its group)."""
    assigned = consumer.assignment()
    if not assigned:  # before asking for the topic's partitions: with no broker that question waits for ever
        return False
    if {tp.partition for tp in assigned} != (consumer.partitions_for_topic(topic) or set()):
        return False
    for tp in assigned:
        high = consumer.highwater(tp)
        if high is not None and consumer.position(tp) < high:
            return False
    return True


def read_to_end(consumer: Any) -> bool:
    """Every assigned partition has been fetched from (its end is known) and read to that end: `--once` can
    stop after the poll that took the last message instead of waiting out empty polls."""
    assigned = consumer.assignment()
    return bool(assigned) and all((high := consumer.highwater(tp)) is not None and consumer.position(tp) >= high
                                  for tp in assigned)


def partition_lag(consumer: Any) -> dict[tuple[str, int], tuple[int, int]]:
    """(next offset, messages after it) of each assigned partition the consumer has fetched from: its own
    view, from the last fetch's high-water mark, at no cost of a request."""
    found = {}
    for tp in consumer.assignment():
        high = consumer.highwater(tp)
        if high is not None:
            position = consumer.position(tp)
            found[(tp.topic, tp.partition)] = (position, max(0, high - position))
    return found


def commit(consumer: Any) -> None:
    """Tell Kafka how far the group got. Only a courtesy: the truth is the offset stored with the read models
    (or, for intake, the action ids), so a commit refused during a rebalance is harmless and skipped."""
    from kafka.errors import CommitFailedError, KafkaError

    with contextlib.suppress(CommitFailedError, KafkaError):
        consumer.commit()


def partition_positions(store: ReadModelStore, projection: str = PROJECTION, topic: str = EVENTS) -> dict[int, int]:
    rows = store.query("SELECT partition, position FROM tracking WHERE projection = ? AND source = ?",
                       (projection, topic))
    found: dict[int, int] = defaultdict(int)
    found.update({int(p): int(o) for p, o in rows})
    return dict(found)
