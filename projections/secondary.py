"""Secondary indicators beside the red/black list, per unit and period of receipt.

Callback coverage (回访率: closed complaints with a callback), satisfaction (满意度), mediation count,
success rate and amounts, the repeat-complaint rate (the same customer and category again within a
window the policy sets) and first-responder hand-overs (首问负责: an `assigned` to another unit).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from domain.facts import ComplaintFacts
from domain.periods import Period
from projections import queries
from projections.store import ReadModelStore


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def indicators(store: ReadModelStore, period: Period, level: str, repeat_days: int = 30) -> list[dict[str, Any]]:
    rollup = {o: {"outlet": o, "sub_branch": s, "branch": b} for o, s, b in store.query(
        "SELECT outlet, sub_branch, branch FROM org_rollup")}
    received = [f for f in queries.facts_received_in(store, period) if f.is_complaint]
    seen = earlier_receipts(store, period, repeat_days)
    sums: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for f in received:
        unit = rollup.get(f.outlet, {}).get(level) or f.outlet
        row = sums[unit]
        row["complaints"] += 1
        add_facts(row, f, seen, timedelta(days=repeat_days))
    out = []
    for unit, row in sorted(sums.items()):
        out.append({"unit": unit, **summarise(row)})
    return out


def earlier_receipts(store: ReadModelStore, period: Period, repeat_days: int) -> dict[tuple[str, str], list[Any]]:
    """When each (customer, category) complained around the period: what a repeat is measured against."""
    earlier = Period(period.year - 1, period.first_month, period.months_count) if repeat_days > 0 else period
    history = [f for p in (earlier.previous, period.previous, period) for f in queries.facts_received_in(store, p)
               if f.is_complaint and f.customer_ref]
    seen: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for f in history:
        seen[(f.customer_ref or "", f.category)].append(f.received_at)
    return seen


def summarise(row: dict[str, Any]) -> dict[str, Any]:
    """The rates of one unit's (or a whole subtree's) sums."""
    return {
        "complaints": row["complaints"], "closed": row["closed"],
        "callbacks": row["callbacks"], "callback_coverage_pct": _pct(row["closed_called"], row["closed"]),
        "satisfied": row["satisfied"], "satisfaction_pct": _pct(row["satisfied"], row["callbacks"]),
        "mediations": row["mediations"], "mediation_successes": row["mediation_successes"],
        "mediation_success_pct": _pct(row["mediation_successes"], row["mediations_concluded"]),
        "mediation_amount_cny": str(row["mediation_amount"] or Decimal("0")),
        "repeats": row["repeats"], "repeat_pct": _pct(row["repeats"], row["complaints"]),
        "handovers": row["handovers"],
    }


def add_facts(row: dict[str, Any], f: ComplaintFacts, seen: dict[tuple[str, str], list[Any]],
              window: timedelta) -> None:
    callbacks = f.live("callback")
    closed = bool(f.live("closed"))
    row["closed"] += int(closed)
    row["closed_called"] += int(closed and bool(callbacks))
    row["callbacks"] += len(callbacks)
    row["satisfied"] += sum(1 for _, h in callbacks if h["fields"].get("satisfied"))
    row["mediations"] += len(f.live("mediation_requested"))
    concluded = f.live("mediation_concluded")
    row["mediations_concluded"] += len(concluded)
    row["mediation_successes"] += sum(1 for _, h in concluded if h["fields"].get("success"))
    row["mediation_amount"] = (row["mediation_amount"] or Decimal("0")) + sum(
        (Decimal(str(h["fields"].get("amount") or 0)) for _, h in concluded), Decimal("0"))
    row["handovers"] += sum(1 for _, h in f.live("assigned") if h["fields"].get("outlet") not in (None, f.outlet))
    if f.customer_ref:
        before = [t for t in seen[(f.customer_ref, f.category)] if f.received_at - window <= t < f.received_at]
        row["repeats"] += int(bool(before))
