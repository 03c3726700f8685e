"""SLA summary per unit and regime for the complaints received in a period, and what is at risk now."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, tzinfo
from typing import Any

from domain.periods import Period
from domain.sla import SlaRules, evaluate
from projections import queries
from projections.store import ReadModelStore

VERDICTS = ("on_time", "breached", "at_risk", "open", "paused", "ended", "not_applicable")


def summary(store: ReadModelStore, period: Period, level: str, tz: tzinfo, now: datetime,
            rules: SlaRules | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows per unit and regime with a count per verdict, complaints at risk or breached and still open)."""
    rollup = {o: {"outlet": o, "sub_branch": s, "branch": b} for o, s, b in store.query(
        "SELECT outlet, sub_branch, branch FROM org_rollup")}
    counts: dict[tuple[str, str], Counter[str]] = {}
    watch = []
    for facts in queries.facts_received_in(store, period):
        if not facts.is_complaint:
            continue
        unit = rollup.get(facts.outlet, {}).get(level) or facts.outlet
        for row in evaluate(facts, now, tz, rules):
            counts.setdefault((unit, row["regime"]), Counter())[row["verdict"]] += 1
            still_open = facts.state not in ("closed", "withdrawn")
            if still_open and (row["verdict"] in ("at_risk", "paused") or
                               (row["verdict"] == "breached" and row["met_at"] is None)):
                watch.append({"complaint_id": facts.complaint_id, "outlet": facts.outlet, "state": facts.state,
                              "regime": row["regime"], "deadline": row["deadline"], "verdict": row["verdict"]})
    rows = []
    for (unit, regime), seen in sorted(counts.items()):
        decided = seen["on_time"] + seen["breached"]
        rows.append({"unit": unit, "regime": regime, **{v: seen[v] for v in VERDICTS},
                     "on_time_pct": round(seen["on_time"] * 100 / decided, 1) if decided else None})
    return rows, sorted(watch, key=lambda w: (w["deadline"] or "", w["complaint_id"]))
