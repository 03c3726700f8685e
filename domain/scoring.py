"""Fines and points from a complaint's facts, the organisation's history and a policy. Pure: no I/O.

Every entry names its rule, the policy version and the action ids that produced it, so HR and audit
can trace each yuan and each point back to the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from domain.facts import ComplaintFacts
from domain.orgchart import OrgChart
from domain.policy import Policy, PolicyVersion

REGULATORS = ("pboc", "nfra")
PERSON_RULES = ("fine.", "reward.person", "accountability.person")  # entries whose subject is a person
FINE_RULES = ("fine.", "accountability.person")  # entries whose amount is a fine (the rest: rewards)


def for_person(entry: Entry) -> bool:
    return entry.rule.startswith(PERSON_RULES)


@dataclass(frozen=True)
class Entry:
    subject: str  # a person id, or an outlet id for unit points
    rule: str
    policy_version: str
    complaint_id: str | None
    amount: Decimal  # yuan; 0 for point-only entries
    points: int | Decimal  # a Decimal where a share divides them (a department's), to the cent
    events: tuple[str, ...]
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "policy_version": self.policy_version, "complaint_id": self.complaint_id,
                "amount": str(self.amount), "points": number(self.points), "events": list(self.events),
                **self.detail}


def number(points: int | Decimal) -> int | float:
    """Points as JSON shows them: a whole number as an int (as they always were), a share's to the cent."""
    whole = int(points)
    return whole if whole == points else float(Decimal(points).quantize(Decimal("0.01")))


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


@dataclass(frozen=True)
class Liability:
    """What an effective complaint makes someone answer for, before any policy or org chart is applied:
    small enough to keep per complaint version, so a period's scores need not re-read every history."""

    complaint_id: str
    outlet: str
    received_at: datetime
    validated_at: datetime  # the standing validation's time: picks the policy version
    tier: str
    decided_by: str
    events: tuple[str, ...]  # the receipt, the standing validation, any aggravating actions
    handler: str | None = None  # whose error it is for accountability (the assignee, else the first responder)
    shares: dict[str, str] | None = None  # the departments involved and their shares, if assigned
    shares_event: str | None = None  # the responsibility_assigned action behind `shares`

    def as_json(self) -> dict[str, Any]:
        return {"complaint_id": self.complaint_id, "outlet": self.outlet, "received_at": self.received_at.isoformat(),
                "validated_at": self.validated_at.isoformat(), "tier": self.tier, "decided_by": self.decided_by,
                "events": list(self.events), "handler": self.handler, "shares": self.shares,
                "shares_event": self.shares_event}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Liability:
        return cls(data["complaint_id"], data["outlet"], datetime.fromisoformat(data["received_at"]),
                   datetime.fromisoformat(data["validated_at"]), data["tier"], data["decided_by"],
                   tuple(data["events"]), data.get("handler"), data.get("shares"), data.get("shares_event"))


def liability(facts: ComplaintFacts) -> Liability | None:
    """The complaint's liability if it stands validated effective; None otherwise."""
    found = tier(facts)
    standing = facts.standing_validation
    if found is None or standing is None:
        return None
    level, deciding = found
    shares = facts.standing_shares
    return Liability(facts.complaint_id, facts.outlet, facts.received_at, standing[1]["at"], level,
                     standing[1]["fields"]["decided_by"], (received_id(facts), *deciding), facts.handler,
                     shares[1] if shares else None, shares[0] if shares else None)


def complaint_entries(facts: ComplaintFacts, chart: OrgChart, policy: Policy, tz: tzinfo) -> list[Entry]:
    """The fines and points one effective complaint gives: each responsible person once, and its outlet."""
    found = liability(facts)
    return [] if found is None else liability_entries(found, chart, policy, tz)


