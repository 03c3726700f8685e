"""The figures of the monthly analysis of all work orders (全量工单月度分析) for one unit's subtree.

Everything is as of the period's end (`now` is capped there by the caller): SLA verdicts, hot-issue
ledgers and their overdue items, so a March report reads the same in March and in December.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from domain.periods import Period
from domain.policy import Policy
from domain.sla import SlaRules, evaluate
from projections import queries, scores, secondary
from projections.leaderboard import Lists, change_pct, ranked
from projections.store import ReadModelStore

CORE = ("work_orders", "complaints", "regulator_transferred")
COUNTS = (*CORE, "effective")
VERDICTS = ("on_time", "breached", "at_risk", "open", "paused", "ended")
BELOW = {"hq": "sub_branch", "branch": "sub_branch", "sub_branch": "outlet", "outlet": "outlet"}


def year_ago(period: Period) -> Period:
    return Period(period.year - 1, period.first_month, period.months_count)


def figures(store: ReadModelStore, period: Period, unit: str, tz: tzinfo, now: datetime, policy: Policy,
            rules: SlaRules | None, hot_issues: list[dict[str, Any]], size: str | int | None = None,
            repeat_days: int = 30) -> dict[str, Any]:
    """The report's figures; its red/black lists are `leaderboard --within UNIT --level outlet`'s (the
    policy's N and ties, or `size`); `hot_issues` are those of the period (`plaintrail.hot.issues_in`)."""
    chart = queries.org_chart(store)
    if unit not in chart.units:
        raise LookupError(f"no unit {unit} in the organisation")
    kind = chart.units[unit].get("kind") or "outlet"
    outlets = [u for u, d in chart.units.items() if d.get("kind") == "outlet" and (u == unit or unit in
                                                                                  chart.ancestors(u))]
    inside = set(outlets)
    names = queries.people(store)
    received = [f for f in queries.facts_received_in(store, period) if f.outlet in inside]
    monthly = {t["month"]: t for t in queries.indicator_trend(store, outlets)}

    def sums(each: Period) -> dict[str, int]:
        return {c: sum(monthly.get(m, {}).get(c, 0) for m in each.months) for c in COUNTS}

    now_sums, before, last_year = sums(period), sums(period.previous), sums(year_ago(period))
    headline = [{"indicator": c, "this_period": now_sums[c], "previous": before[c],
                 "mom_pct": change_pct(now_sums[c], before[c]), "year_ago": last_year[c],
                 "yoy_pct": change_pct(now_sums[c], last_year[c])} for c in COUNTS]
    lists = Lists.of(policy, period, "outlet", size)
    rows = ranked(queries.ranked_lines(store, period, "outlet", period.previous), lists, "outlet", inside)
    earlier = ranked(queries.ranked_lines(store, period.previous, "outlet", period.previous.previous),
                     Lists.of(policy, period.previous, "outlet", size), "outlet", inside)
    was_black = {r["unit"] for r in earlier if r["list"] == "black"}
    black = [r for r in rows if r["list"] == "black"]
    found, corrections = scores.entries(store, period, policy, tz, now, rules)
    in_scope = [e for e in found if e.rule.startswith("fine.") and (e.detail.get("outlet") in inside)]
    people = people_rows(scores.person_rows(in_scope, [], names))
    issues = [dict(i, executive_name=names.get(i["executive"], "")) for i in hot_issues
              if i["unit"] in inside or i["unit"] == unit or i["unit"] in chart.ancestors(unit)
              or i["subject"] in inside]
    trend = [t for t in monthly.values() if t["month"] <= period.months[-1]][-12:]
    return {
        "unit": unit, "unit_name": chart.units[unit].get("name") or unit, "unit_kind": kind,
        "bank_name": next((d.get("name") or u for u, d in chart.units.items() if d.get("kind") == "hq"), ""),
        "period": str(period), "previous_period": str(period.previous), "year_ago_period": str(year_ago(period)),
        "as_of": now.isoformat(), "totals": now_sums, "headline": headline,
        "by_channel": Counter(f.channel for f in received).most_common(),
        "by_category": Counter(f.category or "-" for f in received).most_common(10),
        "trend": trend, "breakdown_level": BELOW[kind],
        "breakdown": breakdown(store, period, unit, BELOW[kind], policy, inside),
        "red": [r for r in rows if r["list"] == "red"], "black": black,
        "new_black": [r for r in black if r["unit"] not in was_black],
        "list_note": rows[0]["list_note"] if rows else "",
        "sla": sla_rows(received, now, tz, rules),
        "sla_breaches": sla_breaches(received, now, tz, rules),
        "service": service(store, period, received, repeat_days),
        "service_by_unit": [dict(r, name=chart.units.get(r["unit"], {}).get("name") or "")
                            for r in secondary.indicators(store, period, BELOW[kind], repeat_days)
                            if r["unit"] in units_of(store, unit, BELOW[kind], inside)],
        "hot_issues": issues, "people": people, "people_totals": people_totals(people),
        "corrections": len(corrections),
    }


def units_of(store: ReadModelStore, unit: str, level: str, outlets: set[str]) -> set[str]:
    if level == "outlet":
        return outlets
    try:
        return queries.units_under(store, unit, level)
    except ValueError:
        return {unit}


def breakdown(store: ReadModelStore, period: Period, unit: str, level: str, policy: Policy, outlets: set[str],
              ) -> list[dict[str, Any]]:
    """The three core indicators per unit one level down: absolute, per 10k customers, and the rank of each
    rate among them (1 = fewest; equal rates share a rank), beside the list rule's overall rank."""
    inside = units_of(store, unit, level, outlets)
    rows = ranked(queries.ranked_lines(store, period, level, period.previous), Lists.of(policy, period, level),
                  level, inside)
    for c in CORE:
        rates = sorted({r[f"{c}_per_10k"] for r in rows if r[f"{c}_per_10k"] is not None})
        place = {rate: 1 + sum(1 for r in rows if r[f"{c}_per_10k"] is not None and r[f"{c}_per_10k"] < rate)
                 for rate in rates}
        for r in rows:
            r[f"{c}_rank"] = place.get(r[f"{c}_per_10k"])
    return rows


def sla_rows(received: list[Any], now: datetime, tz: tzinfo, rules: SlaRules | None) -> list[dict[str, Any]]:
    """Per regime the bank applies: the verdicts of the period's complaints as of `now`."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for f in received:
        if f.is_complaint:
            for row in evaluate(f, now, tz, rules):
                counts[row["regime"]][row["verdict"]] += 1
    out = []
    for regime, tally in counts.items():
        if set(tally) == {"not_applicable"}:
            continue
        decided = tally["on_time"] + tally["breached"]
        out.append({"regime": regime, **{v: tally[v] for v in VERDICTS},
                    "on_time_pct": round(tally["on_time"] * 100 / decided, 1) if decided else None})
    return out


def sla_breaches(received: list[Any], now: datetime, tz: tzinfo, rules: SlaRules | None) -> list[tuple[str, int]]:
    return [(r["regime"], r["breached"]) for r in sla_rows(received, now, tz, rules)]


def service(store: ReadModelStore, period: Period, received: list[Any], repeat_days: int) -> dict[str, Any]:
    """Callbacks, satisfaction, mediation and repeat complaints over the whole subtree."""
    seen = secondary.earlier_receipts(store, period, repeat_days)
    row: dict[str, Any] = defaultdict(int)
    for f in received:
        if f.is_complaint:
            row["complaints"] += 1
            secondary.add_facts(row, f, seen, timedelta(days=repeat_days))
    return secondary.summarise(row)


def people_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every fined person, most fined first, with the roles they were fined in and the complaints counted."""
    out = []
    for r in rows:
        roles = sorted({role for e in r["entries"] for role in e.get("roles", [])})
        out.append(dict(r, roles=roles, complaints=len({e["complaint_id"] for e in r["entries"]})))
    return sorted(out, key=lambda r: (-Decimal(r["fines_cny"]), r["points"], r["person"]))


def people_totals(people: list[dict[str, Any]]) -> dict[str, Any]:
    return {"people": len(people), "fines_cny": str(sum((Decimal(p["fines_cny"]) for p in people), Decimal("0.00"))),
            "points": sum(p["points"] for p in people), "complaints": len({e["complaint_id"] for p in people
                                                                          for e in p["entries"]})}
