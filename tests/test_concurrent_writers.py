"""Writers at once: three real import processes into one home, overlapping complaints and action ids, on
both backends; and `action_id` unique across the whole store, whoever records it and whenever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from domain.actions import parse_action
from domain.application import ComplaintLog
from domain.organisation import OrganisationSpec
from plaintrail.cli import main
from plaintrail.importer import import_file
from plaintrail.integrity import verify
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "examples" / "bank.yaml"
COMPLAINTS = 90
WRITERS = 3


def lines_of(writer: int, complaints: int = COMPLAINTS) -> list[dict[str, Any]]:
    """One writer's file. Complaint c is in two files (c % 3 and the next), or in all three (c % 4 == 0), with
    the same lines there (the same action ids: one writer records each, the others find duplicates), and
    each file adds its own `public_opinion` and `compensated` to every complaint it holds (another writer's
    new events on the same complaint). Each file starts at another third of the complaints, so the writers
    meet on the same complaints while they run."""
    mine = [c for c in range(complaints) if writer in (c % 3, (c + 1) % 3) or c % 4 == 0]
    start = writer * len(mine) // WRITERS
    out: list[dict[str, Any]] = []
    for c in mine[start:] + mine[:start]:
        cid, day = f"C-{c:04d}", 1 + c % 27

        def at(hour: int, day: int = day) -> str:
            return f"2024-03-{day:02d}T{hour:02d}:00:00+08:00"

        out += [
            {"action_id": f"R-{c}", "complaint_id": cid, "action": "received", "at": at(9),
             "outlet": f"O-00{c % 4 + 1}", "channel": "web", "via": "pboc" if c % 5 == 0 else "direct"},
            {"action_id": f"P{writer}-{c}", "complaint_id": cid, "action": "public_opinion", "at": at(9),
             "note": f"writer {writer}"},
            {"action_id": f"A-{c}", "complaint_id": cid, "action": "assigned", "at": at(10), "assignee": "P-C1"},
            {"action_id": f"H-{c}", "complaint_id": cid, "action": "handled", "at": at(11), "outcome": "resolved"},
            {"action_id": f"M{writer}-{c}", "complaint_id": cid, "action": "compensated", "at": at(12),
             "amount": f"{writer + 1}0.00"},
        ]
        if c % 2 == 0:
            out.append({"action_id": f"V-{c}", "complaint_id": cid, "action": "validated", "at": at(13),
                        "effective": True, "decided_by": "hq", "bank_caused": True})
    return out


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def cli_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PLAINTRAIL_DATABASE_URL", None)
    env.pop("PLAINTRAIL_KAFKA_BOOTSTRAP", None)
    if settings.database_url:
        env["PLAINTRAIL_DATABASE_URL"] = settings.database_url
    return env


# Each process loads the program and opens the store first, says so, then waits for the go file: the
# imports start together.
STARTER = """
import os, sys, time
from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
open_log(Settings.from_env(sys.argv[3]))
go = sys.argv[1]
open(f"{go}.{os.getpid()}", "w").close()
while not os.path.exists(go):
    time.sleep(0.005)
sys.exit(main(sys.argv[2:]))
"""


def import_at_once(settings: Settings, files: list[Path], batch_size: int = 10) -> list[tuple[int, dict[str, Any]]]:
    """`plaintrail --home H import F --json` in one real process per file, released together."""
    go = settings.home / "go"
    procs = [subprocess.Popen([sys.executable, "-c", STARTER, str(go), "--home", str(settings.home), "import",
                               str(f), "--json", "--batch-size", str(batch_size)],
                              env=cli_env(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    try:
        deadline = time.monotonic() + 120
        while not all(Path(f"{go}.{p.pid}").exists() or p.poll() is not None for p in procs):
            assert time.monotonic() < deadline, "the import processes did not start"
            time.sleep(0.01)
        go.touch()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=240)
            assert proc.returncode in (0, 1) and out.strip(), err[-3000:]
            results.append((proc.returncode, json.loads(out)))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """The command line in this process, on the settings' backend."""
    if settings.database_url:
        monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("PLAINTRAIL_DATABASE_URL", raising=False)
    monkeypatch.delenv("PLAINTRAIL_KAFKA_BOOTSTRAP", raising=False)
    return main(["--home", str(settings.home), *args])


def load_bank(settings: Settings) -> None:
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(yaml.safe_load(BANK.read_text(encoding="utf-8"))))


def events_per_action(settings: Settings) -> Counter[str]:
    log = open_log(settings)
    return Counter(json.loads(n.state)["action_id"] for n in log.recorder.select_notifications(1, 10**6)
                   if n.topic.startswith("domain.complaint:"))


