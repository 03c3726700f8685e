"""No stored event stops the read side: extreme dates are rejected at import, and an event that got into
the store anyway (an old store, a forged row) is folded around by catch-up and rebuild, and reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from consumers import replay
from domain.actions import parse_action
from domain.complaint import record_new
from plaintrail.cli import main
from plaintrail.commands.rebuild import rebuild
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import problems

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXTREMES: list[dict[str, Any]] = [  # each once stopped every read-side command for good (issue 14)
    {"action_id": "OV-1", "complaint_id": "OV-1", "action": "received", "at": "9999-12-31T23:59:59-12:00",
     "outlet": "O-001", "channel": "web"},
    {"action_id": "OV-2", "complaint_id": "OV-2", "action": "received", "at": "0001-01-01T00:00:00+14:00",
     "outlet": "O-001", "channel": "web"},
    {"action_id": "OV-3", "complaint_id": "OV-3", "action": "received", "at": "0001-01-01T00:00:00+00:00",
     "outlet": "O-001", "channel": "web"},
    {"action_id": "OV-4", "complaint_id": "C-2024-0002", "action": "validated", "at": "9999-12-31T23:59:00-12:00",
     "effective": True, "decided_by": "hq", "bank_caused": True},
]
QUERIES = [["leaderboard", "--period", "2024Q1", "--level", "outlet", "--json"],
           ["scores", "--period", "2024Q1", "--json"], ["sla", "--period", "2024-03", "--json"],
           ["timeline", "C-2024-0002", "--json"]]


def cli(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        if settings.database_url:
            patch.setenv("PLAINTRAIL_DATABASE_URL", settings.database_url)
        capsys.readouterr()
        code = main(["--home", str(settings.home), *argv])
        out, err = capsys.readouterr()
    return code, out, err


def loaded(settings: Settings, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """The example bank and its actions recorded; what every query answered then."""
    assert cli(settings, capsys, "org", "load", str(EXAMPLES / "bank.yaml"))[0] == 0
    assert cli(settings, capsys, "import", str(EXAMPLES / "actions.jsonl"))[0] == 1  # 3 bad lines on purpose
    return {" ".join(q): cli(settings, capsys, *q)[1] for q in QUERIES}


def answers(settings: Settings, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    found = {}
    for query in QUERIES:
        code, out, err = cli(settings, capsys, *query)
        assert code == 0, (query, err)
        found[" ".join(query)] = out
    return found


def test_extreme_dates_are_rejected_with_line_and_reason_and_nothing_stops(
        settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    before = loaded(settings, capsys)
    log = open_log(settings)
    events = log.recorder.max_notification_id()
    bad = tmp_path / "extremes.jsonl"
    bad.write_text("".join(json.dumps(a) + "\n" for a in EXTREMES), encoding="utf-8")
    code, out, err = cli(settings, capsys, "import", str(bad), "--json")
    report = json.loads(out)
    assert code == 1 and (report["accepted"], report["rejected"]) == (0, 4) and "fold_problems" not in report, err
    rejects = [json.loads(line) for line in Path(report["rejects_file"]).read_text("utf-8").splitlines()]
    assert [r["line"] for r in rejects] == [1, 2, 3, 4]
    for reject, action in zip(rejects, EXTREMES, strict=True):
        assert reject["reason"].startswith(f"complaint {action['complaint_id']}: at ")
        assert "is outside the plausible window 2000-01-01T00:00:00+00:00 .. " in reject["reason"]
    assert log.recorder.max_notification_id() == events  # nothing recorded for them
    assert answers(settings, capsys) == before
    assert cli(settings, capsys, "rebuild")[0] == 0
    assert answers(settings, capsys) == before
    code, out, _ = cli(settings, capsys, "verify", "--json")
    assert code == 0 and json.loads(out)["fold_problems"] == []


def same_counts(now: dict[str, str], before: dict[str, str]) -> bool:
    """The read models' answers alike (the timeline reads the record itself, forged events included)."""
    return {k: v for k, v in now.items() if not k.startswith("timeline")} == \
        {k: v for k, v in before.items() if not k.startswith("timeline")}


def forge(settings: Settings) -> None:
    """Events the checks would refuse, saved around them: through the aggregate and the library's save
    (as an old store may hold them), and one row of garbage straight through the recorder."""
    log = open_log(settings)
    for action in EXTREMES[:3]:
        complaint = record_new(parse_action(action))
        log._save_events(complaint.collect_events())
    complaint = log.complaint("C-2024-0002")
    assert complaint.record(parse_action(EXTREMES[3]))
    log._save_events(complaint.collect_events())
    placed_far = record_new(parse_action({**EXTREMES[0], "action_id": "FAR", "complaint_id": "FAR",
                                          "at": "9998-12-31T00:00:00+00:00"}))
    log._save_events(placed_far.collect_events())
    log.recorder.insert_events([StoredEvent(originator_id=uuid4(), originator_version=1,
                                            topic="domain.complaint:Complaint.Received", state=b"{not json")])


def reported(settings: Settings) -> list[dict[str, Any]]:
    store = open_read_models(settings)
    try:
        assert not store.rebuilding()
        return problems.listed(store)
    finally:
        store.close()


