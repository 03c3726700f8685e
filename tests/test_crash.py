"""A real `plaintrail import` killed with SIGKILL at random points, then rerun: every action exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from plaintrail.demo_bank import write
from plaintrail.settings import Settings
from plaintrail.wiring import open_log


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    return write(tmp_path_factory.mktemp("bank"), seed=5, outlets=40, months=12, per_outlet=100)


def cli(home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PLAINTRAIL_HOME=str(home))
    env.pop("PLAINTRAIL_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "plaintrail.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def recorded_action_ids(home: Path) -> Counter[str]:
    log = open_log(Settings(home=home))
    counts: Counter[str] = Counter()
    start = 1
    while batch := log.recorder.select_notifications(start, 10_000):
        for note in batch:
            state = json.loads(note.state)
            if "action_id" in state:
                counts[state["action_id"]] += 1
        start = batch[-1].id + 1
    return counts


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_mid_import_then_rerun_records_each_action_once(tmp_path: Path, bank: tuple[Path, Path, int],
                                                                seed: int) -> None:
    org, actions, count = bank
    home = tmp_path / "home"
    assert cli(home, "org", "load", str(org)).wait(timeout=120) == 0
    rng = random.Random(seed)
    log = open_log(Settings(home=home))
    base = log.recorder.max_notification_id() or 0  # the organisation's events
    for fraction in sorted(rng.uniform(0.1, 0.9) for _ in range(2)):  # two kills, each mid-import
        run = cli(home, "import", str(actions), "--batch-size", "500")
        while (log.recorder.max_notification_id() or 0) - base < fraction * count and run.poll() is None:
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
    partial = recorded_action_ids(home)
    assert 0 < len(partial) < count, "the kill should land mid-import"
    final = cli(home, "import", str(actions))
    assert final.wait(timeout=600) == 0, final.stderr.read() if final.stderr else ""
    counts = recorded_action_ids(home)
    expected = {json.loads(line)["action_id"] for line in actions.read_text(encoding="utf-8").splitlines()}
    assert set(counts) == expected  # nothing lost
    assert max(counts.values()) == 1  # nothing twice
