"""Blue/green read models: a rebuild builds a new version beside the live one and switches when it has caught up.

Queries issued every few milliseconds all through a rebuild answer, complete and equal to the answer before
(nothing changed); a rebuild killed with SIGKILL half-way leaves the live version serving, and the next
rebuild removes what it left. Both backends."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from domain.periods import Period
from plaintrail.cli import main
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.settings import Settings
from plaintrail.wiring import open_read_models
from projections import versions

ROOT = Path(__file__).resolve().parents[1]
QUARTER = Period.parse("2024Q2")


def bank(settings: Settings, monkeypatch: pytest.MonkeyPatch, outlets: int = 40) -> None:
    """The demo bank, recorded where `settings` say (the commands read the database from the environment)."""
    if settings.database_url:
        monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("PLAINTRAIL_DATABASE_URL", raising=False)
    data = settings.home / "data"
    assert main(["demo-data", "--seed", "3", "--outlets", str(outlets), "--months", "6", "--out", str(data)]) == 0
    home = ["--home", str(settings.home)]
    assert main([*home, "org", "load", str(data / "bank.yaml")]) in (0, 1)
    assert main([*home, "import", str(data / "actions.jsonl")]) in (0, 1)


def env(settings: Settings) -> dict[str, str]:
    extra = {"PLAINTRAIL_DATABASE_URL": settings.database_url} if settings.database_url else {}
    return {**os.environ, "PLAINTRAIL_HOME": str(settings.home), **extra, "PYTHONPATH": str(ROOT)}


def rebuild_process(settings: Settings) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "rebuild", "--json", "--workers", "1"],
                            env=env(settings), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def board(settings: Settings) -> str:
    return json.dumps(leaderboard(settings, QUARTER, "outlet"), sort_keys=True, default=str)


def held_board(store: Any) -> str:
    """What a long-lived reader (the dashboard, a worker) reads through one store it keeps open."""
    return json.dumps(store.query("SELECT unit, work_orders, complaints, regulator_transferred, effective "
                                  "FROM indicators WHERE period = ? ORDER BY unit", (str(QUARTER),)), default=str)


def versions_of(settings: Settings) -> list[str]:
    store = open_read_models(settings)
    try:
        if settings.database_url:
            return versions.schema_versions(store.connection)
        return versions.sqlite_versions(settings.home)
    finally:
        store.close()


def test_queries_during_a_rebuild_all_answer_the_same(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    bank(settings, monkeypatch)
    before, store = board(settings), open_read_models(settings)
    held_before, first_version = held_board(store), store.version
    answers: list[str] = []
    held: list[str] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def ask() -> None:
        while not done.is_set():
            try:
                answers.append(board(settings))
                held.append(held_board(store))
            except BaseException as error:  # any failure is the test's failure
                failures.append(error)
            time.sleep(0.005)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        rebuilt = rebuild_process(settings)
        out, err = rebuilt.communicate(timeout=300)
        time.sleep(0.3)  # a few answers after the switch too
    finally:
        done.set()
        asker.join()
    assert rebuilt.returncode == 0, err
    assert json.loads(out)["events"] > 1000
    assert not failures, failures[:3]
    assert len(answers) >= 5 and set(answers) == {before}  # every answer complete and equal
    assert set(held) == {held_before}
    assert store.version != first_version  # the long-lived reader moved over to the new version
    assert versions_of(settings) == [store.version]  # and the old one is gone
    store.close()


def test_a_rebuild_killed_half_way_leaves_the_live_version_serving(settings: Settings,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bank(settings, monkeypatch, outlets=60)
    before = board(settings)
    for _ in range(5):  # a small log may be rebuilt and switched before it is caught half-way: go again
        live = versions_of(settings)
        assert len(live) == 1
        process = rebuild_process(settings)
        deadline = time.monotonic() + 120
        while len(versions_of(settings)) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.001)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)  # at once: a stopped process would hold its locks on PostgreSQL
            process.wait(timeout=30)
            if len(versions_of(settings)) == 2:  # killed while building beside, not after the switch
                break
        process.wait(timeout=300)
    else:
        raise AssertionError("the rebuild was never caught with a version beside the live one")
    assert len(versions_of(settings)) == 2 and board(settings) == before  # live untouched, the new one abandoned
    again = rebuild_process(settings)
    _, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    after = versions_of(settings)
    assert len(after) == 1 and after != live and board(settings) == before


@pytest.mark.parametrize("moves", [1, 3])
def test_a_reader_opened_before_several_switches_follows_them(tmp_path: Path, moves: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path)
    bank(settings, monkeypatch, outlets=10)
    reader = open_read_models(settings)
    expected = held_board(reader)
    for _ in range(moves):
        assert main(["--home", str(tmp_path), "rebuild"]) == 0
    assert held_board(reader) == expected and reader.epoch == 1  # moved once, straight to the live one
    assert reader.version == versions.live_file(tmp_path) == f"readmodels-v{moves + 1}.sqlite"
    reader.close()
