"""SLA summary per unit and regime for the complaints received in a period, and what is at risk now."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, tzinfo
from typing import Any

from domain.periods import Period
from domain.sla import SlaRules
from projections import liabilities
from projections.bulk import few_collections
from projections.store import ReadModelStore

VERDICTS = ("on_time", "breached", "at_risk", "open", "paused", "ended", "not_applicable")


def summary(store: ReadModelStore, period: Period, level: str, tz: tzinfo, now: datetime,
            rules: SlaRules | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows per unit and regime with a count per verdict, complaints at risk or breached and still open)."""
    with few_collections():
        return _summary(store, period, level, tz, now, rules)


def _summary(store: ReadModelStore, period: Period, level: str, tz: tzinfo, now: datetime,
             rules: SlaRules | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rollup = {o: {"outlet": o, "sub_branch": s, "branch": b} for o, s, b in store.query(
        "SELECT outlet, sub_branch, branch FROM org_rollup")}
    seen: Counter[tuple[str, str]] = Counter()  # (unit, verdicts): complaints with equal verdicts counted once
    watch = []
    for known in liabilities.known(store, period, tz, now, rules, fines=False):
        if known.kind != "complaint":
            continue
        seen[rollup.get(known.outlet, {}).get(level) or known.outlet, known.verdicts] += 1
        still_open = known.state not in ("closed", "withdrawn")
        for row in known.rows or ():  # settled verdicts (the memo's) have nothing left to watch
            if still_open and (row["verdict"] in ("at_risk", "paused") or
                               (row["verdict"] == "breached" and row["met_at"] is None)):
                watch.append({"complaint_id": known.complaint_id, "outlet": known.outlet, "state": known.state,
                              "regime": row["regime"], "deadline": row["deadline"], "verdict": row["verdict"]})
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for (unit, verdicts), number in seen.items():
        for regime, verdict in liabilities.verdicts_of(verdicts).items():
            counts[unit, regime][verdict] += number
    rows = []
    for (unit, regime), tally in sorted(counts.items()):
        decided = tally["on_time"] + tally["breached"]
        rows.append({"unit": unit, "regime": regime, **{v: tally[v] for v in VERDICTS},
                     "on_time_pct": round(tally["on_time"] * 100 / decided, 1) if decided else None})
    return rows, sorted(watch, key=lambda w: (w["deadline"] or "", w["complaint_id"]))
