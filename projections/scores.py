"""Assessment scores for a period: fines and points per person and per outlet, with the evidence.

A fine falls in the period in which the complaint was validated effective; indicators and SLA breaches
in the period it was received; the no-complaint bonus per quarter. Scores are computed from the read
models and a policy on demand, so a what-if under another policy never touches anything recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from domain import assessment, scoring
from domain.facts import ComplaintFacts
from domain.periods import Period
from domain.policy import Policy
from domain.sla import SlaRules
from projections import liabilities, queries
from projections.bulk import few_collections
from projections.store import ReadModelStore


def quarters(period: Period) -> list[Period]:
    """The whole quarters inside a period (none in a month)."""
    if period.months_count < 3:
        return []
    return [Period(period.year, m, 3) for m in range(period.first_month, period.first_month + period.months_count, 3)]


def entries(store: ReadModelStore, period: Period, policy: Policy, tz: tzinfo, now: datetime,
            rules: SlaRules | None = None, hot_issues: Iterable[dict[str, Any]] = (), overdue_points: int = 0,
            outlets: bool = True) -> tuple[list[scoring.Entry], list[dict[str, Any]]]:
    """Every entry of the period, and the corrections (annulments) that changed it. Without `outlets`,
    only the people's entries (HR's view: no SLA verdicts or outlet bonuses to work out)."""
    with few_collections():
        return _entries(store, period, policy, tz, now, rules, hot_issues, overdue_points, outlets)


def _entries(store: ReadModelStore, period: Period, policy: Policy, tz: tzinfo, now: datetime,
             rules: SlaRules | None, hot_issues: Iterable[dict[str, Any]], overdue_points: int, outlets: bool,
             ) -> tuple[list[scoring.Entry], list[dict[str, Any]]]:
    chart = queries.org_chart(store)
    found: list[scoring.Entry] = []
    errors: list[scoring.Liability] = []  # effective complaints: the period's, and the window's before it
    counted = {regime for version in policy.versions for regime in version.sla_regimes}
    for known in liabilities.known(store, period, tz, now, rules, received=outlets):
        if known.liability is not None:
            errors.append(known.liability)
            found.extend(e for e in scoring.liability_entries(known.liability, chart, policy, tz)
                         if outlets or scoring.for_person(e))
        breached = _breached(known.verdicts)
        if outlets and counted.intersection(breached):
            version = policy.on(datetime.fromisoformat(known.received_at).astimezone(tz).date())
            entry = scoring.sla_breach_entry(known.complaint_id, known.outlet, version, breached,
                                             (orjson.loads(known.received_id),))
            if entry is not None:
                found.append(entry)
    for quarter in quarters(period) if outlets else ():
        counts = queries.period_indicators(store, quarter)
        version = policy.on(quarter.start(tz).date())
        found.extend(scoring.no_complaints_entry(o["unit"], str(quarter), version)
                     for o in queries.outlets(store) if counts.get(o["unit"], (0, 0, 0, 0))[1] == 0)
    start, end = period.start(tz), period.end(tz)
    if outlets:
        found.extend(scoring.overdue_entries(hot_issues, start.date(), (end - timedelta(days=1)).date(),
                                             overdue_points))
    assessed = queries.assessed_facts(store)
    found.extend(e for e in _assessed(store, assessed, policy, tz, start, end, errors, now, rules)
                 if outlets or scoring.for_person(e))
    found = assessment.apply_appeals(found, (a for facts in assessed for a in assessment.appeals_of(facts)),
                                     chart, policy, tz)
    corrections: list[dict[str, Any]] = []
    for outlet, received_at, found_here in liabilities.annulled(store, tz, end, rules):
        items = scoring.corrections_in(found_here, tz, start, end)
        if items:
            responsible = chart.responsible(outlet, received_at.astimezone(tz).date())
            people = sorted({p for r in policy.on(end.date()).roles for p in responsible[r]})
            corrections.extend(dict(item, outlet=outlet, people=people) for item in items)
    return found, corrections


def _assessed(store: ReadModelStore, assessed: list[ComplaintFacts], policy: Policy, tz: tzinfo, start: datetime,
              end: datetime, errors: list[scoring.Liability], now: datetime, rules: SlaRules | None,
              ) -> list[scoring.Entry]:
    """Rewards recorded in the period, and the accountability notices its effective complaints raise (the
    window before the period read too: a notice counts the errors of the window that ends at it)."""
    units = set(queries.unit_names(store)[0])
    found = [e for facts in assessed
             for e in assessment.reward_entries(facts, policy, tz, units, start, end)]
    window = notice_window(policy)
    if window:
        for month in window_months(start, window, tz):
            errors.extend(k.liability for k in liabilities.known(store, month, tz, now, rules, received=False)
                          if k.liability is not None)
        found.extend(assessment.notices(errors, policy, tz, start, end))
    return found


def notice_window(policy: Policy) -> int:
    """The longest repeat-error window of any version (days; 0 when no version counts repeated errors)."""
    return max((v.assessment.repeat_window_days for v in policy.versions if v.assessment.repeat_errors), default=0)


EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # a day into year 1: its month in any zone is 0001-01


def window_months(start: datetime, days: int, tz: tzinfo) -> list[Period]:
    """The months of the `days` before `start` (a month's start): a notice counts the errors of the window that
    ends at it. A window reaching back before year 1 starts there."""
    try:
        first = max(start - timedelta(days=days), EARLIEST)
    except OverflowError:
        first = EARLIEST
    return months_between(first, start, tz)


def months_between(first: datetime, end: datetime, tz: tzinfo) -> list[Period]:
    """The months from the one holding `first` up to the one before `end`'s (end exclusive, at a month's start)."""
    month = Period.month_of(first, tz)
    found = []
    while month.start(tz) < end:
        found.append(month)
        month = Period(month.year + month.first_month // 12, month.first_month % 12 + 1, 1)
    return found


@lru_cache(maxsize=4096)
def _breached(verdicts: str) -> list[str]:
    return [regime for regime, verdict in liabilities.verdicts_of(verdicts).items() if verdict == "breached"]


def person_rows(found: list[scoring.Entry], corrections: list[dict[str, Any]], names: dict[str, str],
                ) -> list[dict[str, Any]]:
    """A row per person: fines in yuan (decimal string), points, entries; and corrections that concern them."""
    by_person: dict[str, list[scoring.Entry]] = defaultdict(list)
    for entry in found:
        if scoring.for_person(entry):
            by_person[entry.subject].append(entry)
    touched: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in corrections:
        for person in item["people"]:
            touched[person].append({k: v for k, v in item.items() if k != "people"})
    rows = []
    for person in sorted(set(by_person) | set(touched)):
        both = sorted(by_person.get(person, []), key=lambda e: (e.complaint_id or "", e.rule))
        mine = [e for e in both if not assessment.overturned(e)]
        rows.append({"person": person, "name": names.get(person, ""),
                     "fines_cny": str(sum((e.amount for e in mine if e.rule.startswith(scoring.FINE_RULES)),
                                          Decimal("0.00"))),
                     "points": total(mine), "entries": [e.as_json() for e in mine],
                     "corrections": touched.get(person, []), **signs(mine),
                     "rewards_cny": str(sum((e.amount for e in mine if e.rule.startswith("reward.")),
                                            Decimal("0.00"))),
                     "overturned": [e.as_json() for e in both if assessment.overturned(e)]})
    return rows


def total(found: Iterable[scoring.Entry]) -> int | float:
    """The points of some entries, summed exactly, shown as the entries show theirs."""
    return scoring.number(sum((Decimal(e.points) for e in found), Decimal(0)))


def signs(found: list[scoring.Entry]) -> dict[str, int | float]:
    """The positive and the negative points apart (正负分): `points` is their sum."""
    return {"positive_points": total(e for e in found if e.points > 0),
            "negative_points": total(e for e in found if e.points < 0)}


def unit_rows(found: list[scoring.Entry], store: ReadModelStore) -> list[dict[str, Any]]:
    """A row per unit with points this period: outlets (bonuses, effective complaints, SLA breaches),
    departments (their shares), and units rewarded or named for repeated errors."""
    by_unit: dict[str, list[scoring.Entry]] = defaultdict(list)
    for entry in found:
        if not scoring.for_person(entry):
            by_unit[entry.subject].append(entry)
    names, kinds = queries.unit_names(store)
    rows = []
    for unit, both in sorted(by_unit.items()):
        both.sort(key=lambda e: (e.rule, e.complaint_id or ""))
        mine = [e for e in both if not assessment.overturned(e)]
        rows.append({"unit": unit, "name": names.get(unit, ""), "kind": kinds.get(unit, ""), "points": total(mine),
                     **signs(mine), "entries": [e.as_json() for e in mine],
                     "overturned": [e.as_json() for e in both if assessment.overturned(e)]})
    return rows


def with_quarters(rows: list[dict[str, Any]], by_quarter: dict[str, list[dict[str, Any]]], key: str = "person",
                  ) -> list[dict[str, Any]]:
    """The period's rows, each with `quarters`: {quarter: {fines_cny, points}} for every quarter inside (zero
    where the person had nothing), so a year's assessment shows its quarters beside the total."""
    found = {q: {r[key]: r for r in quarter_rows} for q, quarter_rows in by_quarter.items()}
    out = []
    for row in rows:
        parts = {}
        for q, there in found.items():
            mine = there.get(row[key])
            parts[q] = {"fines_cny": mine["fines_cny"] if mine and "fines_cny" in mine else "0.00",
                        "points": mine["points"] if mine else 0,
                        "positive_points": mine.get("positive_points", 0) if mine else 0,
                        "negative_points": mine.get("negative_points", 0) if mine else 0}
        out.append(dict(row, quarters=parts))
    return out


