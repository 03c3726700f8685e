"""The complaint lifecycle as a table: which action each state allows, and where it leads.

Kept apart from the aggregate so the rules can be read, tested and shown to an auditor as data.
Actions that record a fact without moving the complaint (a validation, a compensation, a callback)
lead to `None`: the state stays as it was.
"""

from __future__ import annotations

NEW = "new"
OPEN = "open"
ASSIGNED = "assigned"
CONTACTED = "contacted"
HANDLED = "handled"
ANSWERED = "answered"
CLOSED = "closed"
WITHDRAWN = "withdrawn"

STATES = (NEW, OPEN, ASSIGNED, CONTACTED, HANDLED, ANSWERED, CLOSED, WITHDRAWN)
IN_PROGRESS = frozenset({OPEN, ASSIGNED, CONTACTED, HANDLED, ANSWERED})
RECORDED = frozenset(STATES) - {NEW}
ACTIVE = RECORDED - {WITHDRAWN}

# action -> (states that allow it, state it leads to or None for "stays")
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "received": (frozenset({NEW}), OPEN),
    "assigned": (IN_PROGRESS, ASSIGNED),
    "contacted": (IN_PROGRESS, CONTACTED),
    "handled": (frozenset({OPEN, ASSIGNED, CONTACTED, HANDLED}), HANDLED),
    "feedback": (frozenset({HANDLED, ANSWERED}), ANSWERED),
    "closed": (frozenset({HANDLED, ANSWERED}), CLOSED),
    "withdrawn": (IN_PROGRESS, WITHDRAWN),
    "reopened": (frozenset({CLOSED, WITHDRAWN}), OPEN),
    "callback": (frozenset({CLOSED}), None),
    "escalated": (IN_PROGRESS, None),
    "mediation_requested": (ACTIVE, None),
    "mediation_concluded": (ACTIVE, None),
    "validated": (ACTIVE, None),
    "compensated": (ACTIVE, None),
    "public_opinion": (ACTIVE, None),
    "extended": (IN_PROGRESS, None),
    "appraisal_started": (IN_PROGRESS, None),
    "appraisal_ended": (IN_PROGRESS, None),
    "responsibility_assigned": (ACTIVE, None),
    # The assessment's own facts, like a validation: any time after receipt, a withdrawn complaint reopened first.
    "rewarded": (ACTIVE, None),
    "appealed": (ACTIVE, None),
    "appeal_decided": (ACTIVE, None),
    # A correction is about the record, not the complaint: it is allowed whenever there is a record.
    "annulled": (RECORDED, None),
}


def allows(state: str, action: str) -> bool:
    allowed, _ = TRANSITIONS[action]
    return state in allowed


def next_state(state: str, action: str) -> str:
    _, target = TRANSITIONS[action]
    return state if target is None else target
