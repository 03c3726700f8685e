"""Hot issues as a service: detect threshold crossings, run the ledgers (see `domain.hot_issues`)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.application import ComplaintLog
from domain.hot_issues import HotIssueRules, HotIssues, as_of, crossings, moved_between
from domain.orgchart import OrgChart
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import queries

RULES = Path(__file__).resolve().parent / "policies" / "hot_issues.toml"


def rules(path: Path = RULES) -> HotIssueRules:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return HotIssueRules(window_days=int(data["window_days"]), category_threshold=int(data["category_threshold"]),
                         outlet_threshold=int(data["outlet_threshold"]), overdue_points=int(data["overdue_points"]),
                         ledger=tuple((i["title"], int(i["due_days"])) for i in data.get("ledger", [])))


def register(log: ComplaintLog, recorded_by: datetime | None = None) -> HotIssues:
    """The hot issues and their ledgers; with `recorded_by`, as they stood then (their events recorded by it)."""
    if recorded_by is not None:
        then: HotIssues | None = None
        events: list[Any] = list(log.events.get(HotIssues.create_id()))
        for event in events:
            if event.timestamp > recorded_by:
                break
            then = event.mutate(then)
        return then or HotIssues()
    try:
        found: HotIssues = log.repository.get(HotIssues.create_id())
        return found
    except AggregateNotFoundError:
        return HotIssues()


def executive(chart: OrgChart, outlet: str, on: date, kind: str) -> tuple[str, str | None]:
    """Who owns the case (包案高管) and which unit answers for its ledger."""
    responsible = chart.responsible(outlet, on)
    if kind == "outlet":
        people = responsible["supervising_vp"] or responsible["president"] or responsible["head"]
        return (people[0] if people else "unassigned"), outlet
    people = responsible["president"] or responsible["supervising_vp"]
    return (people[0] if people else "unassigned"), chart.ancestor_of_kind(outlet, "branch")


def detect(settings: Settings, policy: HotIssueRules | None = None) -> list[str]:
    """Open a hot issue (with its ledger) for each crossing not covered by an issue open at the time."""
    policy = policy or rules()
    log, store = open_log(settings), open_read_models(settings)
    try:
        catch_up(settings, store=store, log=log)
        facts = list(queries.all_facts(store))
        chart = queries.org_chart(store)
    finally:
        store.close()
    hot = register(log)
    opened = []
    for crossing in crossings(facts, policy):
        if crossing.issue_id in hot.issues or hot.covering(crossing.kind, crossing.subject, crossing.at):
            continue
        day = crossing.at.astimezone(settings.tz).date()
        owner, unit = executive(chart, crossing.outlet, day, crossing.kind)
        threshold = policy.category_threshold if crossing.kind == "category" else policy.outlet_threshold
        hot.open(crossing.issue_id, crossing.kind, crossing.subject, crossing.at, owner, unit,
                 list(crossing.customers), list(crossing.complaints),
                 f"{threshold} complaints on {crossing.kind} {crossing.subject} within {policy.window_days} days")
        for n, (title, due_days) in enumerate(policy.ledger, start=1):
            hot.add_item(crossing.issue_id, f"{n}", title, owner, day + timedelta(days=due_days), unit)
        opened.append(crossing.issue_id)
    if opened:
        log.save(hot)
    return opened


def issues(settings: Settings) -> list[dict[str, Any]]:
    return issues_of(open_log(settings), datetime.now(settings.tz).date())


def issues_of(log: ComplaintLog, today: date) -> list[dict[str, Any]]:
    """Every hot issue with its ledger, and how many items are open and overdue `today`."""
    hot = register(log)
    rows = []
    for issue in hot.issues.values():
        items = list(issue["items"].values())
        rows.append({**{k: v for k, v in issue.items() if k != "items"},
                     "items": items, "items_open": sum(1 for i in items if i["closed_at"] is None),
                     "items_overdue": sum(1 for i in items if i["closed_at"] is None and i["due"] < today)})
    return sorted(rows, key=lambda r: r["opened_at"])


def issues_in(issues: Iterable[dict[str, Any]], start: datetime, end: datetime, tz: tzinfo,
              ) -> list[dict[str, Any]]:
    """The hot issues of the period [start, end) for a report: those opened, progressed or closed in it, and
    those still open at its end with items overdue then; each with its ledger as it stood at the end and
    overdue counted against the end (not today). `in_month` says what happened in the period."""
    rows = []
    last = end - timedelta(microseconds=1)
    for issue in issues:
        then = as_of(issue, last)
        if then is None:
            continue
        items = list(then["items"].values())
        late = [i for i in items if i["closed_at"] is None and i["due"] < end.astimezone(tz).date()]
        moved = moved_between(issue, start, end)
        if not moved and (then["closed_at"] is not None or not late):
            continue
        rows.append({**{k: v for k, v in then.items() if k != "items"}, "items": items,
                     "in_month": moved or ["carried"], "items_closed": sum(1 for i in items if i["closed_at"]),
                     "items_open": sum(1 for i in items if i["closed_at"] is None), "items_overdue": len(late)})
    return sorted(rows, key=lambda r: r["opened_at"])