def test_forged_events_are_folded_around_by_catch_up_and_rebuild_and_reported(
        settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    before = loaded(settings, capsys)
    forge(settings)
    assert catch_up(settings) == 1  # FAR: far ahead, but the read side can place it
    found = reported(settings)
    assert [p["complaint_id"] for p in found] == ["OV-1", "OV-2", "OV-3", "C-2024-0002", None]
    assert [p["event_type"] for p in found] == ["Complaint.Received"] * 3 + ["Complaint.Validated",
                                                                              "Complaint.Received"]
    assert found[-1]["reason"].startswith("cannot read the stored event: ")
    assert all("too near the ends of the calendar" in p["reason"] for p in found[:4])
    positions = [p["position"] for p in found]
    assert positions == sorted(positions) and len(set(positions)) == 5
    assert same_counts(answers(settings, capsys), before)  # 2024 is as it was: the validation at 9999 is left out
    timeline = json.loads(cli(settings, capsys, "timeline", "C-2024-0002", "--json")[1])
    assert timeline["events"][-1]["at"] == EXTREMES[3]["at"]  # the record shows what it holds
    code, out, _ = cli(settings, capsys, "timeline", "OV-1", "--json")
    assert code == 0 and json.loads(out)["sla_problem"].startswith("no SLA verdicts: OverflowError")
    for query in (["sla", "--period", "9998-12"], ["scores", "--period", "9998Q4"], ["timeline", "FAR"],
                  ["leaderboard", "--period", "9998", "--level", "branch"], ["sla", "--period", "9999-12"]):
        assert cli(settings, capsys, *query)[0] == 0, query

    code, out, err = cli(settings, capsys, "rebuild", "--json")
    assert code == 0 and json.loads(out)["fold_problems"] == 5 and "5 events could not be folded" in err
    assert reported(settings) == found
    assert same_counts(answers(settings, capsys), before)

    code, out, _ = cli(settings, capsys, "verify", "--json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False and report["fold_problems_total"] == 5
    assert [p["position"] for p in report["fold_problems"]] == positions
    code, out, _ = cli(settings, capsys, "verify")
    assert code == 1 and "NOT FOLDED: 5 events" in out and "of complaint OV-1" in out


def test_a_rebuild_in_processes_reports_and_finishes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The parallel rebuild folds around the same events and never leaves the read models marked unfinished."""
    settings = Settings(home=tmp_path)
    before = loaded(settings, capsys)
    forge(settings)
    catch_up(settings)
    alone = reported(settings)
    events = rebuild(settings, workers=1)
    monkeypatch.setattr(replay, "ALONE_BELOW", 0)
    assert rebuild(settings, workers=2) == events
    assert reported(settings) == alone
    assert same_counts(answers(settings, capsys), before)


def test_the_kafka_workers_projector_reports_and_goes_on() -> None:
    """The projector a Kafka worker runs (redeliveries on) folds around an event it cannot place, once."""
    from zoneinfo import ZoneInfo

    from projections.envelope import Envelope
    from projections.runner import Projector
    from projections.store import ReadModelStore

    def envelope(n: int, complaint: str, at: str) -> Envelope:
        payload = {"complaint_id": complaint, "action_id": f"A-{n}", "at": at, "actor": None, "outlet": "O-1",
                   "channel": "web", "via": "direct", "kind": "complaint", "category": "", "customer_ref": None}
        return Envelope(n, str(uuid4()), 1, "Complaint.Received", "2026-01-01T00:00:00+00:00", payload, complaint, at)

    store = ReadModelStore.sqlite(":memory:")
    projector = Projector(store, ZoneInfo("Asia/Shanghai"))
    projector.redeliveries = True
    batch = [envelope(1, "K-1", "2024-03-05T09:00:00+08:00"), envelope(2, "K-2", "9999-12-31T23:59:59-12:00"),
             envelope(3, "K-3", "2024-03-06T09:00:00+08:00")]
    assert projector.fold(batch, "complaint-events", 0, 3, None) == 2
    assert projector.fold(batch, "complaint-events", 0, 3, 3) == 0  # redelivered: nothing twice
    assert [p["complaint_id"] for p in problems.listed(store)] == ["K-2"]
    assert store.query("SELECT complaint_id FROM complaint_facts ORDER BY 1") == [("K-1",), ("K-3",)]
    assert store.query("SELECT work_orders FROM indicators WHERE unit = 'O-1' AND period = '2024-03'") == [(2,)]


@pytest.mark.parametrize(("event_type", "fields"), [
    ("Complaint.Compensated", {"amount": "NaN"}), ("Complaint.Extended", {"days": "many"}),
    ("Complaint.Validated", {"effective": "yes", "decided_by": "hq"}), ("Complaint.Annulled", {"reason": "x"}),
    ("Complaint.Assigned", {"at": "2024-03-05T09:00:00"}), ("Complaint.Nonsense", {}),
])
def test_an_event_the_read_side_cannot_use_changes_nothing(event_type: str, fields: dict[str, Any]) -> None:
    from domain.facts import ComplaintFacts

    common = {"complaint_id": "C", "action_id": "A-1", "at": "2024-03-05T09:00:00+08:00", "actor": None}
    facts = ComplaintFacts.received(1, "2024-03-05T01:00:00+00:00", {
        **common, "outlet": "O", "channel": "web", "via": "direct", "kind": "complaint", "category": "",
        "customer_ref": None})
    before = facts.to_json()
    with pytest.raises((KeyError, ValueError, TypeError, ArithmeticError)):
        facts.apply(2, event_type, "2024-03-05T02:00:00+00:00", {**common, "action_id": "A-2", **fields})
    assert facts.to_json() == before and facts.version == 1
