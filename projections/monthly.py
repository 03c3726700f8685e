"""The figures of the monthly analysis of all work orders (全量工单月度分析) for one unit's subtree."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo
from typing import Any

from domain.periods import Period
from domain.policy import Policy
from domain.sla import SlaRules, evaluate
from projections import queries, scores
from projections.leaderboard import Lists, ranked
from projections.store import ReadModelStore


def figures(store: ReadModelStore, period: Period, unit: str, tz: tzinfo, now: datetime, policy: Policy,
            rules: SlaRules | None, hot_issues: list[dict[str, Any]], size: str | int | None = None,
            ) -> dict[str, Any]:
    """The report's figures; its red/black lists are `leaderboard --within UNIT --level outlet`'s (the
    policy's N and ties, or `size`)."""
    chart = queries.org_chart(store)
    if unit not in chart.units:
        raise LookupError(f"no unit {unit} in the organisation")
    outlets = [u for u, d in chart.units.items() if d.get("kind") == "outlet" and (u == unit or unit in
                                                                                  chart.ancestors(u))]
    inside = set(outlets)
    received = [f for f in queries.facts_received_in(store, period) if f.outlet in inside]
    breaches: Counter[str] = Counter()
    for f in received:
        for row in evaluate(f, now, tz, rules):
            if row["verdict"] == "breached":
                breaches[row["regime"]] += 1
    trend = [t for t in queries.indicator_trend(store, outlets) if t["month"] <= period.months[-1]][-12:]
    rows = ranked(queries.ranked_lines(store, period, "outlet", period.previous),
                  Lists.of(policy, period, "outlet", size), "outlet", inside)
    found, corrections = scores.entries(store, period, policy, tz, now, rules)
    in_scope = [e for e in found if e.rule.startswith("fine.") and (e.detail.get("outlet") in inside)]
    people = scores.person_rows(in_scope, [], queries.people(store))
    issues = [i for i in hot_issues if i["unit"] in inside or i["unit"] == unit or i["unit"] in chart.ancestors(unit)
              or i["subject"] in inside]
    return {
        "unit": unit, "unit_name": chart.units[unit].get("name") or unit, "period": str(period),
        "totals": {"work_orders": len(received), "complaints": sum(1 for f in received if f.is_complaint),
                   "regulator_transferred": sum(1 for f in received if f.regulator_transferred),
                   "effective": sum(1 for f in received if f.is_complaint and f.effective)},
        "by_channel": Counter(f.channel for f in received).most_common(),
        "by_category": Counter(f.category or "-" for f in received).most_common(10),
        "trend": trend, "red": [r for r in rows if r["list"] == "red"],
        "black": [r for r in rows if r["list"] == "black"], "list_note": rows[0]["list_note"] if rows else "",
        "sla_breaches": sorted(breaches.items()),
        "hot_issues": issues, "people": people, "corrections": len(corrections),
    }
