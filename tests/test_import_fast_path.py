"""The import's fast paths keep its promises: a `received` taken for new without asking the store,
digests computed only on a repeated id, rare full collections. No timings here: speed is `bench/`'s."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
import yaml

from bench.synthetic import write_bank
from domain.application import ComplaintLog
from domain.organisation import OrganisationSpec
from plaintrail.importer import import_file
from plaintrail.settings import Settings


@pytest.fixture
def bank(tmp_path: Path) -> tuple[Path, Path, int]:
    return write_bank(tmp_path / "data", complaints=120, seed=3)


def open_log(home: Path, org: Path | None = None) -> ComplaintLog:
    log = ComplaintLog(env=Settings(home=home).event_store_env(), cache_size=50)
    if org is not None:
        log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
    return log


def stored_complaint_events(log: ComplaintLog) -> int:
    return sum(1 for n in log.recorder.select_notifications(1, 10**6) if n.topic.startswith("domain.complaint:"))


def test_generated_bank_imports_whole(bank: tuple[Path, Path, int], tmp_path: Path) -> None:
    org, actions, count = bank
    log = open_log(tmp_path / "home", org)
    report = import_file(log, actions, "jsonl", tmp_path / "home", batch_size=97)
    assert (report.accepted, report.duplicates, report.rejected) == (count, 0, 0)
    assert stored_complaint_events(log) == count


def test_rerun_after_a_partial_import_records_everything_once(bank: tuple[Path, Path, int], tmp_path: Path) -> None:
    org, actions, count = bank
    lines = actions.read_text(encoding="utf-8").splitlines(keepends=True)
    half = tmp_path / "half.jsonl"
    half.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
    home = tmp_path / "home"
    first = import_file(open_log(home, org), half, "jsonl", home, batch_size=50)
    assert first.accepted == len(lines) // 2
    # A new process: nothing cached, so every `received` of the first half is taken for new, and
    # the store's uniqueness has to send those batches back to be decided again.
    rerun = import_file(open_log(home), actions, "jsonl", home, batch_size=50)
    assert (rerun.accepted, rerun.duplicates, rerun.rejected) == (count - len(lines) // 2, len(lines) // 2, 0)
    again = import_file(open_log(home), actions, "jsonl", home, batch_size=50)
    assert (again.accepted, again.duplicates, again.rejected) == (0, count, 0)
    assert stored_complaint_events(open_log(home)) == count


def test_a_reused_received_id_is_refused_and_its_batch_neighbours_kept(bank: tuple[Path, Path, int],
                                                                     tmp_path: Path) -> None:
    org, actions, count = bank
    home = tmp_path / "home"
    import_file(open_log(home, org), actions, "jsonl", home)
    first = json.loads(actions.read_text(encoding="utf-8").splitlines()[0])
    assert first["action"] == "received"
    changed = dict(first, category="something else entirely")
    second_received = dict(first, action_id="NEW-ID")
    newcomer = dict(first, action_id="N-1", complaint_id="C-NEW")
    late = tmp_path / "late.jsonl"
    late.write_text("".join(json.dumps(d) + "\n" for d in (newcomer, changed, second_received, first)),
                    encoding="utf-8")
    report = import_file(open_log(home), late, "jsonl", home)
    assert (report.accepted, report.duplicates, report.rejected) == (1, 1, 2)
    reasons = [json.loads(line)["reason"] for line in Path(report.rejects_file).read_text().splitlines()]
    assert first["action_id"] in reasons[0]
    assert "received" in reasons[1]
    assert open_log(home).complaint("C-NEW").received_outlet == first["outlet"]


def test_import_gives_back_the_collector_settings(bank: tuple[Path, Path, int], tmp_path: Path) -> None:
    org, actions, _ = bank
    before = gc.get_threshold()
    import_file(open_log(tmp_path / "home", org), actions, "jsonl", tmp_path / "home")
    assert gc.get_threshold() == before
