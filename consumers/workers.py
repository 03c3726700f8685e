"""Kafka workers: one consumer group per projection, folding `complaint-events` into the read models.

Each poll's messages are folded per partition and written in ONE read-model transaction together with
that partition's offset, so a redelivered message is never counted twice and a crash between the write
and Kafka's own offset commit loses nothing: on start and on every rebalance the worker seeks each
partition to the offset stored with the read models, not to Kafka's. A message that is not a valid
envelope goes to `complaint-events.dlq` with the reason, and the worker carries on.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections import defaultdict
from datetime import tzinfo
from typing import Any

from consumers.kafka_io import DEFAULT_TOPICS, EVENTS, Stop, Topics
from projections.envelope import Envelope
from projections.runner import PROJECTION, PositionMoved, Projector, RebuildUnderWay
from projections.store import ReadModelStore


def dead_letter(producer: Any, topic: str, message: Any, reason: str) -> None:
    """The original bytes with the reason and where they came from: nothing is dropped silently."""
    value = message.value or b""
    letter = {"reason": reason, "topic": message.topic, "partition": message.partition, "offset": message.offset,
              "key": message.key.decode("utf-8", "replace") if message.key else None,
              "original_base64": base64.b64encode(value).decode(),
              "original_text": value.decode("utf-8", "replace")[:10_000]}
    producer.send(topic, key=message.key, value=json.dumps(letter, ensure_ascii=False).encode()).get(timeout=30)


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
        polled = self.consumer.poll(timeout_ms=timeout_ms)
        taken = 0
        for tp, messages in polled.items():
            taken += len(messages)
            stored = self.store.position(self.projection, self.topic, tp.partition)
            fresh = [m for m in messages if stored is None or m.offset > stored]
            if not fresh:
                continue
            envelopes = []
            for message in fresh:
                try:
                    envelopes.append(Envelope.from_json(message.value))
                except (ValueError, TypeError, KeyError) as error:
                    dead_letter(self.producer, self.dlq, message, f"not a plaintrail envelope: {error}")
                    self.dead += 1
            try:
                self.folded += self.projector.fold(envelopes, self.topic, tp.partition, fresh[-1].offset, stored)
            except RebuildUnderWay:
                self.seek(tp)  # read these again once the rebuild is done
                time.sleep(1)
            except PositionMoved:
                self.seek(tp)  # another worker of the group got there first (a rebalance)
        if taken:
            commit(self.consumer)
        return taken

    def run(self, once: bool = False, stop: Stop | None = None) -> int:
        """Consume until stopped; with `once`, until a poll comes back empty (caught up)."""
        self.subscribe()
        idle = 0
        while not stop:
            taken = self.poll_once()
            idle = idle + 1 if taken == 0 else 0
            if once and idle >= 2 and caught_up(self.consumer, self.topic):
                break
        return self.folded


def caught_up(consumer: Any, topic: str) -> bool:
    """Every partition of the topic is ours and read to its end (for `--once`: the only worker of its group)."""
    assigned = consumer.assignment()
    partitions = consumer.partitions_for_topic(topic) or set()
    if not assigned or {tp.partition for tp in assigned} != partitions:
        return False
    for tp in assigned:
        high = consumer.highwater(tp)
        if high is not None and consumer.position(tp) < high:
            return False
    return True


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
