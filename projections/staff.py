"""The monthly service-quality ranking of complaint staff (客服人员服务质量考核表及排名, Shizuishan's 96789 centre):
per handler, the complaints they handled, on time under the bank's regimes, callbacks and satisfaction, repeats.

A complaint is the handler's who holds it (the last assignee, else its first responder: 首问负责). On time
means every one of the bank's regimes (the policy's `sla_regimes`) that has decided says on time; a breach in
any of them makes it late; the rest are still undecided and count in neither. Ranked best first: on-time rate,
then satisfaction, then fewer repeats, then more complaints handled; equal on all four, equal rank.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, tzinfo
from typing import Any

from domain.periods import Period
from domain.policy import Policy
from domain.sla import SlaRules
from projections import liabilities, queries, secondary
from projections.store import ReadModelStore


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def ranking(store: ReadModelStore, period: Period, policy: Policy, tz: tzinfo, now: datetime,
            rules: SlaRules | None = None, repeat_days: int = 30) -> list[dict[str, Any]]:
    version = policy.on(period.start(tz).date())
    regimes = set(version.sla_regimes)
    verdicts = {k.complaint_id: liabilities.verdicts_of(k.verdicts)
                for k in liabilities.known(store, period, tz, now, rules, fines=False)}
    seen = secondary.earlier_receipts(store, period, repeat_days)
    names = queries.people(store)
    sums: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    outlets: dict[str, set[str]] = defaultdict(set)
    for facts in queries.facts_received_in(store, period):
        handler = facts.handler
        if not facts.is_complaint or handler is None:
            continue
        row = sums[handler]
        row["complaints"] += 1
        outlets[handler].add(facts.outlet)
        secondary.add_facts(row, facts, seen, timedelta(days=repeat_days))
        mine = {r: v for r, v in verdicts.get(facts.complaint_id, {}).items() if r in regimes}
        if any(v == "breached" for v in mine.values()):
            row["late"] += 1
        elif mine and all(v in ("on_time", "not_applicable", "ended") for v in mine.values()) \
                and any(v == "on_time" for v in mine.values()):
            row["on_time"] += 1
    rows = []
    for handler, row in sums.items():
        quality = secondary.summarise(row)
        rows.append({"handler": handler, "name": names.get(handler, ""), "outlets": sorted(outlets[handler]),
                     "handled_count": row["complaints"], "on_time": row["on_time"], "late": row["late"],
                     "on_time_pct": _pct(row["on_time"], row["on_time"] + row["late"]),
                     "callbacks": quality["callbacks"], "callback_coverage_pct": quality["callback_coverage_pct"],
                     "satisfied": quality["satisfied"], "satisfaction_pct": quality["satisfaction_pct"],
                     "repeats": quality["repeats"], "repeat_pct": quality["repeat_pct"],
                     "regimes": sorted(regimes), "policy_version": version.id})
    return ranked(rows)


def _key(row: dict[str, Any]) -> tuple[float, float, float, int]:
    """Best first; an unknown rate ranks below every known one."""
    def known(value: float | None) -> float:
        return -1.0 if value is None else value
    return (-known(row["on_time_pct"]), -known(row["satisfaction_pct"]), known(row["repeat_pct"]),
            -row["handled_count"])


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with `rank` (1 = best; equals share a rank, the next rank skips as many: 1, 1, 3)."""
    rows = sorted(rows, key=lambda r: (_key(r), r["handler"]))
    out: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        rank = out[-1]["rank"] if out and _key(rows[index - 1]) == _key(row) else index + 1
        out.append({"rank": rank, **row})
    return out
