"""Faults through the real broker (issue 14): poison on both topics never stops intake or a worker, `plaintrail
relay` waits out a broker outage and then publishes in order without loss, and a Kafka home queried without the
bootstrap is not folded again. One bank goes through all of it (each broker round trip costs seconds)."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from test_kafka import Bank, answers, chunks, history
from test_poison import hostile

from plaintrail.settings import Settings
from plaintrail.wiring import catch_up
from projections.versions import live_file

pytestmark = pytest.mark.kafka
__all__ = ["history"]  # test_kafka's module fixture: the demo bank's history


def read_topic(bootstrap: str, topic: str) -> list[Any]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, api_version=(0, 9), auto_offset_reset="earliest",
                             consumer_timeout_ms=1500)
    try:
        return list(consumer)
    finally:
        consumer.close()


def published(home: Path) -> int:
    try:
        with sqlite3.connect(home / "relay.sqlite") as position:
            rows = position.execute("SELECT position FROM relay_position").fetchall()
        return int(rows[0][0]) if rows else 0
    except sqlite3.OperationalError:
        return 0


def recorded(home: Path) -> int:
    with sqlite3.connect(home / "events.sqlite") as events:
        return int(events.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0])


def poisoned_actions(valid: list[str]) -> tuple[list[bytes | None], list[int]]:
    """The valid actions in order with poison among them, and the offsets of the poison."""
    rng = random.Random(8)
    values: list[bytes | None] = [None, b"[" * 100_000, b'{"note": "' + b"x" * 900_000 + b'"}', b"\xff\xfe"]
    for line in valid:
        if rng.random() < 0.5:
            values.append(hostile(rng, len(values), json.loads(line)))
        values.append(line.encode())
    return values, [n for n, v in enumerate(values) if v is None or v.decode("utf-8", "replace") not in valid]


def test_poison_and_a_broker_outage_stop_nothing_and_lose_nothing(tmp_path: Path, kafka_broker: Any,
                                                                   history: tuple[Path, list[str]]) -> None:
    from kafka import KafkaProducer

    bank = Bank(tmp_path, kafka_broker.bootstrap)
    prefix = bank.env["PLAINTRAIL_KAFKA_TOPIC_PREFIX"]
    org, lines = history
    bank.run("org", "load", str(org))
    values, poison = poisoned_actions(lines[:300])
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, api_version=(0, 9), max_request_size=2**21)
    for value in values:
        producer.send(prefix + "complaint-actions", key=b"k", value=value)
    producer.flush()
    counts = json.loads(bank.run("intake", "--once", "--json"))
    assert counts == {"accepted": 300, "duplicates": 0, "dead_lettered": len(poison)}
    letters = [json.loads(m.value) for m in read_topic(kafka_broker.bootstrap, prefix + "complaint-actions.dlq")]
    assert sorted(letter["offset"] for letter in letters) == poison and all(letter["reason"] for letter in letters)
    assert any(letter["tombstone"] for letter in letters) and any(letter["truncated"] for letter in letters)

    first, second = chunks(lines[300:1500], tmp_path, 2, seed=4)
    bank.run("import", str(first))
    said = tmp_path / "relay.err"
    with said.open("w") as sink:
        relay = subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "relay"], env=bank.env, text=True,
                                 stdout=subprocess.DEVNULL, stderr=sink)

    def wait_until_published(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while published(bank.home) < recorded(bank.home) and time.monotonic() < deadline and relay.poll() is None:
            time.sleep(0.2)

    try:
        wait_until_published(60)
        assert published(bank.home) == recorded(bank.home)
        kafka_broker.stop()
        bank.run("import", str(second))  # the record goes on without Kafka
        deadline = time.monotonic() + 60
        while "plaintrail relay:" not in said.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)  # the relay tries, waits and says so
        assert relay.poll() is None, said.read_text()[-3000:]
        assert published(bank.home) < recorded(bank.home)
        assert kafka_broker.start() == kafka_broker.bootstrap
        wait_until_published(120)
        assert published(bank.home) == recorded(bank.home)
    finally:
        if relay.poll() is None:
            relay.send_signal(signal.SIGTERM)
        relay.wait(timeout=60)
    err = said.read_text()
    assert relay.returncode == 0 and "Traceback" not in err, err[-3000:]
    assert "plaintrail relay: waiting for the broker" in err  # the outage was reported, not hidden
    versions: dict[bytes, list[int]] = defaultdict(list)
    for message in read_topic(kafka_broker.bootstrap, prefix + "complaint-events"):
        versions[message.key].append(json.loads(message.value)["version"])
    for key, seen in versions.items():  # in order, nothing missing: each event's first copy after the one before
        firsts = list(dict.fromkeys(seen))
        assert firsts == list(range(1, len(firsts) + 1)), (key, seen)
    assert sum(len(dict.fromkeys(seen)) for seen in versions.values()) == recorded(bank.home)

    producer.send(prefix + "complaint-events", key=b"x", value=None)
    for value in (b"[" * 100_000, b"\xff garbage", b'{"schema_version": 1, "version": "x"}'):
        producer.send(prefix + "complaint-events", key=b"x", value=value)
    producer.flush()
    producer.close()
    folded = json.loads(bank.run("worker", "--once", "--json"))
    assert folded["dead_lettered"] == 4 and folded["folded"] == recorded(bank.home)
    event_letters = [json.loads(m.value) for m in read_topic(kafka_broker.bootstrap, prefix + "complaint-events.dlq")]
    assert len(event_letters) == 4 and all(letter["reason"] and letter["offset"] >= 0 for letter in event_letters)
    kafka = answers(bank.home / live_file(bank.home))
    assert json.loads(kafka)["facts"] and kafka == bank.embedded_answers()
    home = Settings(home=bank.home)  # no PLAINTRAIL_KAFKA_BOOTSTRAP: shown as the workers left it
    assert catch_up(home) == 0 and answers(bank.home / live_file(bank.home)) == kafka
