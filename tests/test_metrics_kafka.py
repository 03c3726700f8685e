"""Metrics and status in Kafka mode on the real broker: a running relay and worker scraped on their metrics
ports and parsed with prometheus-client's parser; `status` lag from "nothing folded" to 0 after catch-up,
the consumer group per partition and a poison message counted in the dead letters."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import IO, Any

import pytest
from test_metrics import get, samples

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.kafka


class Home:
    def __init__(self, tmp_path: Path, bootstrap: str) -> None:
        self.home = tmp_path / "home"
        self.prefix = f"m{uuid.uuid4().hex[:8]}."
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINTRAIL_")}
        self.env.update(PLAINTRAIL_HOME=str(self.home), PLAINTRAIL_KAFKA_BOOTSTRAP=bootstrap,
                        PLAINTRAIL_KAFKA_TOPIC_PREFIX=self.prefix, PYTHONPATH=str(ROOT))

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "plaintrail.cli", *args], env=self.env, cwd=ROOT, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self, *args: str) -> str:
        process = self.start(*args)
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
        return out

    def status(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.run("status", "--json"))
        return found


def metrics_port(stderr: IO[str]) -> int:
    """The port a process started with --metrics-port 0 says it took."""
    line = stderr.readline()
    found = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", line)
    assert found, f"no metrics address on stderr: {line!r}"
    return int(found.group(1))


def scrape_until(port: int, done: Any, timeout: float = 120) -> dict[str, list[Any]]:
    deadline = time.monotonic() + timeout
    while True:
        code, text = get(port, "/metrics")
        assert code == 200
        found = samples(text)
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def value(found: dict[str, list[Any]], name: str) -> float:
    return float(sum(s.value for s in found.get(name, [])))


def shortfall(bank: Home, found: dict[str, list[Any]], worker: subprocess.Popen[str]) -> str:
    """What a worker that folded fewer events than the log holds saw: its metrics, the status (fold problems,
    positions, consumer groups), the problems recorded and its own stderr (it is stopped to read that)."""
    import sqlite3

    status = bank.status()
    rows: list[Any] = []
    for path in bank.home.rglob("*.sqlite*"):
        if path.suffix in (".sqlite", ".sqlite3") and "readmodel" in path.name:
            with contextlib.closing(sqlite3.connect(path)) as db, contextlib.suppress(sqlite3.Error):
                rows.append((path.name, db.execute("SELECT * FROM fold_problems").fetchall(),
                             db.execute("SELECT * FROM tracking").fetchall()))
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=60)
    metrics = {k: [(s.labels, s.value) for s in v] for k, v in found.items() if k.startswith("plaintrail_")}
    return f"metrics {metrics}\nstatus {json.dumps(status)}\nread models {rows}\nworker stderr {err[-5000:]}"


def test_a_running_relay_and_worker_are_scraped_and_status_lag_reaches_zero(tmp_path: Path, kafka_broker: Any) -> None:
    bank = Home(tmp_path, kafka_broker.bootstrap)
    data = bank.home / "data"
    bank.run("demo-data", "--seed", "6", "--outlets", "12", "--months", "3", "--out", str(data))
    bank.run("org", "load", str(data / "bank.yaml"))
    bank.run("import", str(data / "actions.jsonl"))
    before = bank.status()
    head = before["log_head"]
    assert head > 200
    assert before["projections"][0]["lag"] == head and before["projections"][0]["position"] == 0
    assert before["kafka"]["reachable"] and before["kafka"]["relay"] == {"position": 0, "lag": head}

    relay = bank.start("relay", "--metrics-port", "0")
    worker = bank.start("worker", "--metrics-port", "0")
    try:
        assert relay.stderr is not None and worker.stderr is not None
        relay_port, worker_port = metrics_port(relay.stderr), metrics_port(worker.stderr)
        published = scrape_until(relay_port, lambda f: value(f, "plaintrail_events_published_total") >= head)
        assert value(published, "plaintrail_events_published_total") == head
        folded = scrape_until(worker_port, lambda f: value(f, "plaintrail_events_folded_total") >= head
                              and f.get("plaintrail_consumer_lag") and value(f, "plaintrail_consumer_lag") == 0)
        assert value(folded, "plaintrail_events_folded_total") == head, shortfall(bank, folded, worker)
        partitions = {s.labels["partition"] for s in folded["plaintrail_consumer_lag"]}
        assert {s.labels["group"] for s in folded["plaintrail_consumer_lag"]} == {f"{bank.prefix}plaintrail-readmodels"}
        assert value(folded, "plaintrail_log_head") == head and value(folded, "plaintrail_relay_lag") == 0
        assert value(folded, "plaintrail_consumer_offset") == head  # every message read once, one per event
        assert get(worker_port, "/readyz")[0] == 200 and get(relay_port, "/readyz")[0] == 200

        after = bank.status()
        assert after["projections"][0] == {"name": "readmodels", "position": head, "lag": 0, "transport": "kafka",
                                           "topic": f"{bank.prefix}complaint-events"}
        workers = after["kafka"]["consumer_groups"][0]
        assert workers["lag"] == 0 and sum(p["end_offset"] for p in workers["partitions"]) == head
        assert partitions == {str(p["partition"]) for p in workers["partitions"]} and len(partitions) > 1

        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, api_version=(0, 9))
        producer.send(f"{bank.prefix}complaint-events", key=b"x", value=b"not an envelope").get(timeout=30)
        producer.close()
        poisoned = scrape_until(worker_port, lambda f: value(f, "plaintrail_dead_lettered_total") >= 1)
        assert value(poisoned, "plaintrail_dead_lettered_total") == 1
        assert value(poisoned, "plaintrail_events_folded_total") == head  # nothing counted twice, nothing lost
        assert bank.status()["dead_letters"][f"{bank.prefix}complaint-events.dlq"] == 1
    finally:
        for process in (relay, worker):
            process.send_signal(signal.SIGTERM)
        for process in (relay, worker):
            process.communicate(timeout=60)
    assert worker.returncode == 0 and relay.returncode == 0


def test_status_says_when_the_broker_does_not_answer(tmp_path: Path, kafka_broker: Any) -> None:
    bank = Home(tmp_path, kafka_broker.bootstrap)
    bank.run("demo-data", "--seed", "6", "--outlets", "3", "--months", "1", "--out", str(bank.home / "data"))
    bank.run("org", "load", str(bank.home / "data" / "bank.yaml"))
    bank.env["PLAINTRAIL_KAFKA_BOOTSTRAP"] = "127.0.0.1:1"
    started = time.monotonic()
    found = bank.status()
    assert time.monotonic() - started < 30
    assert found["kafka"]["reachable"] is False and "no broker answers" in found["kafka"]["error"]
    assert found["projections"][0]["lag"] is None and found["log_head"] > 0


def test_a_rebuild_while_a_worker_runs_moves_it_to_the_new_version_without_reading_the_topic_again(
        tmp_path: Path, kafka_broker: Any) -> None:
    from test_kafka import answers

    from projections.versions import live_file

    bank = Home(tmp_path, kafka_broker.bootstrap)
    data = bank.home / "data"
    bank.run("demo-data", "--seed", "7", "--outlets", "12", "--months", "3", "--out", str(data))
    bank.run("org", "load", str(data / "bank.yaml"))
    lines = (data / "actions.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (data / "first.jsonl").write_text("".join(lines[: len(lines) * 2 // 3]), encoding="utf-8")
    (data / "rest.jsonl").write_text("".join(lines[len(lines) * 2 // 3:]), encoding="utf-8")
    bank.run("import", str(data / "first.jsonl"))
    first = bank.status()["log_head"]

    relay = bank.start("relay")
    worker = bank.start("worker", "--metrics-port", "0")
    try:
        assert worker.stderr is not None
        port = metrics_port(worker.stderr)
        scrape_until(port, lambda f: value(f, "plaintrail_events_folded_total") >= first)
        bank.run("rebuild")  # the worker keeps running
        switched = bank.status()
        assert switched["read_model_version"] == "readmodels-v2.sqlite" and switched["projections"][0]["lag"] == 0
        bank.run("import", str(data / "rest.jsonl"))
        head = bank.status()["log_head"]
        found = scrape_until(port, lambda f: value(f, "plaintrail_events_folded_total") >= head
                             and value(f, "plaintrail_consumer_lag") == 0
                             and value(f, "plaintrail_consumer_offset") >= head)
        # every event folded once by the worker: none of the topic read again into the new version
        assert value(found, "plaintrail_events_folded_total") == head
        after = bank.status()
        assert after["projections"][0]["position"] == head and after["projections"][0]["lag"] == 0
        assert after["read_model_version"] == "readmodels-v2.sqlite"
    finally:
        for process in (relay, worker):
            process.send_signal(signal.SIGTERM)
        for process in (relay, worker):
            process.communicate(timeout=60)
    assert worker.returncode == 0

    reference = tmp_path / "reference"
    reference.mkdir()
    import sqlite3

    with sqlite3.connect(bank.home / "events.sqlite") as source, sqlite3.connect(reference / "events.sqlite") as copy:
        source.backup(copy)
    embedded = {k: v for k, v in bank.env.items() if not k.startswith("PLAINTRAIL_KAFKA")}
    done = subprocess.run([sys.executable, "-m", "plaintrail.cli", "--home", str(reference), "rebuild"], env=embedded,
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert answers(bank.home / live_file(bank.home)) == answers(reference / live_file(reference))
