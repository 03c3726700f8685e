"""A store recorded by an earlier release (tests/fixtures/store, made by tests/fixtures/make_store.py) is opened
by today's code on every run: it answers as it did, before and after a rebuild, and verifies.

When an event class changes, its upcaster is tested here on that store: the stored bytes stay, the Merkle tree
still verifies, and both readers (the aggregate and the folds) see the new version.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from domain.complaint import Complaint
from projections import upcasting
from tests.fixtures.make_store import ANSWERS, QUERIES, STORE, answers, plaintrail

EXPECTED: dict[str, Any] = json.loads(ANSWERS.read_text(encoding="utf-8"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture store (queries record who looked: the committed one stays as it was made)."""
    import os

    for name in [n for n in os.environ if n.startswith("PLAINTRAIL_")]:
        monkeypatch.delenv(name)
    copy = tmp_path / "home"
    shutil.copytree(STORE, copy)
    return copy


def verified(home: Path) -> dict[str, Any]:
    code, out = plaintrail(home, "verify", "--json")
    report: dict[str, Any] = json.loads(out)
    assert code == 0 and report["ok"], report["problems"]
    return report


def test_the_old_store_answers_as_it_did_before_and_after_a_rebuild_and_verifies(home: Path) -> None:
    assert answers(home) == EXPECTED
    code, _ = plaintrail(home, "rebuild")
    assert code == 0
    assert answers(home) == EXPECTED
    report = verified(home)
    assert report["events_checked"] >= 47 and report["checkpoints_checked"] >= 1


def test_the_stored_answers_do_not_depend_on_the_day_the_test_runs() -> None:
    """Every SLA verdict of 2024-03 is settled (no deadline still ahead), so `now` cannot move them."""
    rows = EXPECTED["sla"]
    assert rows and all(row["open"] == 0 and row["at_risk"] == 0 for row in rows)
    assert set(EXPECTED) == set(QUERIES)


def test_the_fixture_store_stays_small() -> None:
    size = sum(f.stat().st_size for f in STORE.rglob("*") if f.is_file()) + ANSWERS.stat().st_size
    assert size < 1_000_000


def test_an_upcaster_on_the_old_store_reaches_the_aggregate_and_the_folds(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A made-up version 2 of `Complaint.Escalated` (its reason gains a suffix, to be seen) over the store's
    version-1 escalation: the library's path and the rebuild's path both apply it; nothing else moves."""

    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["reason"] = f"{state['reason']} (v2)"

    monkeypatch.setattr(Complaint.Escalated, "class_version", 2, raising=False)
    monkeypatch.setattr(Complaint.Escalated, "upcast_v1_v2", staticmethod(upcast_v1_v2), raising=False)
    monkeypatch.setattr(upcasting, "_known", {})  # the new release is a new process: its classes looked up afresh
    from plaintrail.settings import Settings
    from plaintrail.wiring import open_log

    log = open_log(Settings.from_env(home))
    escalation = next(h for h in log.complaint("C-2024-0003").history.values() if h["action"] == "escalated")
    assert escalation["fields"]["reason"] == "difficult complaint 疑难投诉 (v2)"
    code, _ = plaintrail(home, "rebuild")
    assert code == 0
    from plaintrail.wiring import open_read_models
    from projections.queries import facts_of

    store = open_read_models(Settings.from_env(home))
    try:
        folded = facts_of(store, ["C-2024-0003"])["C-2024-0003"]
    finally:
        store.close()
    assert [h["fields"]["reason"] for h in folded.history.values() if h["action"] == "escalated"] == \
        ["difficult complaint 疑难投诉 (v2)"]  # the rebuild's folds decoded it themselves
    now = answers(home)
    events = now["timeline C-2024-0003"]["events"]  # read by the library, from the store
    assert [e["reason"] for e in events if e["action"] == "escalated"] == ["difficult complaint 疑难投诉 (v2)"]
    assert {k: v for k, v in now.items() if k != "timeline C-2024-0003"} == \
        {k: v for k, v in EXPECTED.items() if k != "timeline C-2024-0003"}
    verified(home)


def test_an_event_stored_by_a_newer_release_is_refused_by_the_folds_and_listed_by_verify(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer release (its `Complaint.Escalated` at version 2) records an escalation; this release, which knows
    version 1 only, rebuilds: the folds refuse that event and verify lists it, the record itself intact."""
    newer = tmp_path / "newer.jsonl"
    newer.write_text("\n".join(json.dumps(line) for line in [
        {"action_id": "N-1", "complaint_id": "C-2024-0099", "action": "received", "at": "2024-03-20T09:00:00+08:00",
         "outlet": "O-001", "channel": "hotline", "via": "direct", "category": "fees"},
        {"action_id": "N-2", "complaint_id": "C-2024-0099", "action": "escalated",
         "at": "2024-03-21T09:00:00+08:00", "level": "branch", "reason": "newer"}]) + "\n", encoding="utf-8")
    with monkeypatch.context() as newer_release:
        newer_release.setattr(Complaint.Escalated, "class_version", 2, raising=False)
        newer_release.setattr(Complaint.Escalated, "upcast_v1_v2", staticmethod(lambda state: None), raising=False)
        newer_release.setattr(upcasting, "_known", {})
        assert plaintrail(home, "import", str(newer))[0] == 0
    monkeypatch.setattr(upcasting, "_known", {})
    assert plaintrail(home, "rebuild")[0] == 0
    code, out = plaintrail(home, "verify", "--json")
    report = json.loads(out)
    assert code == 1 and report["intact"] and report["fold_problems_total"] == 1, report
    assert "stored as version 2" in report["fold_problems"][0]["reason"]