def liability_entries(owed: Liability, chart: OrgChart, policy: Policy, tz: tzinfo) -> list[Entry]:
    """Each person responsible at receipt once (highest tier only: a complaint has one tier), and the outlet."""
    version = policy.on(owed.validated_at.astimezone(tz).date())
    received_day = owed.received_at.astimezone(tz).date()
    responsible = chart.responsible(owed.outlet, received_day)
    roles_of: dict[str, list[str]] = {}
    for role in version.roles:
        for person in responsible.get(role, []):
            roles_of.setdefault(person, []).append(role)
    level = owed.tier
    detail = {"outlet": owed.outlet, "tier": level, "decided_by": owed.decided_by,
              "received_on": received_day.isoformat()}
    entries = [Entry(person, f"fine.{level}", version.id, owed.complaint_id, version.fines[level],
                     version.person_points[level], owed.events, dict(detail, roles=roles))
               for person, roles in sorted(roles_of.items())]
    entries.append(Entry(owed.outlet, f"outlet.effective.{level}", version.id, owed.complaint_id, Decimal("0"),
                         version.outlet_points[level], owed.events, detail))
    return entries + department_entries(owed, version)


def department_entries(owed: Liability, version: PolicyVersion) -> list[Entry]:
    """Each department involved: its share of the tier's department points, to the cent (对口部门考核分)."""
    whole = version.assessment.departments.get(owed.tier)
    if whole is None or not owed.shares or owed.shares_event is None:
        return []
    events = (*owed.events, owed.shares_event)
    return [Entry(department, f"department.effective.{owed.tier}", version.id, owed.complaint_id, Decimal("0"),
                  (whole * Decimal(share)).quantize(Decimal("0.01")), events,
                  {"outlet": owed.outlet, "tier": owed.tier, "decided_by": owed.decided_by, "share": share,
                   "points_of_complaint": number(whole)})
            for department, share in sorted(owed.shares.items())]


def sla_breach_entry(complaint_id: str, outlet: str, version: PolicyVersion, breached: list[str],
                     events: tuple[str, ...]) -> Entry | None:
    regimes = [r for r in breached if r in version.sla_regimes]
    if not regimes:
        return None
    return Entry(outlet, "outlet.sla_breach", version.id, complaint_id, Decimal("0"),
                 version.sla_breach * len(regimes), events, {"regimes": regimes})


def no_complaints_entry(outlet: str, quarter: str, version: PolicyVersion) -> Entry:
    return Entry(outlet, "outlet.no_complaints_bonus", version.id, None, Decimal("0"),
                 version.no_complaints_bonus, (), {"quarter": quarter})


def annulments(facts: ComplaintFacts) -> list[dict[str, Any]]:
    """Every annulment of a validation, compensation or public-opinion report: the corrected action
    stays in history; the scores no longer count it."""
    out = []
    for action_id, entry in facts.history.items():
        if entry["action"] != "annulled":
            continue
        target_id = entry["fields"]["target_action_id"]
        target = facts.history.get(target_id)
        if target is None or target["action"] not in ("validated", "compensated", "public_opinion"):
            continue
        out.append({"complaint_id": facts.complaint_id, "annulment": action_id, "annulled": target_id,
                    "annulled_action": target["action"], "reason": entry["fields"].get("reason"),
                    "at": entry["at"], "annulled_at": target["at"]})
    return out


def corrections_in(found: Iterable[dict[str, Any]], tz: tzinfo, start: datetime, end: datetime,
                   ) -> list[dict[str, Any]]:
    """The annulments that concern [start, end): the annulled action or the annulment happened in it."""
    return [{k: v for k, v in item.items() if k != "annulled_at"} | {"at": item["at"].astimezone(tz).isoformat()}
            for item in found if start <= item["annulled_at"] < end or start <= item["at"] < end]


def correction(facts: ComplaintFacts, tz: tzinfo, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Annulments of a validation, compensation or public-opinion report that concern [start, end)."""
    return corrections_in(annulments(facts), tz, start, end)


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
