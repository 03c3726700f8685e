"""The lifecycle state machine, on the aggregate alone (no store): what each state refuses, and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from domain import lifecycle
from domain.actions import ACTION_NAMES, parse_action
from domain.complaint import COMMANDS, Complaint, record_new
from domain.errors import NotReceived, TransitionRefused

FIELDS: dict[str, dict[str, Any]] = {
    "received": {"outlet": "O-001", "channel": "web"}, "assigned": {"assignee": "P-C1"}, "contacted": {},
    "handled": {"outcome": "resolved"}, "feedback": {}, "closed": {}, "withdrawn": {}, "reopened": {"reason": "r"},
    "callback": {"satisfied": False}, "escalated": {"level": "branch"}, "mediation_requested": {"mediator": "M"},
    "mediation_concluded": {"success": True}, "validated": {"effective": True, "decided_by": "hq",
                                                           "bank_caused": True},
    "compensated": {"amount": "10"}, "public_opinion": {}, "extended": {"days": 15, "approved_by": "P"},
    "appraisal_started": {}, "appraisal_ended": {}, "annulled": {"target_action_id": "A0", "reason": "r"},
    "responsibility_assigned": {"shares": {"D-1": "1"}}, "rewarded": {"recipient": "P-C1", "reason": "r"},
    "appealed": {"subject": "P-H", "rule": "fine.hq", "reason": "r"},
    "appeal_decided": {"actor": "P-PRES", "appeal_action_id": "A0", "decision": "upheld", "reason": "r"},
}
START = datetime(2024, 3, 5, 9, tzinfo=UTC)


class Script:
    """Feeds one complaint its actions with fresh ids, an hour apart."""

    def __init__(self, complaint_id: str = "C-7") -> None:
        self.complaint_id, self.ids, self.at = complaint_id, count(), START
        self.complaint: Complaint | None = None

    def action(self, name: str, **extra: Any) -> Any:
        self.at += timedelta(hours=1)
        return parse_action({"action_id": f"A{next(self.ids)}", "complaint_id": self.complaint_id,
                             "action": name, "at": self.at.isoformat(), **FIELDS[name], **extra})

    def do(self, *names: str) -> Complaint:
        for name in names:
            if self.complaint is None:
                self.complaint = record_new(self.action(name))
            else:
                assert self.complaint.record(self.action(name)) is True
        assert self.complaint is not None
        return self.complaint


def refusal(script: Script, name: str) -> TransitionRefused:
    with pytest.raises(TransitionRefused) as error:
        script.do(name)
    return error.value


def test_the_table_covers_every_action_and_every_action_has_a_command() -> None:
    assert set(lifecycle.TRANSITIONS) == set(ACTION_NAMES) == set(FIELDS)
    assert set(COMMANDS) == set(ACTION_NAMES) - {"received"}
    assert all(set(allowed) <= set(lifecycle.STATES) for allowed, _ in lifecycle.TRANSITIONS.values())


@pytest.mark.parametrize("name", sorted(set(ACTION_NAMES) - {"received"}))
def test_nothing_before_received(name: str) -> None:
    with pytest.raises(NotReceived) as error:
        Script().do(name)
    message = str(error.value)
    assert "C-7" in message and f"'{name}'" in message and "'new'" in message
    assert (error.value.complaint_id, error.value.action, error.value.state) == ("C-7", name, "new")


def test_handled_before_received_names_complaint_action_and_state() -> None:
    with pytest.raises(TransitionRefused, match=r"complaint C-7: 'handled' is not allowed in state 'new'"):
        Script().do("handled")


def test_a_second_received_is_refused() -> None:
    script = Script()
    script.do("received", "assigned")
    error = refusal(script, "received")
    assert (error.complaint_id, error.action, error.state) == ("C-7", "received", "assigned")
    assert str(error) == "complaint C-7: 'received' is not allowed in state 'assigned'"


@pytest.mark.parametrize("path", [("received",), ("received", "assigned"), ("received", "contacted"),
                                  ("received", "handled"), ("received", "handled", "feedback")])
def test_callback_before_closed(path: tuple[str, ...]) -> None:
    script = Script()
    state = script.do(*path).state
    error = refusal(script, "callback")
    assert f"'callback' is not allowed in state '{state}'" in str(error) and "C-7" in str(error)


@pytest.mark.parametrize("name", sorted(set(ACTION_NAMES) - {"reopened", "annulled"}))
def test_nothing_after_withdrawn_but_reopen(name: str) -> None:
    script = Script()
    script.do("received", "contacted", "withdrawn")
    error = refusal(script, name)
    assert str(error) == f"complaint C-7: '{name}' is not allowed in state 'withdrawn'"
    assert script.do("reopened").state == lifecycle.OPEN  # and reopening works


def test_a_closed_complaint_takes_only_what_follows_a_closure() -> None:
    """Literal expectations, not read from the table: a check on the table itself."""
    allowed = {"reopened", "callback", "mediation_requested", "mediation_concluded", "validated", "compensated",
               "public_opinion", "annulled", "responsibility_assigned", "rewarded", "appealed", "appeal_decided"}
    for name in sorted(set(ACTION_NAMES) - {"annulled"}):
        script = Script()
        script.do("received", "handled", "closed")
        if name == "rewarded":  # a reward needs a complaint the bank did not cause
            assert script.complaint is not None
            script.complaint.record(script.action("validated", effective=False, bank_caused=False))
        if name == "appeal_decided":  # a decision needs its appeal (A3)
            script.do("appealed")
            assert script.complaint is not None and script.complaint.record(script.action(name, appeal_action_id="A3"))
        elif name in allowed:
            script.do(name)
        else:
            assert "'closed'" in str(refusal(script, name))


@pytest.mark.parametrize(("path", "states"), [
    (("received", "assigned", "contacted", "handled", "feedback", "closed", "callback"),
     ("open", "assigned", "contacted", "handled", "answered", "closed", "closed")),
    (("received", "handled", "closed", "reopened", "assigned", "handled", "closed"),
     ("open", "handled", "closed", "open", "assigned", "handled", "closed")),
    (("received", "escalated", "withdrawn", "reopened", "handled", "handled", "closed"),
     ("open", "open", "withdrawn", "open", "handled", "handled", "closed")),
    (("received", "validated", "compensated", "extended", "appraisal_started", "appraisal_ended", "handled"),
     ("open",) * 6 + ("handled",)),
])
def test_allowed_paths_move_as_written(path: tuple[str, ...], states: tuple[str, ...]) -> None:
    script = Script()
    seen = [script.do(name).state for name in path]
    assert tuple(seen) == states


def test_a_refused_action_changes_nothing() -> None:
    script = Script()
    complaint = script.do("received", "handled")
    before = (complaint.state, list(complaint.history), complaint.version)
    refusal(script, "received")
    refusal(script, "callback")
    assert (complaint.state, list(complaint.history), complaint.version) == before
    assert [e.__class__.__name__ for e in complaint.collect_events()] == ["Received", "Handled"]  # no more
