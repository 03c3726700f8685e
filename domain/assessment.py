"""The assessment beyond the fines, pure: appeals on entries, rewards, and accountability notices.

Appeals and rewards are complaint actions, read from the complaint's facts; whether a decision counts, what
a reward is worth and when repeated errors raise a notice are the policy's (dated, versioned), applied here
on demand like the fines, so a what-if policy re-decides them all without touching the record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from domain.facts import ComplaintFacts
from domain.orgchart import OrgChart
from domain.policy import Policy
from domain.scoring import Entry, Liability


@dataclass(frozen=True)
class Appeal:
    complaint_id: str
    action_id: str
    subject: str
    rule: str
    reason: str
    filed_at: datetime
    filed_by: str | None
    decision: dict[str, Any] | None  # the standing decision: action_id, decision, by, at, reason, evidence
    outlet: str = ""  # where the complaint was received (who may see the appeal)

    def key(self) -> tuple[str, str, str]:
        return self.complaint_id, self.subject, self.rule


def appeals_of(facts: ComplaintFacts) -> list[Appeal]:
    """The complaint's standing appeals (not annulled), each with its standing decision if any."""
    decisions = {h["fields"]["appeal_action_id"]: dict(h["fields"], action_id=a, by=h["actor"], at=h["at"])
                 for a, h in facts.live("appeal_decided")}
    return [Appeal(facts.complaint_id, a, h["fields"]["subject"], h["fields"]["rule"], h["fields"]["reason"], h["at"],
                   h["actor"], decisions.get(a), facts.outlet) for a, h in facts.live("appealed")]


def holds_any(chart: OrgChart, person: str | None, roles: Iterable[str], on: date) -> bool:
    """Whether `person` held one of `roles` at any unit on `on`."""
    wanted = set(roles)
    return person is not None and any(
        r["person"] == person and r["role"] in wanted and r["start"] <= on and (r["end"] is None or on <= r["end"])
        for r in chart.roles.values())


def verdict(appeal: Appeal, chart: OrgChart, policy: Policy, tz: tzinfo) -> dict[str, Any]:
    """What the appeal stands at: `pending`, `upheld` or `overturned` (only by a role the policy in effect on
    the decision's day authorises: another's decision is shown and does not count), with its evidence."""
    shown: dict[str, Any] = {"appeal_id": appeal.action_id, "subject": appeal.subject, "rule": appeal.rule,
                             "reason": appeal.reason, "filed_at": appeal.filed_at.astimezone(tz).isoformat(),
                             "filed_by": appeal.filed_by, "decision": "pending"}
    decided = appeal.decision
    if decided is None:
        return shown
    day = decided["at"].astimezone(tz).date()
    version = policy.on(day)
    shown["decided"] = {"action_id": decided["action_id"], "decision": decided["decision"], "by": decided["by"],
                        "at": decided["at"].astimezone(tz).isoformat(), "reason": decided["reason"],
                        "evidence": decided.get("evidence", ""), "policy_version": version.id}
    if holds_any(chart, decided["by"], version.assessment.appeal_deciders, day):
        shown["decision"] = decided["decision"]
    else:
        shown["decided"]["not_counted"] = (f"{decided['by']} held none of the roles "
                                           f"{list(version.assessment.appeal_deciders)} on {day}")
    return shown


def apply_appeals(found: list[Entry], appeals: Iterable[Appeal], chart: OrgChart, policy: Policy, tz: tzinfo,
                  ) -> list[Entry]:
    """Every entry, those under appeal with the appeal's standing beside them (`appeal`, `appeal_decision`)."""
    by_key = {a.key(): a for a in appeals}
    if not by_key:
        return found
    out = []
    for entry in found:
        appeal = by_key.get((entry.complaint_id or "", entry.subject, entry.rule))
        if appeal is None:
            out.append(entry)
            continue
        shown = verdict(appeal, chart, policy, tz)
        out.append(replace(entry, detail=dict(entry.detail, appeal=shown, appeal_decision=shown["decision"])))
    return out


def overturned(entry: Entry) -> bool:
    """An entry an authorised decision overturned: it leaves the totals, and stays visible beside them."""
    return entry.detail.get("appeal_decision") == "overturned"


def appeal_deadline(appeal: Appeal, policy: Policy, tz: tzinfo) -> date | None:
    """The last day to decide (the policy in effect on the filing day), or None where it sets none."""
    day = appeal.filed_at.astimezone(tz).date()
    days = policy.on(day).assessment.appeal_days
    return day + timedelta(days=days) if days else None


