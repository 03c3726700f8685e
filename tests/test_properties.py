"""Property tests: random action sequences through the state machine, against a small reference model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import lifecycle
from domain.actions import parse_action
from domain.application import ComplaintLog
from domain.complaint import Complaint, record_new
from domain.errors import DomainError
from domain.facts import ComplaintFacts
from domain.organisation import OrganisationSpec
from projections.envelope import Envelope

FIELDS: dict[str, dict[str, Any]] = {
    "received": {"outlet": "O", "channel": "web", "via": "direct"}, "assigned": {"assignee": "P"},
    "contacted": {}, "handled": {"outcome": "resolved"}, "feedback": {}, "closed": {}, "withdrawn": {},
    "reopened": {"reason": "again"}, "callback": {"satisfied": True}, "escalated": {"level": "branch"},
    "validated": {"effective": True, "decided_by": "hq", "bank_caused": True}, "compensated": {"amount": "1.00"},
    "public_opinion": {}, "extended": {"days": 15, "approved_by": "P"},
}
NAMES = sorted(FIELDS)
START = datetime(2024, 1, 1, tzinfo=UTC)


def memory_log() -> ComplaintLog:
    log = ComplaintLog(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})
    log.load_organisation(OrganisationSpec.parse(
        {"units": [{"id": "H", "kind": "hq"}, {"id": "B", "kind": "branch", "parent": "H"},
                   {"id": "O", "kind": "outlet", "parent": "B", "customers": 10}]}))
    return log


def action(n: int, name: str, at: datetime, **extra: Any) -> Any:
    return parse_action({"action_id": f"A{n}", "complaint_id": "C", "action": name, "at": at.isoformat(),
                         **FIELDS.get(name, {}), **extra})


sequences = st.lists(st.tuples(st.sampled_from(NAMES), st.integers(-3, 48)), min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences)
def test_the_aggregate_follows_the_reference_table(steps: list[tuple[str, int]]) -> None:
    """Accepted exactly when the table allows the action in the model's state; state moves as the table says."""
    log, state, at, received = memory_log(), lifecycle.NEW, START, START
    for n, (name, hours) in enumerate(steps):
        at += timedelta(hours=hours)  # sometimes backwards: late actions are judged by the state machine alone,
        outcome = log.record([(n, action(n, name, at))])  # unless dated before the receipt
        allowed = lifecycle.allows(state, name) and (name in ("received", "annulled") or at >= received)
        assert (outcome.accepted == 1) is allowed, (state, name, outcome.rejected)
        if allowed:
            received = at if name == "received" else received
            state = lifecycle.next_state(state, name)
        else:
            reason = outcome.rejected[0][1]
            assert name in reason and ("C" in reason or state == lifecycle.NEW)
    if state != lifecycle.NEW:
        assert log.complaint("C").state == state


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sequences, st.data())
def test_replay_and_read_side_fold_agree_and_reimport_is_a_no_op(steps: list[tuple[str, int]], data: Any) -> None:
    log, at, numbered = memory_log(), START, []
    for n, (name, hours) in enumerate([("received", 0), *steps]):
        at += timedelta(hours=hours)
        numbered.append((n, action(n, name, at)))
    first = log.record(numbered)
    accepted_ids = [a for a in log.complaint("C").history]
    live_steps = [a for a in log.complaint("C").steps if a not in log.complaint("C").annulled]
    accepted_lines = {n for n, _ in numbered} - {line for line, _ in first.rejected}
    again = log.record([(n, a) for n, a in numbered if n in accepted_lines])  # what was recorded, again
    assert again.accepted == 0 and again.duplicates == first.accepted
    retry = log.record(numbered)  # the whole file again: only lines rejected before may now fit
    assert retry.duplicates >= first.accepted and retry.accepted <= len(first.rejected)
    if data.draw(st.booleans()) and live_steps:  # sometimes correct the latest step
        log.record([(999, parse_action({"action_id": "FIX", "complaint_id": "C", "action": "annulled",
                                        "at": at.isoformat(), "target_action_id": live_steps[-1],
                                        "reason": "typo"}))])
    complaint = log.complaint("C")
    replayed = memory_replay(log, complaint.id)
    assert replayed.state == complaint.state and list(replayed.history) == list(complaint.history)
    facts: ComplaintFacts | None = None
    for note in log.recorder.select_notifications(1, 10_000):
        envelope = Envelope.from_notification(note)
        if envelope.complaint_id != "C":
            continue
        if facts is None:
            facts = ComplaintFacts.received(envelope.version, envelope.recorded_at, envelope.payload)
        else:
            facts.apply(envelope.version, envelope.event_type, envelope.recorded_at, envelope.payload)
        asked = (facts.effective, facts.handler)  # asked between events: what it keeps must follow each one
    assert facts is not None
    assert facts.state == complaint.state and facts.annulled == complaint.annulled
    assert asked == (facts.effective, facts.handler) and facts.effective == complaint.effective
    assert [a for a, _ in facts.live("validated")] == [a for a, h in complaint.history.items()
                                                       if h["action"] == "validated" and a not in complaint.annulled]
    assert set(accepted_ids) <= set(facts.history)


