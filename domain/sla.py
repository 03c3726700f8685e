"""SLA regimes: each turns a complaint's history into its own verdict, all of them at once.

Verdicts: `on_time` (met), `breached` (missed, or met late), `at_risk` (open, deadline still ahead),
`open` (no deadline yet reached and nothing due soon), `ended` (withdrawn before the deadline).
Calendar days are counted in the bank's time zone; each deadline is the end of its last day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Any, Protocol


class Complaint(Protocol):
    """What a regime reads of a complaint: the aggregate and the read side's facts both have it."""

    received_at: datetime
    history: dict[str, dict[str, Any]]
    annulled: set[str]

SAME_DAY_STEPS = ("received", "assigned", "contacted", "handled", "feedback")
RISK_WINDOW = timedelta(days=2)


def _end_of_day(moment: datetime, days: int, tz: tzinfo) -> datetime:
    local = moment.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(local, time.max, tzinfo=tz)


def _first(complaint: Complaint, *actions: str) -> datetime | None:
    times = [h["at"] for a, h in complaint.history.items()
             if h["action"] in actions and a not in complaint.annulled]
    return min(times) if times else None


def _verdict(done: datetime | None, deadline: datetime, now: datetime, ended: datetime | None) -> str:
    if done is not None:
        return "on_time" if done <= deadline else "breached"
    if ended is not None and ended <= deadline:
        return "ended"
    if now > deadline:
        return "breached"
    return "at_risk" if deadline - now <= RISK_WINDOW else "open"


def _row(regime: str, rule: str, deadline: datetime, done: datetime | None, verdict: str) -> dict[str, Any]:
    return {"regime": regime, "rule": rule, "deadline": deadline.isoformat(),
            "met_at": done.isoformat() if done else None, "verdict": verdict}


def evaluate(complaint: Complaint, now: datetime, tz: tzinfo) -> list[dict[str, Any]]:
    """Every regime's verdict for one complaint as of `now`."""
    received = complaint.received_at
    ended = _first(complaint, "withdrawn")
    answered = _first(complaint, "feedback", "closed")
    closed = _first(complaint, "closed")
    rows = []

    day_end = _end_of_day(received, 0, tz)
    steps = [_first(complaint, step) for step in SAME_DAY_STEPS]
    last = None if any(s is None for s in steps) else max(s for s in steps if s is not None)
    rows.append(_row("same_day", "accept, assign, contact, handle and reply on the day received",
                     day_end, last, _verdict(last, day_end, now, ended)))

    cbirc = _end_of_day(received, 15, tz)
    rows.append(_row("cbirc", "decide and tell the complainant within 15 days", cbirc, answered,
                     _verdict(answered, cbirc, now, ended)))

    cfpb_first, cfpb_final = _end_of_day(received, 15, tz), _end_of_day(received, 60, tz)
    rows.append(_row("cfpb", "respond within 15 calendar days", cfpb_first, answered,
                     _verdict(answered, cfpb_first, now, ended)))
    rows.append(_row("cfpb_final", "final response within 60 days", cfpb_final, closed,
                     _verdict(closed, cfpb_final, now, ended)))

    fca = _end_of_day(received, 56, tz)
    rows.append(_row("fca", "final response within 8 weeks", fca, closed, _verdict(closed, fca, now, ended)))
    return rows
