"""Stand-ins for the Kafka client (a list of messages in, a list of letters out) and a synthetic bank, so the
consumers' real message handlers run without a broker; tests/test_kafka_faults.py runs them through one."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kafka import TopicPartition

from bench.synthetic import write_bank
from consumers.kafka_io import Topics
from domain.actions import parse_action
from domain.application import ComplaintLog
from domain.organisation import OrganisationSpec
from plaintrail.settings import Settings
from plaintrail.wiring import open_log, open_read_models
from projections.envelope import Envelope
from projections.runner import Projector

TOPICS = Topics()


@dataclass(frozen=True)
class Message:
    """What kafka-python's consumer hands over: enough of a ConsumerRecord for the consumers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class Sent:
    def get(self, timeout: float | None = None) -> None:
        return None


class Letters:
    """A producer that keeps what it is sent: the dead letters."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def send(self, topic: str, key: bytes | None = None, value: bytes = b"") -> Sent:
        self.sent.append((topic, json.loads(value)))
        return Sent()

    def by_offset(self) -> dict[int, dict[str, Any]]:
        return {letter["offset"]: letter for _, letter in self.sent}


class Feed:
    """A consumer that hands out the given messages of one partition, `per_poll` at a time."""

    def __init__(self, messages: list[Message], per_poll: int = 500) -> None:
        self.messages, self.per_poll, self.at = messages, per_poll, 0

    def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Message]]:
        batch = self.messages[self.at:self.at + self.per_poll]
        self.at += len(batch)
        return {TopicPartition(batch[0].topic, 0): batch} if batch else {}

    def commit(self) -> None:
        pass

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.at = offset

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(self.messages[0].topic, 0)} if self.messages else set()

    def highwater(self, tp: TopicPartition) -> int:
        return len(self.messages)

    def position(self, tp: TopicPartition) -> int:
        return self.at


def on_topic(values: Sequence[bytes | None], topic: str) -> list[Message]:
    return [Message(topic, 0, offset, b"k", value) for offset, value in enumerate(values)]


def synthetic_bank(folder: Path, complaints: int = 250, seed: int = 14, outlets: int = 10,
                   ) -> tuple[dict[str, Any], list[str]]:
    """An organisation and its valid actions (bench/synthetic.py; 250 complaints make about 2,000), in the order
    they arrive."""
    org_path, actions_path, _ = write_bank(folder, complaints=complaints, seed=seed, outlet_count=outlets)
    return yaml.safe_load(org_path.read_text(encoding="utf-8")), actions_path.read_text("utf-8").splitlines()


def new_log(settings: Settings, org: dict[str, Any]) -> ComplaintLog:
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(org))
    return log


def events_of(settings: Settings, org: dict[str, Any], lines: list[str]) -> list[bytes]:
    """The envelopes the relay would publish for these actions, in order."""
    log = new_log(settings, org)
    outcome = log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines))
    assert not outcome.rejected
    return [Envelope.from_notification(n).to_json() for n in log.recorder.select_notifications(1, 100_000)]


def read_models(settings: Settings) -> str:
    store = open_read_models(settings)
    try:
        return json.dumps([store.query("SELECT * FROM complaint_facts ORDER BY complaint_id"),
                           store.query("SELECT * FROM indicators ORDER BY unit, period")])
    finally:
        store.close()


def reference(settings: Settings, events: list[bytes]) -> str:
    """The same events folded by the embedded runner, in a home of their own."""
    own = Settings(home=settings.home / f"reference-{uuid.uuid4().hex[:8]}")
    store = open_read_models(own)
    try:
        Projector(store, own.tz).fold([Envelope.from_json(e) for e in events], "log", 0, len(events), None)
    finally:
        store.close()
    return read_models(own)
