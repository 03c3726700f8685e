"""The red/black list (红黑榜): units ranked on the three core indicators, with the change since before.

Order, best first: regulator-transferred complaints, then their rate per 10k customers, then the
complaint rate, then complaints, all ascending, then the unit id. A unit with no customer base has no
rate; it sorts after every unit that has one on that key (nobody is flattered by a missing number), so
units without a customer base (CFPB's companies) are ranked on counts, and each row says so (`ranked_on`).
Red list: the first N; black list: the last N with at least one regulator-transferred complaint. When
the two overlap (fewer than 2N units), black wins: a unit with regulator-transferred complaints that is
among the worst N is never published as a model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

COUNTS = ("work_orders", "complaints", "regulator_transferred", "effective")
LEVELS = ("outlet", "sub_branch", "branch")
DEFAULT_SIZE = 10
Line = tuple[str, str, int, int, int, int, int]  # unit, name, customers, work_orders, complaints, rt, effective


def per_10k(count: int, customers: int) -> float | None:
    if not customers:
        return None
    return round(count * 10_000 / customers, 4) if count else 0.0


def change_pct(now: int, before: int) -> float | None:
    """Percentage change against the earlier period; None when there was nothing to compare with."""
    if not before:
        return None
    return round((now - before) * 100 / before, 1) if now != before else 0.0


def rank_key(unit: str, customers: int, complaints: int, transferred: int) -> tuple[Any, ...]:
    """Exact rates (not the rounded ones shown), missing rates last, then the unit id."""
    if customers:
        return (transferred, transferred / customers, complaints / customers, complaints, unit)
    return (transferred, math.inf, math.inf, complaints, unit)


def order_key(line: Line) -> tuple[Any, ...]:
    return rank_key(line[0], line[2], line[4], line[5])


def board(current: Iterable[Line], previous: Iterable[Line] | None, size: int = DEFAULT_SIZE,
          ) -> list[dict[str, Any]]:
    """The ranked rows, each with the comparison period's rank and counts and the change.

    `previous` is None (or empty of any work order) when nothing was recorded in the comparison
    period: then there is no earlier rank to move from. This is the reference the database's own
    ranking (`queries.ranked_lines`, what the commands use) is tested against.
    """
    rows = sorted(current, key=order_key)
    before_lines = [p for p in previous or () if p[3]]
    earlier = sorted(previous or (), key=order_key) if before_lines else []
    before = {line[0]: (rank, line) for rank, line in enumerate(earlier, start=1)}
    nothing = (None, (None, None, None, 0, 0, 0, 0))
    return rows_of([(*line, *old[3:], old_rank) for line in rows
                    for old_rank, old in (before.get(line[0], nothing),)], size)


class _Changes(dict[tuple[int, int], float | None]):
    """change_pct of (now, before) pairs, each worked out once: 15,000 rows share few pairs of small counts."""

    def __missing__(self, key: tuple[int, int]) -> float | None:
        value = self[key] = change_pct(*key)
        return value


def rows_of(ordered: list[tuple[Any, ...]], size: int = DEFAULT_SIZE) -> list[dict[str, Any]]:
    """The board's rows from lines already in order, each (unit, name, customers, work_orders, complaints,
    regulator_transferred, effective, the four counts of the comparison period, its rank there or None).

    Hot: 15,000 outlets make 15,000 rows, so the rates are worked out inline (equal to per_10k) and each
    pair of counts' change once."""
    black = {line[0] for line in [r for r in ordered if r[5] >= 1][-size:]} if size > 0 else set()
    red = {line[0] for line in [r for r in ordered if r[0] not in black][:size]} if size > 0 else set()
    out: list[dict[str, Any]] = []
    append, changes = out.append, _Changes()
    for rank, (unit, name, customers, w, c, t, e, pw, pc, pt, pe, old_rank) in enumerate(ordered, start=1):
        rw: float | None
        rc: float | None
        rt: float | None
        re: float | None
        if customers:
            rw = round(w * 10_000 / customers, 4) if w else 0.0
            rc = round(c * 10_000 / customers, 4) if c else 0.0
            rt = round(t * 10_000 / customers, 4) if t else 0.0
            re = round(e * 10_000 / customers, 4) if e else 0.0
        else:
            rw = rc = rt = re = None
        append({
            "rank": rank, "unit": unit, "name": name,
            "work_orders": w, "complaints": c, "regulator_transferred": t, "effective": e,
            "work_orders_per_10k": rw, "complaints_per_10k": rc,
            "regulator_transferred_per_10k": rt, "effective_per_10k": re,
            "list": "black" if unit in black else "red" if unit in red else None,
            "customers": customers, "ranked_on": "rates" if customers else "counts",
            "previous_rank": old_rank,
            "rank_change": old_rank - rank if old_rank else None,  # positive: moved up the board
            "work_orders_previous": pw, "work_orders_change_pct": changes[w, pw],
            "complaints_previous": pc, "complaints_change_pct": changes[c, pc],
            "regulator_transferred_previous": pt, "regulator_transferred_change_pct": changes[t, pt],
            "effective_previous": pe, "effective_change_pct": changes[e, pe],
        })
    return out
