"""Kafka as `plaintrail status` reports it: how far the relay, the read-model workers and intake got, and how many
messages wait in each dead-letter topic.

The workers' positions are the offsets stored with the read models (their truth, consumers/workers.py), not
what the group committed; intake's are its group's committed offsets. End offsets come from the broker. A
broker that does not answer within `TIMEOUT` is reported unreachable, never waited on.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from consumers.kafka_io import Topics, common
from consumers.workers import partition_positions
from plaintrail.settings import Settings
from projections.runner import PROJECTION
from projections.store import ReadModelStore

TIMEOUT = 10.0  # seconds for the whole look at the broker


def reachable(bootstrap: str, timeout: float = 2.0) -> bool:
    """Some broker of the list takes a TCP connection (kafka-python would wait on a dead one for minutes)."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
                return True
        except (OSError, ValueError):
            continue
    return False


def kafka_view(settings: Settings, store: ReadModelStore, relay_position: int, log_head: int) -> dict[str, Any]:
    """{bootstrap, reachable, relay, consumer_groups, dead_letters}; `error` when the broker could not be read."""
    assert settings.kafka_bootstrap
    view: dict[str, Any] = {"bootstrap": settings.kafka_bootstrap, "reachable": False,
                            "relay": {"position": relay_position, "lag": max(0, log_head - relay_position)},
                            "consumer_groups": [], "dead_letters": {}}
    if not reachable(settings.kafka_bootstrap):
        view["error"] = f"no broker answers at {settings.kafka_bootstrap}"
        return view
    stored = partition_positions(store, PROJECTION, Topics.of(settings).events)  # read here: the store is ours
    found: dict[str, Any] = {}

    def look() -> None:
        try:
            found.update(_offsets(settings, stored))
        except Exception as error:  # reported, not raised: status is for bad days too
            found["error"] = f"{type(error).__name__}: {error}"

    looking = threading.Thread(target=look, daemon=True)
    looking.start()
    looking.join(TIMEOUT)
    if looking.is_alive():
        view["error"] = f"the broker at {settings.kafka_bootstrap} did not answer within {TIMEOUT:.0f} s"
        return view
    view.update(found, reachable="error" not in found)
    return view


def _offsets(settings: Settings, stored: dict[int, int]) -> dict[str, Any]:
    from kafka import KafkaConsumer, TopicPartition

    topics, prefix = Topics.of(settings), settings.kafka_topic_prefix
    extra = {"request_timeout_ms": 5_000}
    looker = KafkaConsumer(group_id=None, enable_auto_commit=False, **extra, **common(settings))
    intake = KafkaConsumer(group_id=f"{prefix}plaintrail-intake", enable_auto_commit=False, **extra,
                           **common(settings))
    try:
        existing = looker.topics()

        def partitions(topic: str) -> list[Any]:
            return [TopicPartition(topic, p) for p in sorted(looker.partitions_for_topic(topic) or ())] \
                if topic in existing else []

        def group(name: str, topic: str, position: dict[int, int | None]) -> dict[str, Any]:
            tps = partitions(topic)
            ends, starts = looker.end_offsets(tps), looker.beginning_offsets(tps)
            rows = []
            for tp in tps:
                at = position.get(tp.partition)  # the next offset to read; None: nothing read yet
                nxt = max(starts[tp], at if at is not None else starts[tp])
                rows.append({"partition": tp.partition, "end_offset": ends[tp], "position": nxt,
                             "lag": max(0, ends[tp] - nxt)})
            return {"group": name, "topic": topic, "lag": sum(r["lag"] for r in rows), "partitions": rows}

        workers = group(f"{prefix}plaintrail-{PROJECTION}", topics.events, {p: o + 1 for p, o in stored.items()})
        committed = {tp.partition: intake.committed(tp) for tp in partitions(topics.actions)}
        taker = group(f"{prefix}plaintrail-intake", topics.actions, committed)
        dead = {}
        for topic in (topics.events_dlq, topics.actions_dlq):
            tps = partitions(topic)
            ends, starts = looker.end_offsets(tps), looker.beginning_offsets(tps)
            dead[topic] = sum(ends[tp] - starts[tp] for tp in tps)
        return {"consumer_groups": [workers, taker], "dead_letters": dead}
    finally:
        looker.close()
        intake.close()
