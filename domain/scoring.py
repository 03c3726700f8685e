"""Fines and points from a complaint's facts, the organisation's history and a policy. Pure: no I/O.

Every entry names its rule, the policy version and the action ids that produced it, so HR and audit
can trace each yuan and each point back to the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, tzinfo
from decimal import Decimal
from typing import Any

from domain.facts import ComplaintFacts
from domain.orgchart import OrgChart
from domain.policy import Policy, PolicyVersion

REGULATORS = ("pboc", "nfra")


@dataclass(frozen=True)
class Entry:
    subject: str  # a person id, or an outlet id for unit points
    rule: str
    policy_version: str
    complaint_id: str | None
    amount: Decimal  # yuan; 0 for point-only entries
    points: int
    events: tuple[str, ...]
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "policy_version": self.policy_version, "complaint_id": self.complaint_id,
                "amount": str(self.amount), "points": self.points, "events": list(self.events), **self.detail}


def tier(facts: ComplaintFacts) -> tuple[str, list[str]] | None:
    """The fine tier of an effective complaint and the action ids that decide it; None if not effective."""
    standing = facts.standing_validation
    if standing is None or not standing[1]["fields"]["effective"] or not facts.is_complaint:
        return None
    validation_id, validation = standing
    aggravating = [a for a, h in facts.history.items() if a not in facts.annulled and (
        h["action"] == "public_opinion" or (h["action"] == "compensated" and Decimal(h["fields"]["amount"]) > 0))]
    if aggravating:
        return "aggravated", [validation_id, *aggravating]
    decided = validation["fields"]["decided_by"]
    return ("regulator" if decided in REGULATORS else "branch" if decided == "branch" else "hq"), [validation_id]


def received_id(facts: ComplaintFacts) -> str:
    return next(a for a, h in facts.history.items() if h["action"] == "received")


def complaint_entries(facts: ComplaintFacts, chart: OrgChart, policy: Policy, tz: tzinfo) -> list[Entry]:
    """The fines and points one effective complaint gives: each responsible person once, and its outlet."""
    found = tier(facts)
    if found is None:
        return []
    level, deciding = found
    standing = facts.standing_validation
    assert standing is not None
    version = policy.on(standing[1]["at"].astimezone(tz).date())
    received_day = facts.received_at.astimezone(tz).date()
    responsible = chart.responsible(facts.outlet, received_day)
    roles_of: dict[str, list[str]] = {}
    for role in version.roles:
        for person in responsible.get(role, []):
            roles_of.setdefault(person, []).append(role)
    events = (received_id(facts), *deciding)
    detail = {"outlet": facts.outlet, "tier": level,
              "decided_by": standing[1]["fields"]["decided_by"], "received_on": received_day.isoformat()}
    entries = [Entry(person, f"fine.{level}", version.id, facts.complaint_id, version.fines[level],
                     version.person_points[level], events, dict(detail, roles=roles))
               for person, roles in sorted(roles_of.items())]
    entries.append(Entry(facts.outlet, f"outlet.effective.{level}", version.id, facts.complaint_id, Decimal("0"),
                         version.outlet_points[level], events, detail))
    return entries


def sla_breach_entry(facts: ComplaintFacts, version: PolicyVersion, breached: list[str]) -> Entry | None:
    regimes = [r for r in breached if r in version.sla_regimes]
    if not regimes:
        return None
    return Entry(facts.outlet, "outlet.sla_breach", version.id, facts.complaint_id, Decimal("0"),
                 version.sla_breach * len(regimes), (received_id(facts),), {"regimes": regimes})


def no_complaints_entry(outlet: str, quarter: str, version: PolicyVersion) -> Entry:
    return Entry(outlet, "outlet.no_complaints_bonus", version.id, None, Decimal("0"),
                 version.no_complaints_bonus, (), {"quarter": quarter})


def correction(facts: ComplaintFacts, tz: tzinfo, start: Any, end: Any) -> list[dict[str, Any]]:
    """Annulments of a validation, compensation or public-opinion report that happened in [start, end):
    the corrected action stays in history; the scores no longer count it."""
    out = []
    for action_id, entry in facts.history.items():
        if entry["action"] != "annulled":
            continue
        target_id = entry["fields"]["target_action_id"]
        target = facts.history.get(target_id)
        if target is None or target["action"] not in ("validated", "compensated", "public_opinion"):
            continue
        if not (start <= target["at"] < end or start <= entry["at"] < end):
            continue
        out.append({"complaint_id": facts.complaint_id, "annulment": action_id, "annulled": target_id,
                    "annulled_action": target["action"], "reason": entry["fields"].get("reason"),
                    "at": entry["at"].astimezone(tz).isoformat()})
    return out


def overdue_entries(issues: Iterable[dict[str, Any]], first: date, last: date, points: int) -> list[Entry]:
    """Ledger items due in [first, last] and not closed by their due date cost their unit points."""
    found = []
    for issue in issues:
        for item in issue["items"].values():
            late = item["closed_at"] is None or item["closed_at"].date() > item["due"]
            if item["unit"] and first <= item["due"] <= last and late:
                found.append(Entry(item["unit"], "outlet.hot_issue_overdue", "hot_issues", None, Decimal("0"),
                                   points, (), {"hot_issue": issue["issue_id"], "item": item["item_id"],
                                                "title": item["title"], "due": item["due"].isoformat()}))
    return found