def appeal_row(appeal: Appeal, chart: OrgChart, policy: Policy, tz: tzinfo, now: datetime) -> dict[str, Any]:
    """An appeal as the SLA watch shows it: due date and `on_time`, `breached`, `at_risk` (due within a day)
    or `open`."""
    shown = verdict(appeal, chart, policy, tz)
    due = appeal_deadline(appeal, policy, tz)
    decided = appeal.decision["at"].astimezone(tz).date() if appeal.decision else None
    today = now.astimezone(tz).date()
    if due is None:
        state = "not_applicable"
    elif decided is not None:
        state = "on_time" if decided <= due else "breached"
    else:
        state = "breached" if today > due else "at_risk" if today >= due - timedelta(days=1) else "open"
    return {"complaint_id": appeal.complaint_id, "outlet": appeal.outlet, "appeal_id": appeal.action_id,
            "subject": appeal.subject,
            "rule": appeal.rule, "filed_at": shown["filed_at"], "due": due.isoformat() if due else None,
            "decision": shown["decision"], "decided_at": (shown.get("decided") or {}).get("at"), "verdict": state}


# -- rewards -------------------------------------------------------------------------------------------


def reward_entries(facts: ComplaintFacts, policy: Policy, tz: tzinfo, units: set[str], start: datetime,
                   end: datetime) -> list[Entry]:
    """Rewards recorded in [start, end) on a complaint whose standing validation still says it was not the
    bank's fault (a later validation that says it was withdraws them): valued by the version of the day."""
    standing = facts.standing_validation
    if standing is None or standing[1]["fields"].get("bank_caused", True):
        return []
    out = []
    for action_id, h in facts.live("rewarded"):
        if not start <= h["at"] < end:
            continue
        version = policy.on(h["at"].astimezone(tz).date())
        rules = version.assessment
        recipient = h["fields"]["recipient"]
        unit = recipient in units
        detail = {"reason": h["fields"]["reason"], "rewarded_by": h["actor"], "outlet": facts.outlet,
                  "rewarded_on": h["at"].astimezone(tz).date().isoformat()}
        out.append(Entry(recipient, "reward.unit" if unit else "reward.person", version.id, facts.complaint_id,
                         Decimal("0.00") if unit else rules.reward_cny,
                         rules.reward_unit_points if unit else rules.reward_person_points,
                         (standing[0], action_id), detail))
    return out


# -- accountability (问责/通报) ---------------------------------------------------------------------------


def notices(errors: Iterable[Liability], policy: Policy, tz: tzinfo, start: datetime, end: datetime,
            ) -> list[Entry]:
    """Notices raised in [start, end): a handler's or an outlet's effective complaints counted in the window
    (policy: `errors` within `window_days`, by validation time) that ends at each of them; when the count
    reaches a multiple of `errors`, a notice names those complaints with their evidence, and the deduction.
    Only the window decides, so any period's notices come out the same whatever period is asked."""
    subjects: dict[tuple[str, str], list[Liability]] = defaultdict(list)
    for owed in errors:
        subjects[("outlet", owed.outlet)].append(owed)
        if owed.handler:
            subjects[("person", owed.handler)].append(owed)
    out = []
    for (kind, subject), mine in sorted(subjects.items()):
        mine.sort(key=lambda o: (o.validated_at, o.complaint_id))
        for index, owed in enumerate(mine):
            if not start <= owed.validated_at < end:
                continue
            version = policy.on(owed.validated_at.astimezone(tz).date())
            rules = version.assessment
            if not rules.repeat_errors:
                continue
            since = owed.validated_at - timedelta(days=rules.repeat_window_days)
            window = [o for o in mine[:index + 1] if o.validated_at > since]
            if len(window) % rules.repeat_errors:
                continue
            named = window[-rules.repeat_errors:]
            day = owed.validated_at.astimezone(tz).date()
            title = (f"通报 {kind} {subject}: {len(window)} effective complaints within {rules.repeat_window_days} "
                     f"days to {day}")
            detail = {"notice": title, "complaints": [o.complaint_id for o in named], "outlet": owed.outlet,
                      "window_days": rules.repeat_window_days, "errors": len(window)}
            events = tuple(e for o in named for e in o.events)
            person = kind == "person"
            out.append(Entry(subject, f"accountability.{kind if person else 'outlet'}", version.id,
                             owed.complaint_id, rules.repeat_cny if person else Decimal("0.00"),
                             rules.repeat_person_points if person else rules.repeat_outlet_points, events, detail))
    return out
