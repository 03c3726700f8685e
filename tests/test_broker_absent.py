"""`worker --once`, `intake --once` and `relay --once` with no broker: a careless operator's cron job must end with the
reason and its own exit status, not wait for ever (the consumers blocked in a metadata request, deaf to SIGTERM; the
relay retried for ever)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from kafka import TopicPartition
from kafka_stand_ins import TOPICS, Feed, Letters, new_log, on_topic, synthetic_bank
from test_wire import Counted

from consumers.intake import Intake
from consumers.kafka_io import BrokerUnreachable
from consumers.workers import Worker
from plaintrail import exits
from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import open_read_models

ROOT = Path(__file__).resolve().parents[1]


class NeverAssigned(Feed):
    """A consumer whose group never gives it a partition: no broker answers (or others hold them all)."""

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        pass

    def poll(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Any]]:
        time.sleep(timeout_ms / 1000 / 20)
        return {}

    def assignment(self) -> set[TopicPartition]:
        return set()

    def partitions_for_topic(self, topic: str) -> set[int]:
        raise AssertionError("asked the broker for metadata: with none running that waits for ever")


class AssignedLate(Counted):
    """A consumer given its partition only after a few empty polls (a slow group join)."""

    def poll(self, timeout_ms: int = 0) -> dict[Any, Any]:
        self.polls += 1
        return Feed.poll(self, timeout_ms) if self.polls > 4 else {}

    def assignment(self) -> set[TopicPartition]:
        return super().assignment() if self.polls > 4 else set()


def test_a_worker_once_given_no_partition_says_so_within_its_wait(tmp_path: Path) -> None:
    store = open_read_models(Settings(home=tmp_path / "home"))
    worker = Worker(NeverAssigned([]), Letters(), store, Settings(home=tmp_path).tz, topics=TOPICS)
    started = time.monotonic()
    try:
        with pytest.raises(BrokerUnreachable, match=f"no partition of {TOPICS.events} .* within 0.3 s"):
            worker.run(once=True, wait_s=0.3)
    finally:
        store.close()
    assert time.monotonic() - started < 5


def test_an_intake_once_given_no_partition_says_so_within_its_wait(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    org, _ = synthetic_bank(tmp_path / "bank", complaints=5)
    intake = Intake(NeverAssigned([]), Letters(), new_log(settings, org), TOPICS)
    with pytest.raises(BrokerUnreachable, match=f"no partition of {TOPICS.actions}"):
        intake.run(once=True, wait_s=0.3)


def test_a_partition_given_late_is_read_whole_the_wait_counts_only_time_with_none(tmp_path: Path) -> None:
    org, lines = synthetic_bank(tmp_path / "bank", complaints=20)
    settings = Settings(home=tmp_path / "home")
    intake = Intake(AssignedLate(on_topic([line.encode() for line in lines], TOPICS.actions)), Letters(),
                    new_log(settings, org), TOPICS)
    counts = intake.run(once=True, wait_s=60)
    assert counts == {"accepted": len(lines), "duplicates": 0, "dead_lettered": 0}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", ["worker", "intake"])
def test_the_command_exits_unavailable_naming_the_broker_it_tried(tmp_path: Path, command: str) -> None:
    bootstrap = f"127.0.0.1:{closed_port()}"
    env = {**os.environ, "PLAINTRAIL_HOME": str(tmp_path / "home"), "PLAINTRAIL_KAFKA_BOOTSTRAP": bootstrap,
           "PLAINTRAIL_KAFKA_WAIT": "1.5"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "plaintrail.cli", command, "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == exits.UNAVAILABLE, done.stderr
    assert f"PLAINTRAIL_KAFKA_BOOTSTRAP={bootstrap}" in done.stderr and "within 1.5 s" in done.stderr
    assert time.monotonic() - started < 60


def test_relay_once_with_events_to_send_exits_unavailable_and_keeps_its_position(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert main(["--home", str(home), "org", "load", str(ROOT / "examples" / "bank.yaml")]) == 0
    assert main(["--home", str(home), "import", str(ROOT / "examples" / "actions.jsonl")]) in (0, 1)  # 1: rejects
    env = {**os.environ, "PLAINTRAIL_HOME": str(home), "PLAINTRAIL_KAFKA_BOOTSTRAP": f"127.0.0.1:{closed_port()}",
           "PLAINTRAIL_KAFKA_WAIT": "1"}
    done = subprocess.run([sys.executable, "-m", "plaintrail.cli", "relay", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)  # one send waits 10 s for the broker first
    assert done.returncode == exits.UNAVAILABLE, done.stderr
    assert "nothing is lost: the next run publishes from event 1" in done.stderr


@pytest.mark.parametrize("wait", ["soon", "0", "-5", "nan", "inf"])
def test_a_wait_that_is_not_seconds_is_refused_before_anything_connects(tmp_path: Path, wait: str) -> None:
    env = {**os.environ, "PLAINTRAIL_HOME": str(tmp_path / "home"), "PLAINTRAIL_KAFKA_BOOTSTRAP": "127.0.0.1:1",
           "PLAINTRAIL_KAFKA_WAIT": wait}
    done = subprocess.run([sys.executable, "-m", "plaintrail.cli", "worker", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == exits.USAGE and f"PLAINTRAIL_KAFKA_WAIT={wait!r}" in done.stderr
