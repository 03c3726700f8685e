"""The red/black list (红黑榜): units ranked on the three core indicators, with the change since before.

Order, best first: regulator-transferred complaints, then their rate per 10k customers, then the
complaint rate, then complaints, all ascending, then the unit id. A unit with no customer base has no
rate; it sorts after every unit that has one on that key (nobody is flattered by a missing number).
Red list: the first N; black list: the last N with at least one regulator-transferred complaint. When
the two overlap (fewer than 2N units), black wins: a unit with regulator-transferred complaints that is
among the worst N is never published as a model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from domain.orgchart import OrgChart

COUNTS = ("work_orders", "complaints", "regulator_transferred", "effective")
LEVELS = ("outlet", "sub_branch", "branch")
DEFAULT_SIZE = 10
Sums = Mapping[str, tuple[int, int, int, int]]


def per_10k(count: int, customers: int) -> float | None:
    return round(count * 10_000 / customers, 4) if customers else None


def change_pct(now: int, before: int) -> float | None:
    """Percentage change against the earlier period; None when there was nothing to compare with."""
    return round((now - before) * 100 / before, 1) if before else None


def roll_up(chart: OrgChart, sums: Sums, level: str) -> dict[str, dict[str, Any]]:
    """Every unit of `level` (zero-complaint ones too) with its outlets' counts and customers summed."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    units: dict[str, dict[str, Any]] = {
        u: {"unit": u, "name": d.get("name") or "", "customers": 0, **dict.fromkeys(COUNTS, 0)}
        for u, d in chart.units.items() if d.get("kind") == level}
    for outlet, data in chart.units.items():
        if data.get("kind") != "outlet":
            continue
        target = chart.ancestor_of_kind(outlet, level)
        if target not in units:
            continue
        row = units[target]
        row["customers"] += data.get("customers") or 0
        for name, value in zip(COUNTS, sums.get(outlet, (0, 0, 0, 0)), strict=True):
            row[name] += value
    for outlet, counts in sums.items():  # complaints at an outlet the org file does not list (yet)
        if outlet not in chart.units and level == "outlet":
            units[outlet] = {"unit": outlet, "name": "", "customers": 0, **dict(zip(COUNTS, counts, strict=True))}
    for row in units.values():
        for name in COUNTS:
            row[f"{name}_per_10k"] = per_10k(row[name], row["customers"])
    return units


def _missing_last(rate: float | None) -> float:
    return math.inf if rate is None else rate


def order_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["regulator_transferred"], _missing_last(row["regulator_transferred_per_10k"]),
            _missing_last(row["complaints_per_10k"]), row["complaints"], row["unit"])


def ranked(units: Mapping[str, dict[str, Any]], size: int = DEFAULT_SIZE) -> list[dict[str, Any]]:
    rows = sorted(units.values(), key=order_key)
    black = [r["unit"] for r in rows if r["regulator_transferred"] >= 1][-size:] if size > 0 else []
    red = [r["unit"] for r in rows if r["unit"] not in black][:size] if size > 0 else []
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
        row["list"] = "black" if row["unit"] in black else "red" if row["unit"] in red else None
    return rows


def board(chart: OrgChart, current: Sums, previous: Sums, level: str, size: int = DEFAULT_SIZE,
          ) -> list[dict[str, Any]]:
    """The ranked rows of `level`, each with the previous period's rank and counts and the change."""
    rows = ranked(roll_up(chart, current, level), size)
    # With nothing recorded in the comparison period there is no earlier rank to move from.
    before = {r["unit"]: r for r in ranked(roll_up(chart, previous, level), size)} if previous else {}
    out = []
    for row in rows:
        old = before.get(row["unit"])
        extra: dict[str, Any] = {
            "previous_rank": old["rank"] if old else None,
            "rank_change": old["rank"] - row["rank"] if old else None,  # positive: moved up the board
        }
        for name in COUNTS:
            extra[f"{name}_previous"] = old[name] if old else 0
            extra[f"{name}_change_pct"] = change_pct(row[name], old[name] if old else 0)
        out.append({"rank": row["rank"], "unit": row["unit"], "name": row["name"],
                    **{k: row[k] for k in COUNTS}, **{f"{k}_per_10k": row[f"{k}_per_10k"] for k in COUNTS},
                    "list": row["list"], "customers": row["customers"], **extra})
    return out
