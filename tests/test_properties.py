"""Property tests: random action sequences through the state machine, against a small reference model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import lifecycle
from domain.actions import parse_action
from domain.application import ComplaintLog
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
    log, state, at = memory_log(), lifecycle.NEW, START
    for n, (name, hours) in enumerate(steps):
        at += timedelta(hours=hours)  # sometimes backwards: late actions are judged by the state machine alone
        outcome = log.record([(n, action(n, name, at))])
        allowed = lifecycle.allows(state, name)
        assert (outcome.accepted == 1) is allowed, (state, name, outcome.rejected)
        if allowed:
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
    assert facts is not None
    assert facts.state == complaint.state and facts.annulled == complaint.annulled
    assert set(accepted_ids) <= set(facts.history)


def memory_replay(log: ComplaintLog, originator: Any) -> Any:
    """The aggregate rebuilt from its stored events alone, bypassing every cache."""
    aggregate = None
    for event in log.events.get(originator):
        aggregate = event.mutate(aggregate)
    return aggregate