def read_side(settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the users see: the outlets' leaderboard, the persons' fines and the indicators for the month."""
    capsys.readouterr()
    seen = []
    for query in (["leaderboard", "--period", "2024-03", "--level", "outlet"], ["scores", "--period", "2024-03"],
                  ["indicators", "--period", "2024-03"]):
        assert cli(settings, monkeypatch, *query, "--json") == 0
        seen.append(json.loads(capsys.readouterr().out))
    return seen


def test_three_imports_at_once_record_every_line_once_and_read_as_a_sequential_import(
        settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    files = [write(tmp_path / f"writer{w}.jsonl", lines_of(w)) for w in range(WRITERS)]
    settings.home.mkdir(parents=True, exist_ok=True)
    load_bank(settings)
    results = import_at_once(settings, files)

    distinct = {r["action_id"] for w in range(WRITERS) for r in lines_of(w)}
    lines = sum(len(lines_of(w)) for w in range(WRITERS))
    assert all(code == 0 and report["rejected"] == 0 for code, report in results), results
    assert sum(report["accepted"] for _, report in results) == len(distinct)
    assert sum(report["duplicates"] for _, report in results) == lines - len(distinct)
    per_action = events_per_action(settings)
    assert set(per_action) == distinct and set(per_action.values()) == {1}
    assert verify(settings)["ok"]

    sequential = Settings(home=tmp_path / "sequential")
    sequential.home.mkdir()
    load_bank(sequential)
    for f in files:
        assert cli(sequential, monkeypatch, "import", str(f)) == 0
    assert read_side(settings, capsys, monkeypatch) == read_side(sequential, capsys, monkeypatch)


def test_one_action_id_on_two_complaints_in_three_processes_is_recorded_once(
        settings: Settings, tmp_path: Path) -> None:
    """Each process receives its own complaints, but ids X-0..X-59 are used by all three on their own ones:
    whoever commits first keeps an id, the others reject their line naming both complaints."""
    files = []
    for w in range(WRITERS):
        rows = []
        for i in range(60):
            cid = f"W{w}-{i:03d}"
            rows.append({"action_id": f"R{w}-{i}", "complaint_id": cid, "action": "received",
                         "at": "2024-03-04T09:00:00+08:00", "outlet": "O-001", "channel": "app", "via": "direct"})
            rows.append({"action_id": f"X-{i}", "complaint_id": cid, "action": "contacted",
                         "at": "2024-03-04T10:00:00+08:00", "note": f"writer {w}"})
        files.append(write(tmp_path / f"reuse{w}.jsonl", rows))
    settings.home.mkdir(parents=True, exist_ok=True)
    load_bank(settings)
    results = import_at_once(settings, files, batch_size=10)

    assert sum(report["accepted"] for _, report in results) == WRITERS * 60 + 60
    assert sum(report["rejected"] for _, report in results) == (WRITERS - 1) * 60
    assert all(code == (1 if report["rejected"] else 0) for code, report in results)
    per_action = events_per_action(settings)
    assert all(per_action[f"X-{i}"] == 1 for i in range(60))
    owner, log = {}, open_log(settings)
    for n in log.recorder.select_notifications(1, 10**6):
        state = json.loads(n.state)
        if state.get("action_id", "").startswith("X-"):
            owner[state["action_id"]] = state["complaint_id"]
    for _, report in results:
        for reject in map(json.loads, Path(report["rejects_file"]).read_text(encoding="utf-8").splitlines()):
            raw = json.loads(reject["raw"])
            assert owner[raw["action_id"]] in reject["reason"] and raw["complaint_id"] in reject["reason"]


def received(complaint_id: str, action_id: str) -> Any:
    return parse_action({"action_id": action_id, "complaint_id": complaint_id, "action": "received",
                         "at": "2024-03-04T09:00:00+08:00", "outlet": "O-001", "channel": "app", "via": "direct"})


def note(complaint_id: str, action_id: str, text: str = "seen in the press") -> Any:
    return parse_action({"action_id": action_id, "complaint_id": complaint_id, "action": "public_opinion",
                         "at": "2024-03-04T10:00:00+08:00", "note": text})


def test_an_action_id_reused_on_another_complaint_is_rejected_naming_both(settings: Settings) -> None:
    load_bank(settings)
    log = open_log(settings)
    # In one batch: the second use of N-1 is refused, the rest recorded.
    same_batch = log.record([(1, received("C-1", "R-1")), (2, note("C-1", "N-1")), (3, received("C-2", "R-2")),
                             (4, note("C-2", "N-1"))])
    assert (same_batch.accepted, same_batch.duplicates) == (3, 0)
    assert [line for line, _ in same_batch.rejected] == [4]
    assert "C-1" in same_batch.rejected[0][1] and "C-2" in same_batch.rejected[0][1]
    # In a later batch, and from another process's log (nothing cached): refused again; the same action on
    # its own complaint stays a harmless duplicate.
    for writer in (log, open_log(settings)):
        later = writer.record([(1, note("C-2", "N-1")), (2, note("C-1", "N-1")), (3, received("C-3", "R-1"))])
        assert (later.accepted, later.duplicates) == (0, 1)
        assert [line for line, _ in later.rejected] == [1, 3]
        assert all("C-1" in reason for _, reason in later.rejected)
        assert "C-2" in later.rejected[0][1] and "C-3" in later.rejected[1][1]
    assert events_per_action(settings) == Counter({"R-1": 1, "N-1": 1, "R-2": 1})


def test_reimport_is_a_no_op_and_an_existing_store_is_indexed_when_first_opened(
        settings: Settings, tmp_path: Path) -> None:
    load_bank(settings)
    actions = ROOT / "examples" / "actions.jsonl"
    first = open_log(settings)
    done = import_file(first, actions, "jsonl", settings.home)
    again = import_file(open_log(settings), actions, "jsonl", settings.home)
    assert done.accepted > 10 and (again.accepted, again.duplicates) == (0, done.accepted)
    # A store written before the index existed (its tables dropped here): opening fills the index from the
    # events, so a reuse of an old id on a new complaint is refused like any other.
    index = first.recorder.index_name  # type: ignore[attr-defined]
    drop = [f"DROP TABLE {index}", f"DROP TABLE {index}_filled"]
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            for statement in drop:
                conn.execute(statement.encode())
    else:
        import sqlite3

        with sqlite3.connect(settings.home / "events.sqlite") as conn:
            for statement in drop:
                conn.execute(statement)
    reopened = open_log(settings)
    assert len(reopened.recorder.action_owners(["A-0001", "A-0002", "nope"])) == 2  # type: ignore[attr-defined]
    refused = reopened.record([(1, received("C-NEW", "A-0002"))])
    assert refused.rejected and "C-2024-0001" in refused.rejected[0][1]
    assert import_file(open_log(settings), actions, "jsonl", settings.home).accepted == 0


class CrowdedLog(ComplaintLog):
    """A log whose saves lose the race: before each of its first `losses` saves, another writer records
    `rival(n)` first (an independent process in real life)."""

    name = ComplaintLog.name  # the same event store (the library names PostgreSQL's tables after the class)

    def __init__(self, settings: Settings, losses: int, rival: Any) -> None:
        super().__init__(env=settings.event_store_env())
        self.other, self.losses, self.rival, self.saves = open_log(settings), losses, rival, 0
        self.BACKOFF = 0.001

    def _save_events(self, events: Any, action_ids: Any = ()) -> None:
        self.saves += 1
        if self.saves <= self.losses:
            outcome = self.other.record([(1, self.rival(self.saves))])
            assert outcome.accepted == 1 or outcome.duplicates == 1, outcome
        super()._save_events(events, action_ids)


def test_a_batch_that_collides_again_and_again_is_decided_anew_each_time(settings: Settings) -> None:
    load_bank(settings)
    open_log(settings).record([(1, received("C-9", "R-9")), (2, received("C-8", "R-8"))])
    # Other writers add to C-9 before each of three saves: decided again each time, recorded once.
    crowded = CrowdedLog(settings, 3, lambda n: note("C-9", f"other-{n}"))
    outcome = crowded.record([(1, note("C-9", "mine")), (2, note("C-8", "mine-8"))])
    assert (outcome.accepted, outcome.duplicates, outcome.rejected) == (2, 0, [])
    assert crowded.saves == 4
    assert set(open_log(settings).complaint("C-9").history) == {"R-9", "other-1", "other-2", "other-3", "mine"}
    # The other writer recorded this very action first: a duplicate, not an error.
    same = CrowdedLog(settings, 1, lambda n: note("C-8", "both"))
    assert (same.record([(1, note("C-8", "both"))]).duplicates, same.saves) == (1, 2)
    # The other writer took the id for another complaint: rejected, naming both.
    taken = CrowdedLog(settings, 1, lambda n: note("C-9", "contested"))
    refused = taken.record([(1, note("C-8", "contested"))])
    assert refused.accepted == 0 and "C-9" in refused.rejected[0][1] and "C-8" in refused.rejected[0][1]
    assert events_per_action(settings)["contested"] == 1
