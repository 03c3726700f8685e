"""Kafka mode against a real broker: same read models as embedded mode, crashes, a broker restart, dead letters."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from domain.periods import Period
from plaintrail.demo_bank import write
from projections import queries
from projections.leaderboard import LEVELS, board
from projections.store import ReadModelStore
from projections.versions import live_file

pytestmark = pytest.mark.kafka
PERIODS = ("2024-01", "2024-03", "2024Q1", "2024Q2", "2024")


def answers(store_path: Path) -> str:
    store = ReadModelStore.sqlite(store_path)
    try:
        out: dict[str, Any] = {}
        for period in map(Period.parse, PERIODS):
            for level in LEVELS:
                out[f"{level}/{period}"] = board(*queries.unit_lines(store, period, level, period.previous), size=5)
        out["facts"] = store.query("SELECT complaint_id, outlet, state, effective, facts FROM complaint_facts "
                                   "ORDER BY complaint_id")
        out["indicators"] = store.query("SELECT * FROM indicators WHERE work_orders + complaints + "
                                        "regulator_transferred + effective > 0 ORDER BY unit, period")
        return json.dumps(out, sort_keys=True, ensure_ascii=False)
    finally:
        store.close()


class Bank:
    """One bank's home in Kafka mode, with topics of its own on the shared broker."""

    def __init__(self, tmp_path: Path, bootstrap: str) -> None:
        self.home = tmp_path / "home"
        self.env = dict(os.environ, PLAINTRAIL_HOME=str(self.home), PLAINTRAIL_KAFKA_BOOTSTRAP=bootstrap,
                        PLAINTRAIL_KAFKA_TOPIC_PREFIX=f"t{uuid.uuid4().hex[:8]}.")
        self.env.pop("PLAINTRAIL_DATABASE_URL", None)

    def cli(self, *args: str, kafka: bool = True) -> subprocess.Popen[str]:
        env = self.env if kafka else {k: v for k, v in self.env.items() if not k.startswith("PLAINTRAIL_KAFKA")}
        return subprocess.Popen([sys.executable, "-m", "plaintrail.cli", *args], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def run(self, *args: str, kafka: bool = True, timeout: float = 300) -> str:
        process = self.cli(*args, kafka=kafka)
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, err[-3000:]
        return out

    def embedded_answers(self) -> str:
        """The same events folded by the embedded runner into a separate store (the reference)."""
        reference = self.home / "reference"
        reference.mkdir(exist_ok=True)
        import sqlite3

        source = sqlite3.connect(self.home / "events.sqlite")  # the backup API includes what is still in the WAL
        target = sqlite3.connect(reference / "events.sqlite")
        source.backup(target)
        source.close()
        target.close()
        self.run("--home", str(reference), "rebuild", kafka=False)
        return answers(reference / live_file(reference))


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    org, actions, _ = write(tmp_path_factory.mktemp("bank"), seed=11, outlets=30, months=6, per_outlet=30)
    return org, actions.read_text(encoding="utf-8").splitlines()


def chunks(lines: list[str], folder: Path, parts: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(lines)), parts - 1))
    files = []
    for n, (a, b) in enumerate(zip([0, *cuts], [*cuts, len(lines)], strict=True)):
        files.append(folder / f"part{n}.jsonl")
        files[-1].write_text("\n".join(lines[a:b]) + "\n", encoding="utf-8")
    return files


def test_kafka_mode_equals_embedded_mode(tmp_path: Path, kafka_broker: Any, history: tuple[Path, list[str]]) -> None:
    bank = Bank(tmp_path, kafka_broker.bootstrap)
    org, lines = history
    bank.run("org", "load", str(org))
    for part in chunks(lines, tmp_path, 4, seed=1):
        bank.run("import", str(part))
        bank.run("relay", "--once")
        bank.run("worker", "--once")
    kafka = answers(bank.home / live_file(bank.home))
    assert json.loads(kafka)["facts"], "the workers folded nothing"
    assert kafka == bank.embedded_answers()


def test_sigkill_relay_and_workers_at_random_points(tmp_path: Path, kafka_broker: Any,
                                                    history: tuple[Path, list[str]]) -> None:
    bank = Bank(tmp_path, kafka_broker.bootstrap)
    org, lines = history
    bank.run("org", "load", str(org))
    rng = random.Random(7)
    parts = chunks(lines, tmp_path, 10, seed=2)
    for part in parts:  # ten runs: import, then relay and two workers killed at a random moment
        bank.run("import", str(part))
        running = [bank.cli("relay"), bank.cli("worker"), bank.cli("worker")]
        time.sleep(rng.uniform(0.5, 3.0))
        for process in rng.sample(running, rng.randint(1, 3)):
            process.send_signal(signal.SIGKILL)
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # the others shut down cleanly
            process.wait(timeout=60)
    bank.run("relay", "--once")
    bank.run("worker", "--once")
    assert answers(bank.home / live_file(bank.home)) == bank.embedded_answers()  # 0 lost, 0 counted twice


