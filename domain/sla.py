"""SLA regimes: each turns a complaint's history into its own verdict, all of them at once.

Verdicts: `on_time` (met by the deadline), `breached` (missed, or met late), `at_risk` (open and due
within two days), `open` (open, deadline further ahead), `paused` (the clock is stopped: an external
appraisal under CBIRC), `ended` (withdrawn before the deadline: handling ends that day), and
`not_applicable` (a rule that applies only to some complaints). Each row says whether its days are
calendar or business days; a deadline is the end of its last day in the bank's time zone.

A reopening does not restart a clock (the regulators' rule): the complaint is answered on time or late
when it is first answered, and a breach that happened stays one. Only a repeat with new facts starts a
new clock, and it is recorded as a new complaint (its own `received`), which has its own deadlines.

`servicenow` is an IT-service regime for the real ServiceNow log: a resolution target in hours by the
incident's priority (kept as the `priority` source fact of its receipt); complaints without one do not
get the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from domain.calendar import Calendar


class Complaint(Protocol):
    """What a regime reads of a complaint: the aggregate and the read side's facts both have it."""

    received_at: datetime
    category: str
    history: dict[str, dict[str, Any]]
    annulled: set[str]


SAME_DAY_STEPS = ("received", "assigned", "contacted", "handled", "feedback")
RISK_WINDOW = timedelta(days=2)
ANSWERS = ("feedback", "closed")


@dataclass(frozen=True)
class SlaRules:
    cbirc_days: int = 15
    cbirc_max_days: int = 60  # 15, extended to 30, and with approval by a further 30
    cbirc_unit: str = "calendar"  # or "business" (the bank's calendar)
    cfpb_days: int = 15
    cfpb_final_days: int = 60
    fca_weeks: int = 8
    fca_summary_business_days: int = 3
    fca_payment_business_days: int = 15
    # ServiceNow resolution targets in calendar hours, by the priority's leading digit (1 - Critical ... 4 - Low)
    servicenow_hours: tuple[tuple[str, int], ...] = (("1", 4), ("2", 8), ("3", 72), ("4", 120))
    bank_calendar: Calendar = field(default_factory=Calendar)
    uk_calendar: Calendar = field(default_factory=lambda: Calendar("uk"))
    # The regimes the bank applies (its policy's choice); None: all of them. A family name covers its
    # variants: "cfpb" keeps cfpb_final, "fca" keeps fca_summary and fca_payments.
    regimes: tuple[str, ...] | None = None

    def applies(self, regime: str) -> bool:
        return self.regimes is None or regime in self.regimes or regime.split("_")[0] in self.regimes


def _end(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=tz)