def graded(rows: list[dict[str, Any]], period: Period, policy: Policy, tz: tzinfo, key: str = "person",
           ) -> list[dict[str, Any]]:
    """Each row with its annual grade (年度考核等级) from the year's total points, by the bands of the version in
    effect on the year's last day; `grade` is null outside a year (a quarter is not graded)."""
    if period.months_count != 12:
        return [dict(r, grade=None) for r in rows]
    version = policy.on((period.end(tz) - timedelta(days=1)).date())
    bands = version.assessment.grades
    return [dict(r, grade=bands.of(Decimal(str(r["points"])), unit=key != "person"), grade_policy_version=version.id)
            for r in rows]


def diff(recorded: list[dict[str, Any]], whatif: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per person: the policy in force against another, side by side."""
    before, after = {r["person"]: r for r in recorded}, {r["person"]: r for r in whatif}
    rows = []
    for person in sorted(set(before) | set(after)):
        old, new = before.get(person), after.get(person)
        fines_old = Decimal(old["fines_cny"]) if old else Decimal("0.00")
        fines_new = Decimal(new["fines_cny"]) if new else Decimal("0.00")
        points_old, points_new = (old["points"] if old else 0), (new["points"] if new else 0)
        rows.append({"person": person, "name": (old or new or {}).get("name", ""),
                     "fines_cny": str(fines_old), "fines_cny_whatif": str(fines_new),
                     "fines_change_cny": str(fines_new - fines_old), "points": points_old,
                     "points_whatif": points_new,
                     "points_change": scoring.number(Decimal(str(points_new)) - Decimal(str(points_old))),
                     **({"grade": (old or {}).get("grade"), "grade_whatif": (new or {}).get("grade")}
                        if "grade" in (old or new or {}) else {})})
    return rows