def test_a_broker_restart_mid_stream_is_survived(tmp_path: Path, kafka_broker: Any,
                                                 history: tuple[Path, list[str]]) -> None:
    bank = Bank(tmp_path, kafka_broker.bootstrap)
    org, lines = history
    bank.run("org", "load", str(org))
    first, second = chunks(lines, tmp_path, 2, seed=3)
    bank.run("import", str(first))
    bank.run("relay", "--once")
    worker = bank.cli("worker")
    time.sleep(2)
    kafka_broker.stop()
    bank.run("import", str(second))  # the record goes on without Kafka
    time.sleep(1)
    assert kafka_broker.start() == kafka_broker.bootstrap
    bank.run("relay", "--once")
    time.sleep(3)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=120)
    bank.run("worker", "--once")
    assert answers(bank.home / live_file(bank.home)) == bank.embedded_answers()


def test_poison_messages_go_to_dead_letters_and_intake_carries_on(tmp_path: Path, kafka_broker: Any) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    bank = Bank(tmp_path, kafka_broker.bootstrap)
    bank.run("org", "load", str(Path(__file__).resolve().parents[1] / "examples" / "bank.yaml"))
    prefix = bank.env["PLAINTRAIL_KAFKA_TOPIC_PREFIX"]
    good = {"action_id": "K1", "complaint_id": "K-1", "action": "received", "at": "2024-03-05T09:00:00+08:00",
            "outlet": "O-001", "channel": "app", "via": "direct"}
    messages = [json.dumps(good).encode(), b"this is not json {",
                json.dumps({**good, "action_id": "K2", "channel": "carrier pigeon"}).encode(),
                json.dumps({"action_id": "K3", "complaint_id": "K-1", "action": "callback", "satisfied": True,
                            "at": "2024-03-05T10:00:00+08:00"}).encode()]
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, api_version=(0, 9))
    for value in messages:
        producer.send(prefix + "complaint-actions", key=b"K-1", value=value)
    producer.send(prefix + "complaint-events", key=b"x", value=b"\xff\xfe garbage")
    producer.flush()
    counts = json.loads(bank.run("intake", "--once", "--json"))
    assert counts == {"accepted": 1, "duplicates": 0, "dead_lettered": 3}
    signed = json.loads(bank.run("verify", "--json"))  # what intake recorded is in a signed checkpoint already
    assert signed["ok"] and signed["unsealed_events"] == 0 and signed["checkpoint"]["size"] == signed["events_checked"]
    folded = json.loads(bank.run("worker", "--once", "--json"))
    assert folded["dead_lettered"] == 1
    letters = KafkaConsumer(prefix + "complaint-actions.dlq", bootstrap_servers=kafka_broker.bootstrap,
                            api_version=(0, 9), auto_offset_reset="earliest", consumer_timeout_ms=5000)
    reasons = sorted(json.loads(m.value)["reason"] for m in letters)
    assert len(reasons) == 3 and any("JSON" in r for r in reasons) and any("channel" in r for r in reasons)
    assert any("callback" in r and "K-1" in r for r in reasons)


def test_kafka_up_creates_the_topics_and_down_stops_it(tmp_path: Path) -> None:
    from kafka import KafkaConsumer

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINTRAIL_")}
    cli = [sys.executable, "-m", "plaintrail.cli", "--home", str(tmp_path)]
    try:
        up = subprocess.run([*cli, "kafka", "up", "--partitions", "6"], env=env, capture_output=True, text=True,
                            timeout=300)
        assert up.returncode == 0, up.stderr
        bootstrap = up.stdout.strip().splitlines()[-1].split("=", 1)[1]
        assert subprocess.run([*cli, "kafka", "status"], env=env, capture_output=True).returncode == 0
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, api_version=(0, 9))
        assert consumer.partitions_for_topic("complaint-events") == set(range(6))
        assert consumer.partitions_for_topic("complaint-actions.dlq") == {0}
        consumer.close()
    finally:
        subprocess.run([*cli, "kafka", "down"], env=env, capture_output=True, timeout=120)
    assert subprocess.run([*cli, "kafka", "status"], env=env, capture_output=True).returncode == 1