def _plus(day: date, days: int) -> date:
    """`days` after `day`, or the calendar's last day: a deadline past 9999 is never reached."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max


Times = dict[str, list[datetime]]  # action -> when each live (not annulled) one happened, in time order


def _times(complaint: Complaint) -> Times:
    times: Times = {}
    for action_id, entry in complaint.history.items():
        if action_id not in complaint.annulled:
            times.setdefault(entry["action"], []).append(entry["at"])
    for moments in times.values():
        moments.sort()
    return times


def _live(times: Times, *actions: str, after: datetime | None = None) -> list[datetime]:
    found = [t for a in actions for t in times.get(a, ()) if after is None or t >= after]
    return sorted(found) if len(actions) > 1 else found


def _first(times: Times, *actions: str, after: datetime | None = None) -> datetime | None:
    found = _live(times, *actions, after=after)
    return found[0] if found else None


def _verdict(done: datetime | None, deadline: datetime, now: datetime, ended: datetime | None) -> str:
    if done is not None:
        return "on_time" if done <= deadline else "breached"
    if ended is not None and ended <= deadline:
        return "ended"
    if now > deadline:
        return "breached"
    return "at_risk" if deadline - now <= RISK_WINDOW else "open"


def _row(regime: str, rule: str, unit: str, deadline: datetime | None, done: datetime | None, verdict: str,
         **extra: Any) -> dict[str, Any]:
    return {"regime": regime, "rule": rule, "unit": unit, "deadline": deadline.isoformat() if deadline else None,
            "met_at": done.isoformat() if done else None, "verdict": verdict, **extra}


def _paused(times: Times, start: datetime, now: datetime, tz: tzinfo) -> tuple[int, bool]:
    """Whole days of external appraisal since `start` (they do not count), and whether one is running."""
    starts = _live(times, "appraisal_started", after=start)
    ends = _live(times, "appraisal_ended", after=start)
    days, running = 0, False
    for begun in starts:
        finished = next((e for e in ends if e >= begun), None)
        stop = finished or now
        running = running or finished is None
        days += max(0, (stop.astimezone(tz).date() - begun.astimezone(tz).date()).days)
    return days, running


def _cbirc(complaint: Complaint, times: Times, start: datetime, now: datetime, tz: tzinfo, rules: SlaRules,
           ended: datetime | None) -> dict[str, Any]:
    extensions = sum(int(h["fields"]["days"]) for a, h in complaint.history.items()
                     if h["action"] == "extended" and a not in complaint.annulled and h["at"] >= start)
    days = min(rules.cbirc_days + extensions, rules.cbirc_max_days)
    paused_days, running = _paused(times, start, now, tz)
    first_day = start.astimezone(tz).date()
    if rules.cbirc_unit == "business":
        last = rules.bank_calendar.add_business_days(first_day, days)
    else:
        last = _plus(first_day, days)
    deadline = _end(_plus(last, paused_days), tz)
    answered = _first(times, *ANSWERS, after=start)
    verdict = _verdict(answered, deadline, now, ended)
    if running and answered is None and verdict in ("open", "at_risk", "breached"):
        verdict = "paused"
    return _row("cbirc", f"decide and tell the complainant within {days} days (15, extendable to 60); "
                "external appraisal time does not count", rules.cbirc_unit, deadline, answered, verdict,
                extended_days=extensions, paused_days=paused_days)


PRIORITY_NAMES = {"1": "Critical", "2": "High", "3": "Moderate", "4": "Low"}


def _servicenow(complaint: Complaint, times: Times, now: datetime, tz: tzinfo, rules: SlaRules,
                ended: datetime | None) -> dict[str, Any] | None:
    """Resolution within the priority's hours, from receipt to the first resolution (`handled`).

    The latest priority recorded counts, from receipt (ServiceNow's own SLAs start retroactively)."""
    priority = ""
    for action_id, entry in complaint.history.items():
        source = entry["fields"].get("source") if action_id not in complaint.annulled else None
        if source and source.get("priority"):
            priority = str(source["priority"])[:1]
    hours = dict(rules.servicenow_hours).get(priority)
    if hours is None:
        return None
    deadline = (complaint.received_at + timedelta(hours=hours)).astimezone(tz)
    resolved = _first(times, "handled", "closed", after=complaint.received_at)
    return _row("servicenow", f"priority {priority} ({PRIORITY_NAMES.get(priority, '?')}): resolve within "
                f"{hours} hours", "hours", deadline, resolved, _verdict(resolved, deadline, now, ended))


def evaluate(complaint: Complaint, now: datetime, tz: tzinfo, rules: SlaRules | None = None) -> list[dict[str, Any]]:
    """Every regime's verdict for one complaint as of `now`. Clocks start at receipt; a reopening
    does not restart them (a repeat with new facts is a new complaint)."""
    rules = rules or SlaRules()
    received = complaint.received_at
    times = _times(complaint)
    start = received
    ended = _first(times, "withdrawn", after=start)
    answered = _first(times, *ANSWERS, after=start)
    closed = _first(times, "closed", after=start)
    day0 = start.astimezone(tz).date()
    rows = []

    day_end = _end(received.astimezone(tz).date(), tz)
    steps = [_first(times, step) for step in SAME_DAY_STEPS]
    last = None if any(s is None for s in steps) else max(s for s in steps if s is not None)
    rows.append(_row("same_day", "accept, assign, contact, handle and reply on the day received", "calendar",
                     day_end, last, _verdict(last, day_end, now, ended)))
    rows.append(_cbirc(complaint, times, start, now, tz, rules, ended))

    cfpb, cfpb_final = _end(_plus(day0, rules.cfpb_days), tz), _end(_plus(day0, rules.cfpb_final_days), tz)
    rows.append(_row("cfpb", f"respond within {rules.cfpb_days} calendar days", "calendar", cfpb, answered,
                     _verdict(answered, cfpb, now, ended)))
    rows.append(_row("cfpb_final", f"final response within {rules.cfpb_final_days} days", "calendar", cfpb_final,
                     closed, _verdict(closed, cfpb_final, now, ended)))

    uk = rules.uk_calendar
    fca = _end(_plus(day0, 7 * rules.fca_weeks), tz)
    rows.append(_row("fca", f"final response within {rules.fca_weeks} weeks", "calendar", fca, answered,
                     _verdict(answered, fca, now, ended)))
    summary = _end(uk.add_business_days(day0, rules.fca_summary_business_days), tz)
    resolved = _first(times, "handled", after=start)
    quick = resolved is not None and resolved <= summary
    rows.append(_row("fca_summary", "resolved by the close of the 3rd business day after receipt: a summary "
                     "resolution communication suffices", "business", summary, resolved if quick else None,
                     "on_time" if quick else "not_applicable"))
    if "pay" in (complaint.category or "").lower() or "支付" in (complaint.category or ""):
        psd = _end(uk.add_business_days(day0, rules.fca_payment_business_days), tz)
        rows.append(_row("fca_payments", f"payment services: final response within "
                         f"{rules.fca_payment_business_days} business days", "business", psd, answered,
                         _verdict(answered, psd, now, ended)))
    servicenow = _servicenow(complaint, times, now, tz, rules, ended)
    if servicenow is not None:
        rows.append(servicenow)
    return [row for row in rows if rules.applies(row["regime"])]
