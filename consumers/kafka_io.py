"""Kafka clients built from settings: topic names, the API version (0.9 here, newer in production)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from plaintrail.settings import Settings

EVENTS = "complaint-events"
ACTIONS = "complaint-actions"
ACTIONS_DLQ = "complaint-actions.dlq"
EVENTS_DLQ = "complaint-events.dlq"


@dataclass(frozen=True)
class Topics:
    events: str = EVENTS
    actions: str = ACTIONS
    events_dlq: str = EVENTS_DLQ
    actions_dlq: str = ACTIONS_DLQ

    @classmethod
    def of(cls, settings: Settings) -> Topics:
        p = settings.kafka_topic_prefix
        return cls(p + EVENTS, p + ACTIONS, p + EVENTS_DLQ, p + ACTIONS_DLQ)


DEFAULT_TOPICS = Topics()


def api_version(settings: Settings) -> tuple[int, ...]:
    return tuple(int(part) for part in settings.kafka_api_version.split("."))


def common(settings: Settings) -> dict[str, Any]:
    if not settings.kafka_bootstrap:
        raise ValueError("Kafka mode needs PLAINTRAIL_KAFKA_BOOTSTRAP (e.g. 127.0.0.1:9092; `plaintrail kafka up`)")
    return {"bootstrap_servers": settings.kafka_bootstrap.split(","), "api_version": api_version(settings)}


def producer(settings: Settings, patient: bool = False) -> Any:
    """acks=all and one request in flight: what is acknowledged is stored, in the order sent.

    `patient` (the relay's): retry each batch until the broker takes it, however long an outage lasts.
    A batch that gave up while a later one got through would leave a hole in the topic, and a worker
    would fold a complaint's later event before the lost one; so none gives up, and the relay waits."""
    from kafka import KafkaProducer

    lasting = {"delivery_timeout_ms": 2**31 - 1, "max_block_ms": 10_000, "reconnect_backoff_max_ms": 2_000} \
        if patient else {"retries": 5}  # patient: looks for the broker every 2 s at most, so it resumes soon
    return KafkaProducer(acks="all", max_in_flight_requests_per_connection=1, linger_ms=5, batch_size=256 * 1024,
                         **lasting, **common(settings))


def consumer(settings: Settings, group: str, **extra: Any) -> Any:
    from kafka import KafkaConsumer

    return KafkaConsumer(group_id=group, enable_auto_commit=False, auto_offset_reset="earliest",
                         session_timeout_ms=10_000, max_poll_records=5_000, **common(settings), **extra)


class Stop:
    """Set on SIGTERM or SIGINT: loops finish their batch, save their position and exit cleanly."""

    def __init__(self) -> None:
        self.event = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: self.event.set())
            signal.signal(signal.SIGINT, lambda *_: self.event.set())

    def __bool__(self) -> bool:
        return self.event.is_set()


ONCE_WAIT_S = 30.0  # how long `--once` waits for a partition of its topic (PLAINTRAIL_KAFKA_WAIT)


class BrokerUnreachable(ConnectionError):
    """`--once` was given nothing to read in its wait: no broker answered, or other members of the group hold
    every partition. Said, with the exit status for it, instead of waiting for ever."""


class Deadline:
    """How long a `--once` run goes on without progress (`wait_s`; None: for ever) before it gives up, saying why
    (`why(wait_s)`): a cron job must not pile up behind a broker that is gone."""

    def __init__(self, wait_s: float | None, why: Callable[[float], str]) -> None:
        self.wait_s, self.why = wait_s, why
        self.since = time.monotonic()

    def watch(self, progressing: bool) -> None:
        """Progress starts the wait again; none past the wait raises BrokerUnreachable."""
        if progressing:
            self.since = time.monotonic()
        elif self.wait_s is not None and time.monotonic() - self.since > self.wait_s:
            raise BrokerUnreachable(self.why(self.wait_s))


def unassigned(topic: str) -> Callable[[float], str]:
    """Why a consumer given no partition of `topic` gives up."""
    return lambda wait_s: (f"no partition of {topic} was given to this consumer within {wait_s:g} s: is the broker "
                           "running and reachable, and is no other member of the group holding every partition?")
