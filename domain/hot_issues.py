"""Hot issues (热点问题): complaints that cluster on one category or outlet, run as remediation projects.

One `HotIssues` register holds every issue, its owning executive (包案高管), the named list of affected
customers (一户一册) and its remediation ledger (整改台账) of items with owners, due dates and closing
evidence. Every step is an event; an issue closes only when every item is closed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError
from domain.facts import ComplaintFacts

REGISTER_ID = uuid5(NAMESPACE_URL, "plaintrail:hot-issues")


class HotIssueRefused(DomainError):
    pass


@dataclass(frozen=True)
class HotIssueRules:
    window_days: int = 30
    category_threshold: int = 25
    outlet_threshold: int = 8
    overdue_points: int = -2
    ledger: tuple[tuple[str, int], ...] = (("Root-cause analysis 溯源分析", 10),
                                           ("Call back every customer on the list 一户一册回访", 20),
                                           ("Fix the process and train staff 整改与培训", 45))


@dataclass(frozen=True)
class Crossing:
    kind: str  # "category" or "outlet"
    subject: str
    at: datetime  # when the complaint that crossed the threshold was received
    complaints: tuple[str, ...]
    customers: tuple[str, ...]
    outlet: str  # where most of them were received (whose executives own the issue)

    @property
    def issue_id(self) -> str:
        return f"HI-{self.kind[:3].upper()}-{uuid5(NAMESPACE_URL, f'{self.kind}|{self.subject}|{self.at}').hex[:8]}"


def crossings(facts: Iterable[ComplaintFacts], rules: HotIssueRules) -> list[Crossing]:
    """Every moment a category's or an outlet's complaints in the rolling window reach the threshold."""
    window = timedelta(days=rules.window_days)
    recent: dict[tuple[str, str], deque[ComplaintFacts]] = {}
    found = []
    for f in sorted((f for f in facts if f.is_complaint), key=lambda f: (f.received_at, f.complaint_id)):
        for kind, subject, threshold in (("category", f.category, rules.category_threshold),
                                         ("outlet", f.outlet, rules.outlet_threshold)):
            if not subject:
                continue
            queue = recent.setdefault((kind, subject), deque())
            queue.append(f)
            while queue and queue[0].received_at < f.received_at - window:
                queue.popleft()
            if len(queue) == threshold:
                outlets = [q.outlet for q in queue]
                found.append(Crossing(kind, subject, f.received_at, tuple(q.complaint_id for q in queue),
                                      tuple(sorted({q.customer_ref for q in queue if q.customer_ref})),
                                      max(set(outlets), key=outlets.count)))
    return found


class HotIssues(Aggregate):
    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return REGISTER_ID

    @event("Founded")
    def __init__(self) -> None:
        self.issues: dict[str, dict[str, Any]] = {}

    # -- commands, each checking its rule before the event ----------------------------------------

    def open(self, issue_id: str, kind: str, subject: str, at: datetime, executive: str, unit: str | None,
             customers: list[str], complaints: list[str], reason: str) -> None:
        if issue_id in self.issues:
            raise HotIssueRefused(f"hot issue {issue_id} is already open")
        self._opened(issue_id, kind, subject, at, executive, unit, customers, complaints, reason)

    def add_item(self, issue_id: str, item_id: str, title: str, owner: str, due: date, unit: str | None) -> None:
        issue = self.check_open(issue_id)
        if item_id in issue["items"]:
            raise HotIssueRefused(f"{issue_id}: item {item_id} exists")
        self._item_added(issue_id, item_id, title, owner, due, unit)

    def close_item(self, issue_id: str, item_id: str, at: datetime, evidence: str) -> None:
        item = self.check_item(issue_id, item_id)
        if item["closed_at"] is not None:
            raise HotIssueRefused(f"{issue_id}: item {item_id} is already closed")
        if not evidence.strip():
            raise HotIssueRefused(f"{issue_id}: closing item {item_id} needs evidence")
        self._item_closed(issue_id, item_id, at, evidence)

    def reopen_item(self, issue_id: str, item_id: str, at: datetime, reason: str) -> None:
        item = self.check_item(issue_id, item_id)
        if item["closed_at"] is None:
            raise HotIssueRefused(f"{issue_id}: item {item_id} is not closed")
        self._item_reopened(issue_id, item_id, at, reason)

    def close(self, issue_id: str, at: datetime) -> None:
        issue = self.check_open(issue_id)
        still_open = [i for i, item in issue["items"].items() if item["closed_at"] is None]
        if still_open:
            raise HotIssueRefused(f"{issue_id} cannot close: items {', '.join(still_open)} are still open")
        self._closed(issue_id, at)

    def check_open(self, issue_id: str) -> dict[str, Any]:
        issue = self.issues.get(issue_id)
        if issue is None:
            raise HotIssueRefused(f"no hot issue {issue_id}")
        if issue["closed_at"] is not None:
            raise HotIssueRefused(f"hot issue {issue_id} is closed")
        return issue

    def check_item(self, issue_id: str, item_id: str) -> dict[str, Any]:
        item = self.check_open(issue_id)["items"].get(item_id)
        if item is None:
            raise HotIssueRefused(f"{issue_id}: no item {item_id}")
        return item

    def covering(self, kind: str, subject: str, at: datetime) -> str | None:
        """The issue about this subject that was open at `at`, if any."""
        for issue_id, issue in self.issues.items():
            if issue["kind"] == kind and issue["subject"] == subject and issue["opened_at"] <= at and (
                    issue["closed_at"] is None or at <= issue["closed_at"]):
                return issue_id
        return None

    # -- events -------------------------------------------------------------------------------------

    @event("Opened")
    def _opened(self, issue_id: str, kind: str, subject: str, at: datetime, executive: str, unit: str | None,
                customers: list[str], complaints: list[str], reason: str) -> None:
        self.issues[issue_id] = {"issue_id": issue_id, "kind": kind, "subject": subject, "opened_at": at,
                                 "executive": executive, "unit": unit, "customers": list(customers),
                                 "complaints": list(complaints), "reason": reason, "items": {}, "closed_at": None}

    @event("ItemAdded")
    def _item_added(self, issue_id: str, item_id: str, title: str, owner: str, due: date, unit: str | None) -> None:
        self.issues[issue_id]["items"][item_id] = {"item_id": item_id, "title": title, "owner": owner, "due": due,
                                                   "unit": unit, "closed_at": None, "evidence": None, "history": []}

    @event("ItemClosed")
    def _item_closed(self, issue_id: str, item_id: str, at: datetime, evidence: str) -> None:
        item = self.issues[issue_id]["items"][item_id]
        item.update(closed_at=at, evidence=evidence)
        item["history"].append(("closed", at.isoformat(), evidence))

    @event("ItemReopened")
    def _item_reopened(self, issue_id: str, item_id: str, at: datetime, reason: str) -> None:
        item = self.issues[issue_id]["items"][item_id]
        item.update(closed_at=None, evidence=None)
        item["history"].append(("reopened", at.isoformat(), reason))

    @event("Closed")
    def _closed(self, issue_id: str, at: datetime) -> None:
        self.issues[issue_id]["closed_at"] = at


def overdue(issue: dict[str, Any], on: date) -> list[dict[str, Any]]:
    """Items past their due date on `on` and not closed by then."""
    return [item for item in issue["items"].values()
            if item["due"] < on and (item["closed_at"] is None or item["closed_at"].date() > item["due"])]


def as_of(issue: dict[str, Any], moment: datetime) -> dict[str, Any] | None:
    """The issue and its ledger as they stood at `moment` (None if not yet opened): each item closed or not
    by its own history, the issue closed only if closed by then. Items keep `closed_at` as of then."""
    if issue["opened_at"] > moment:
        return None
    items = {}
    for item_id, item in issue["items"].items():
        closed_at = None
        for step in item.get("history", []):
            what, at = step[0], datetime.fromisoformat(step[1])
            if at <= moment:
                closed_at = at if what == "closed" else None
        items[item_id] = dict(item, closed_at=closed_at)
    closed = issue["closed_at"] if issue["closed_at"] is not None and issue["closed_at"] <= moment else None
    return dict(issue, items=items, closed_at=closed)


def moved_between(issue: dict[str, Any], start: datetime, end: datetime) -> list[str]:
    """What happened to the issue in [start, end): 'opened', 'progressed' (an item closed or reopened), 'closed'."""
    moved = []
    if start <= issue["opened_at"] < end:
        moved.append("opened")
    if any(start <= datetime.fromisoformat(step[1]) < end for item in issue["items"].values()
           for step in item.get("history", [])):
        moved.append("progressed")
    if issue["closed_at"] is not None and start <= issue["closed_at"] < end:
        moved.append("issue_closed")
    return moved
