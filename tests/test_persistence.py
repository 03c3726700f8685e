"""The event store and the read models on both backends: SQLite and a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from domain.actions import parse_action
from domain.complaint import complaint_uuid
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.importer import import_file
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.timeline import timeline

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def org(settings: Settings) -> None:
    import yaml

    spec = OrganisationSpec.parse(yaml.safe_load((EXAMPLES / "bank.yaml").read_text(encoding="utf-8")))
    log = open_log(settings)
    assert log.load_organisation(spec) > 0
    assert open_log(settings).load_organisation(spec) == 0  # the same file again records nothing


def test_import_reimport_and_reopen(settings: Settings) -> None:
    org(settings)
    first = import_file(open_log(settings), EXAMPLES / "actions.jsonl", "jsonl", settings.home)
    again = import_file(open_log(settings), EXAMPLES / "actions.jsonl", "jsonl", settings.home)
    assert first.accepted > 10 and first.rejected == again.rejected
    assert again.accepted == 0 and again.duplicates == first.accepted
    reopened = open_log(settings)  # a new process sees the same record
    assert reopened.complaint("C-2024-0001").state == open_log(settings).complaint("C-2024-0001").state
    rows = {r["unit"]: r for r in leaderboard(settings, Period.parse("2024-03"), "outlet")}
    assert rows["O-001"]["regulator_transferred"] == 1 and rows["O-002"]["work_orders"] == 0


def test_concurrent_writers_each_record_once(settings: Settings) -> None:
    org(settings)
    base = {"complaint_id": "C-9", "at": "2024-03-05T09:00:00+08:00"}
    open_log(settings).record([(1, parse_action(dict(base, action_id="R", action="received", outlet="O-001",
                                                     channel="hotline", via="direct")))])
    a, b = open_log(settings), open_log(settings)
    a.complaint("C-9"), b.complaint("C-9")  # both hold version 1 in their caches
    errors: list[BaseException] = []

    def act(log: object, action_id: str, action: dict[str, object]) -> None:
        try:
            outcome = log.record([(1, parse_action(dict(base, action_id=action_id, **action)))])  # type: ignore[attr-defined]
            assert not outcome.rejected, outcome.rejected
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=act, args=(a, "X", {"action": "compensated", "amount": "10.00"})),
               threading.Thread(target=act, args=(b, "Y", {"action": "public_opinion", "note": "press"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    history = open_log(settings).complaint("C-9").history
    assert {"R", "X", "Y"} <= set(history) and len(history) == 3


def test_timeline_as_of_between_imports(settings: Settings, tmp_path: Path) -> None:
    org(settings)
    lines = (EXAMPLES / "actions.jsonl").read_text(encoding="utf-8").splitlines()
    first_part = tmp_path / "first.jsonl"
    first_part.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    import_file(open_log(settings), first_part, "jsonl", settings.home)
    log = open_log(settings)
    complaint_id = json.loads(lines[0])["complaint_id"]
    cut = max(e.timestamp for e in log.events.get(complaint_uuid(complaint_id)))  # type: ignore[attr-defined]
    import_file(open_log(settings), EXAMPLES / "actions.jsonl", "jsonl", settings.home)
    then = timeline(open_log(settings), complaint_id, settings.tz, as_of=cut)
    now = timeline(open_log(settings), complaint_id, settings.tz)
    assert len(then["events"]) < len(now["events"])
    assert all(e["recorded_at"] <= cut.astimezone(settings.tz).isoformat() for e in then["events"])


def test_cli_end_to_end_in_a_real_process(settings: Settings) -> None:
    env = dict(os.environ, PLAINTRAIL_HOME=str(settings.home))
    env.pop("PLAINTRAIL_DATABASE_URL", None)
    if settings.database_url:
        env["PLAINTRAIL_DATABASE_URL"] = settings.database_url
    cli = [sys.executable, "-m", "plaintrail.cli"]
    subprocess.run([*cli, "org", "load", str(EXAMPLES / "bank.yaml")], env=env, check=True, capture_output=True)
    done = subprocess.run([*cli, "import", str(EXAMPLES / "actions.jsonl"), "--json"], env=env, capture_output=True,
                          text=True)
    report = json.loads(done.stdout)
    assert done.returncode == 1 and set(report) == {"accepted", "duplicates", "rejected", "rejects_file"}
    board = subprocess.run([*cli, "leaderboard", "--period", "2024Q1", "--json"], env=env, capture_output=True,
                           text=True, check=True)
    assert sum(r["work_orders"] for r in json.loads(board.stdout)) == 3
    assert (settings.home / "events.sqlite").exists() is (settings.database_url is None)
