"""The Complaint aggregate in a store: annulment, duplicates, replay, and bitemporal time (at vs recorded_at)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain import lifecycle
from domain.actions import parse_action
from domain.application import ComplaintLog
from domain.organisation import OrganisationSpec
from projections.timeline import ComplaintNotFound, timeline

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIELDS: dict[str, dict[str, Any]] = {
    "received": {"outlet": "O", "channel": "hotline", "via": "pboc"}, "assigned": {"assignee": "P"},
    "contacted": {}, "handled": {"outcome": "resolved"}, "closed": {}, "callback": {"satisfied": True},
    "compensated": {"amount": "88.00"}, "reopened": {"reason": "again"},
    "validated": {"decided_by": "pboc", "bank_caused": True},
}


@pytest.fixture
def log() -> ComplaintLog:
    log = ComplaintLog(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    log.load_organisation(OrganisationSpec.parse(
        {"units": [{"id": "H", "kind": "hq"}, {"id": "B", "kind": "branch", "parent": "H"},
                   {"id": "O", "kind": "outlet", "parent": "B", "customers": 100}]}))
    return log


def act(action_id: str, name: str, at: str, complaint_id: str = "C-1", **extra: Any) -> Any:
    return parse_action({"action_id": action_id, "complaint_id": complaint_id, "action": name,
                         "at": f"2024-03-{at}+08:00", **FIELDS.get(name, {}), **extra})


def record(log: ComplaintLog, *actions: Any) -> tuple[int, int, list[str]]:
    outcome = log.record(enumerate(actions, 1))
    return outcome.accepted, outcome.duplicates, [reason for _, reason in outcome.rejected]


def annul(action_id: str, target: str, at: str = "20T09:00:00") -> Any:
    return act(action_id, "annulled", at, target_action_id=target, reason="entered by mistake")


def replayed(log: ComplaintLog, complaint_id: str) -> Any:
    """The aggregate rebuilt from its stored events alone, bypassing every cache."""
    aggregate = None
    events: list[Any] = list(log.events.get(log.complaint(complaint_id).id))
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


# -- annulment ---------------------------------------------------------------------------------

def test_an_annulled_validation_stays_in_history_and_drops_out_of_the_standing(log: ComplaintLog) -> None:
    assert record(log, act("R", "received", "05T09:00:00"), act("V1", "validated", "06T09:00:00", effective=False),
                  act("V2", "validated", "07T09:00:00", effective=True)) == (3, 0, [])
    assert log.complaint("C-1").effective is True
    assert record(log, annul("X", "V2")) == (1, 0, [])
    complaint = log.complaint("C-1")
    assert "V2" in complaint.history and complaint.annulled == {"V2"}
    assert complaint.effective is False  # the earlier validation stands again
    assert record(log, annul("Y", "V1")) == (1, 0, [])
    assert log.complaint("C-1").effective is None
    rows = {r["action_id"]: r for r in timeline(log, "C-1", SHANGHAI)["events"]}
    assert rows["V2"]["annulled"] and rows["V2"]["annulled_by"] == "X" and not rows["R"]["annulled"]


def test_an_annulled_compensation_is_no_longer_live(log: ComplaintLog) -> None:
    record(log, act("R", "received", "05T09:00:00"), act("K", "compensated", "06T09:00:00"))
    assert log.complaint("C-1").live("compensated")
    record(log, annul("X", "K"))
    assert log.complaint("C-1").live("compensated") == []


@pytest.mark.parametrize(("target", "words"), [
    ("NOPE", ("C-1", "no action NOPE")),
    ("V", ("C-1", "V is already annulled")),
    ("X", ("C-1", "'annulled' cannot be annulled")),
    ("R", ("C-1", "'received' cannot be annulled")),
])
def test_annulments_that_name_nothing_annullable_are_refused(log: ComplaintLog, target: str,
                                                             words: tuple[str, ...]) -> None:
    record(log, act("R", "received", "05T09:00:00"), act("V", "validated", "06T09:00:00", effective=True),
           annul("X", "V"))
    accepted, _, reasons = record(log, annul("Z", target))
    assert accepted == 0 and all(w in reasons[0] for w in words), reasons


def test_a_step_that_moved_the_state_can_be_annulled_only_when_latest(log: ComplaintLog) -> None:
    record(log, act("R", "received", "05T09:00:00"), act("A", "assigned", "05T10:00:00"),
           act("K", "compensated", "05T10:30:00"), act("H", "handled", "05T11:00:00"))
    accepted, _, reasons = record(log, annul("X1", "A"))
    assert accepted == 0 and "annul the later step H before A" in reasons[0]
    assert record(log, annul("X2", "K")) == (1, 0, [])  # a fact that moved nothing: any time
    assert record(log, annul("X3", "H")) == (1, 0, [])
    assert log.complaint("C-1").state == lifecycle.ASSIGNED
    assert record(log, annul("X4", "A")) == (1, 0, [])  # now A is the latest live step
    assert log.complaint("C-1").state == lifecycle.OPEN
    assert record(log, act("H2", "handled", "06T09:00:00")) == (1, 0, [])  # the record goes on from there


def test_annulling_a_withdrawal_brings_the_complaint_back(log: ComplaintLog) -> None:
    record(log, act("R", "received", "05T09:00:00"), act("W", "withdrawn", "05T10:00:00"))
    assert record(log, annul("X", "W")) == (1, 0, [])
    assert log.complaint("C-1").state == lifecycle.OPEN


# -- duplicates and replay ---------------------------------------------------------------------

def test_same_action_again_is_a_duplicate_and_a_reused_id_is_refused(log: ComplaintLog) -> None:
    first = [act("R", "received", "05T09:00:00"), act("H", "handled", "05T11:00:00")]
    assert record(log, *first) == (2, 0, [])
    assert record(log, *first) == (0, 2, [])
    accepted, duplicates, reasons = record(log, act("H", "handled", "05T11:00:00", outcome="partial"))
    assert (accepted, duplicates) == (0, 0)
    assert "action_id H" in reasons[0] and "C-1" in reasons[0] and "different content" in reasons[0]
    assert log.complaint("C-1").history["H"]["fields"] == {"outcome": "resolved"}  # the record is unchanged
    assert len(list(log.events.get(log.complaint("C-1").id))) == 2


def test_duplicates_within_one_batch(log: ComplaintLog) -> None:
    r = act("R", "received", "05T09:00:00")
    assert record(log, r, r, act("C", "contacted", "05T10:00:00"), r) == (2, 2, [])


def test_replay_rebuilds_an_equal_aggregate(log: ComplaintLog) -> None:
    record(log, act("R", "received", "05T09:00:00", category="fees", customer_ref="K-1"),
           act("A", "assigned", "05T10:00:00", outlet="O"), act("H", "handled", "05T11:00:00"),
           act("CL", "closed", "06T09:00:00"), act("CB", "callback", "07T09:00:00", satisfied=False),
           act("V", "validated", "08T09:00:00", effective=True), annul("X", "CB"))
    live, again = log.complaint("C-1"), replayed(log, "C-1")
    for attribute in ("state", "history", "steps", "annulled", "outlet", "effective", "received_at", "category",
                      "customer_ref", "regulator_transferred", "version"):
        assert getattr(again, attribute) == getattr(live, attribute), attribute
    assert again.state == lifecycle.CLOSED and again.annulled == {"CB"} and again.regulator_transferred


# -- bitemporal time ---------------------------------------------------------------------------

class Clock:
    """The recorded-time clock the library reads (`eventsourcing.domain.datetime_now_with_tzinfo`)."""

    def __init__(self) -> None:
        self.now = datetime(2024, 3, 10, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", clock)
    yield clock


def test_a_late_action_is_accepted_when_the_state_allows_and_shows_both_times(log: ComplaintLog,
                                                                               clock: Clock) -> None:
    first_recorded = clock.now
    assert record(log, act("R", "received", "05T09:00:00"), act("H", "handled", "06T09:00:00")) == (2, 0, [])
    clock.now += timedelta(days=2)
    # Happened before the handling, recorded two days after it: allowed, the state machine permits it.
    assert record(log, act("A", "assigned", "05T12:00:00")) == (1, 0, [])
    # Also earlier than the last action, but not allowed where the complaint now stands.
    accepted, _, reasons = record(log, act("CB", "callback", "05T13:00:00"))
    assert accepted == 0 and "'callback' is not allowed in state 'assigned'" in reasons[0]
    doc = timeline(log, "C-1", SHANGHAI)
    assert [e["action_id"] for e in doc["events"]] == ["R", "A", "H"]  # by when it happened
    rows = {e["action_id"]: e for e in doc["events"]}
    assert rows["A"]["at"] == "2024-03-05T12:00:00+08:00" and rows["A"]["late"] and not rows["H"]["late"]
    assert rows["A"]["recorded_at"] == (first_recorded + timedelta(days=2)).astimezone(SHANGHAI).isoformat()
    assert rows["H"]["recorded_at"] == first_recorded.astimezone(SHANGHAI).isoformat()
    assert all(set(e) >= {"action", "at", "recorded_at", "actor"} for e in doc["events"])


def test_as_of_shows_the_record_as_it_stood(log: ComplaintLog, clock: Clock) -> None:
    day1 = clock.now
    record(log, act("R", "received", "05T09:00:00"), act("V", "validated", "06T09:00:00", effective=True))
    clock.now = day1 + timedelta(days=1)
    record(log, act("H", "handled", "07T09:00:00"), annul("X", "V"))
    then = timeline(log, "C-1", SHANGHAI, as_of=day1 + timedelta(hours=1))
    assert [e["action_id"] for e in then["events"]] == ["R", "V"]
    assert then["state"] == lifecycle.OPEN and then["summary"]["effective"] is True
    assert not then["events"][1]["annulled"]  # the annulment had not been recorded yet
    now = timeline(log, "C-1", SHANGHAI)
    assert now["state"] == lifecycle.HANDLED and now["summary"]["effective"] is None
    assert timeline(log, "C-1", SHANGHAI, as_of=day1)["events"][-1]["action_id"] == "V"  # the instant itself
    with pytest.raises(ComplaintNotFound, match="C-1"):
        timeline(log, "C-1", SHANGHAI, as_of=day1 - timedelta(seconds=1))
    with pytest.raises(ComplaintNotFound, match="C-404"):
        timeline(log, "C-404", SHANGHAI)


def test_units_must_be_known_for_receipt_and_hand_over(log: ComplaintLog) -> None:
    accepted, _, reasons = record(log, act("R0", "received", "05T09:00:00", complaint_id="C-0", outlet="O-404"))
    assert accepted == 0 and "unknown outlet 'O-404'" in reasons[0] and "org load" in reasons[0]
    record(log, act("R", "received", "05T09:00:00"))
    accepted, _, reasons = record(log, act("A", "assigned", "05T10:00:00", outlet="GHOST"))
    assert accepted == 0 and "GHOST" in reasons[0]
    assert record(log, act("A2", "assigned", "05T10:00:00", outlet="B")) == (1, 0, [])  # a hand-over upwards
    assert log.complaint("C-1").outlet == "B" and log.complaint("C-1").received_outlet == "O"
    record(log, annul("X", "A2"))
    assert log.complaint("C-1").outlet == "O"  # the annulled hand-over no longer counts


def test_an_action_dated_before_the_receipt_is_refused_with_its_reason(log: ComplaintLog) -> None:
    assert record(log, act("R", "received", "05T09:00:00")) == (1, 0, [])
    accepted, _, reasons = record(log, act("A", "assigned", "05T08:59:00"), act("C", "contacted", "05T09:00:00"))
    assert accepted == 1 and len(reasons) == 1  # the same minute as the receipt is fine
    assert "'assigned' at 2024-03-05T08:59:00+08:00 is dated before the complaint was received" in reasons[0]
    assert "A" not in log.complaint("C-1").history
    stamped = act("A2", "assigned", "05T09:00:00", source={"sys_updated_at": "5/3/2024 08:14"})
    assert record(log, stamped) == (1, 0, [])  # recorded at the receipt, the source's own time kept beside
    assert log.complaint("C-1").history["A2"]["fields"]["source"] == {"sys_updated_at": "5/3/2024 08:14"}
