"""The relay waits out a broker outage of any length and publishes every event in order afterwards (issue 14,
part 8), on a producer that stands for a broker going away; test_kafka_faults.py does it with the real one."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, NotLeaderForPartitionError
from kafka_stand_ins import new_log, synthetic_bank

from consumers.kafka_io import BrokerUnreachable, Stop
from consumers.relay import RelayPosition, relay
from domain.actions import parse_action
from plaintrail.settings import Settings


class Pending:
    def __init__(self, broker: Away, value: bytes) -> None:
        self.broker, self.value, self.error = broker, value, None

    @property
    def is_done(self) -> bool:
        return not self.broker.away

    def get(self, timeout: float | None = None) -> None:
        if self.error is not None:
            raise self.error


class Away:
    """A producer whose broker is away for the first `outage` flushes, and refuses one batch outright."""

    def __init__(self, outage: int, refuse_batch: int) -> None:
        self.outage, self.refuse_batch = outage, refuse_batch
        self.flushes, self.batches = 0, 0
        self.batch: list[Pending] = []
        self.topic: list[bytes] = []  # what the broker stored, in order

    @property
    def away(self) -> bool:
        return self.flushes <= self.outage

    def send(self, topic: str, key: bytes, value: bytes) -> Pending:
        self.batch.append(Pending(self, value))
        return self.batch[-1]

    def flush(self, timeout: float | None = None) -> None:
        self.flushes += 1
        if self.away:
            raise KafkaTimeoutError(f"Timeout after waiting for {timeout} secs.")
        self.batches += 1
        for n, pending in enumerate(self.batch):
            if self.batches == self.refuse_batch and n >= len(self.batch) // 2:  # half went through
                pending.error = NotLeaderForPartitionError()
            else:
                self.topic.append(pending.value)
        self.batch = []


def test_the_relay_waits_out_an_outage_and_republishes_a_refused_batch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    org, lines = synthetic_bank(tmp_path / "bank")
    log = new_log(Settings(home=tmp_path / "home"), org)
    assert not log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines[:700])).rejected
    producer = Away(outage=6, refuse_batch=2)
    position = RelayPosition.sqlite(tmp_path / "relay.sqlite")
    try:
        sent = relay(log, producer, position, once=True, batch=200, pause=1.0)  # flushes wait no time here
        assert position.get("complaint-events") == log.recorder.max_notification_id()
    finally:
        position.close()
    last = log.recorder.max_notification_id() or 0
    assert sent == last
    said = capsys.readouterr().err
    assert "waiting for the broker" in said and "publishing again from 201" in said  # each said, not hidden
    ids = [json.loads(value)["notification_id"] for value in producer.topic]
    assert list(dict.fromkeys(ids)) == list(range(1, last + 1))  # first copies in order, none missing
    assert len(ids) - last == 100  # the refused batch's first half went out twice: the workers ignore it


def fifty_actions(tmp_path: Path) -> Any:
    """A log holding a synthetic bank's organisation and its first fifty actions."""
    org, lines = synthetic_bank(tmp_path / "bank")
    log = new_log(Settings(home=tmp_path / "home"), org)
    log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines[:50]))
    return log


def quiet_stop() -> Stop:
    """A Stop without taking over this process's signals."""
    stop = Stop.__new__(Stop)
    stop.event = threading.Event()
    return stop


def test_the_relay_stopped_during_an_outage_keeps_its_position(tmp_path: Path) -> None:
    log = fifty_actions(tmp_path)
    stop = quiet_stop()
    producer = Away(outage=10**9, refuse_batch=0)

    def stop_on_third_flush(timeout: float | None = None, flush: Any = producer.flush) -> None:
        if producer.flushes == 2:
            stop.event.set()
        flush(timeout)

    producer.flush = stop_on_third_flush  # type: ignore[method-assign]
    position = RelayPosition.sqlite(tmp_path / "relay.sqlite")
    try:
        assert relay(log, producer, position, stop=stop, pause=0.001) == 0
        assert position.get("complaint-events") == 0  # nothing acknowledged, nothing skipped next time
    finally:
        position.close()


class Gone(Away):
    """A broker that never comes back; each flush waits out its timeout, as kafka-python's does."""

    def flush(self, timeout: float | None = None) -> None:
        time.sleep(timeout or 0)
        super().flush(timeout)


def test_relay_once_gives_up_on_a_broker_that_stays_away_and_loses_nothing(tmp_path: Path) -> None:
    log = fifty_actions(tmp_path)
    position = RelayPosition.sqlite(tmp_path / "relay.sqlite")
    stop = quiet_stop()
    backstop = threading.Timer(20.0, stop.event.set)  # should it not give up, the test fails instead of hanging
    backstop.start()
    started = time.monotonic()
    try:
        with pytest.raises(BrokerUnreachable, match="within 0.3 s; nothing is lost: the next run publishes from "
                                                    "event 1"):
            relay(log, Gone(outage=10**9, refuse_batch=0), position, once=True, pause=0.05, wait_s=0.3, stop=stop)
        assert position.get("complaint-events") == 0
    finally:
        backstop.cancel()
        position.close()
    assert time.monotonic() - started < 10


def test_relay_without_once_waits_out_an_outage_longer_than_the_once_wait(tmp_path: Path) -> None:
    log = fifty_actions(tmp_path)
    position = RelayPosition.sqlite(tmp_path / "relay.sqlite")
    stop = quiet_stop()
    producer = Gone(outage=10**9, refuse_batch=0)
    threading.Timer(1.0, stop.event.set).start()  # four times the wait: a long-running relay never gives up
    try:
        assert relay(log, producer, position, stop=stop, pause=0.05, wait_s=0.25) == 0
        assert producer.flushes > 3 and position.get("complaint-events") == 0
    finally:
        position.close()


def test_a_batch_read_ahead_is_dropped_when_another_relay_moved_the_position(tmp_path: Path) -> None:
    """Two relays at once (a mistake the workers survive by version): what this one read ahead follows its own last
    batch, not the position the other stored, so it is read again from there, never sent out of place."""
    log = fifty_actions(tmp_path)
    last = log.recorder.max_notification_id() or 0
    position = RelayPosition.sqlite(tmp_path / "relay.sqlite")
    producer = Away(outage=0, refuse_batch=0)
    own_set = position.set

    def the_other_relay_stores_after_ours(topic: str, at: int) -> None:
        own_set(topic, at)
        if at == 20:
            own_set(topic, 60)  # between this relay's first acknowledged batch and its next look at the position

    position.set = the_other_relay_stores_after_ours  # type: ignore[method-assign]
    try:
        relay(log, producer, position, once=True, batch=20)
        assert position.get("complaint-events") == last
    finally:
        position.close()
    ids = [json.loads(value)["notification_id"] for value in producer.topic]
    assert ids == [*range(1, 21), *range(61, last + 1)]