def memory_replay(log: ComplaintLog, originator: Any) -> Any:
    """The aggregate rebuilt from its stored events alone, bypassing every cache."""
    aggregate = None
    events: list[Any] = list(log.events.get(originator))
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class Model:
    """An independent reference: the state, each step's state before it, and what annulment may undo."""

    def __init__(self) -> None:
        self.state = lifecycle.NEW
        self.entries: dict[str, tuple[str, str, bool]] = {}  # action_id -> (action, state before, moved)
        self.live_steps: list[str] = []
        self.annulled: set[str] = set()
        self.validations: list[tuple[str, bool]] = []

    def accepts(self, name: str, target: str | None) -> bool:
        if not lifecycle.allows(self.state, name):
            return False
        if name != "annulled":
            return True
        entry = self.entries.get(target or "")
        if entry is None or target in self.annulled or entry[0] in ("received", "annulled"):
            return False
        return not entry[2] or self.live_steps[-1] == target

    def apply(self, action_id: str, name: str, target: str | None, effective: bool) -> None:
        before = self.state
        moved = name != "annulled" and lifecycle.TRANSITIONS[name][1] is not None
        if name == "annulled":
            assert target is not None
            self.annulled.add(target)
            if self.entries[target][2]:
                self.live_steps.remove(target)
                self.state = self.entries[target][1]
        elif moved:
            self.state = lifecycle.next_state(before, name)
            self.live_steps.append(action_id)
        if name == "validated":
            self.validations.append((action_id, effective))
        self.entries[action_id] = (name, before, moved)

    @property
    def effective(self) -> bool | None:
        live = [e for a, e in self.validations if a not in self.annulled]
        return live[-1] if live else None


steps_with_annulments = st.lists(
    st.tuples(st.sampled_from([*NAMES, "annulled", "annulled", "annulled"]), st.integers(0, 40), st.booleans()),
    min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(steps_with_annulments)
def test_annulments_anywhere_in_a_sequence_agree_with_the_reference_model(
        steps: list[tuple[str, int, bool]]) -> None:
    model, at = Model(), START
    complaint: Complaint | None = None
    for n, (name, pick, flag) in enumerate([("received", 0, False), *steps]):
        at += timedelta(hours=1)
        ids = list(model.entries)
        target = ids[pick % len(ids)] if name == "annulled" and ids else None
        extra: dict[str, Any] = {"effective": flag} if name == "validated" else {}
        if name == "annulled":
            extra = {"target_action_id": target or "NONE", "reason": "fix"}
        act = action(n, name, at, **extra)
        expected = model.accepts(name, target)
        try:
            if complaint is None:
                complaint = record_new(act)
            else:
                complaint.record(act)
            accepted = True
        except DomainError:
            accepted = False
        assert accepted is expected, (model.state, name, target)
        if accepted:
            model.apply(f"A{n}", name, target, flag)
        assert complaint is not None
        assert complaint.state == model.state and complaint.annulled == model.annulled
        assert complaint.effective is model.effective
