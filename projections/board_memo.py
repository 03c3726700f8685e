"""The red/black board kept in its order: a period's ranked lines, sorted once per change of what they rank.

Sorting 15,000 outlets on two periods' sums and working out their rates and changes took four fifths of a board's
time, yet nothing of it depends on the list terms (N, ties, the policy version): `leaderboard.lines_of` is kept per
period, level and comparison period, with the basis it was ranked on: the generations of the months of both periods
(every fold bumps the months of receipt of the complaints it touches, where their indicators count) and the
organisation's version (names, customer bases, the units themselves). A kept board whose basis moved is ranked
again; it is never stale, only missing, and deleting it changes no answer. The lists are drawn on it per query
(`leaderboard.rows_from`), so any --size or policy reads the same kept lines.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

from domain.periods import Period
from projections import leaderboard, liabilities, queries, score_memo
from projections.bulk import few_collections
from projections.store import ReadModelStore


def _code() -> str:
    """Another release may rank or lay out the lines otherwise: its kept boards are not this one's."""
    return liabilities.code_digest(*(str(m.__file__) for m in (leaderboard, queries, sys.modules[__name__])))[:16]


def lines(store: ReadModelStore, period: Period, level: str, compare: Period) -> list[list[Any]]:
    """The board's `lines_of`, kept or ranked (and kept) now."""
    months = sorted({*period.months, *compare.months})
    basis = f"{_code()}:{score_memo.basis(store, months)}"  # before the lines: a fold in between leaves them past
    found = store.query("SELECT basis, lines FROM board_memo WHERE period = ? AND level = ? AND compare = ?",
                        (str(period), level, str(compare)))
    if found and found[0][0] == basis:
        return orjson.loads(found[0][1])  # type: ignore[no-any-return]
    ranked = leaderboard.lines_of(queries.ranked_lines(store, period, level, compare))
    try:
        with store.transaction() as cursor:
            store.execute(cursor, "INSERT INTO board_memo (period, level, compare, basis, lines) "
                          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (period, level, compare) DO UPDATE SET "
                          "basis = excluded.basis, lines = excluded.lines",
                          (str(period), level, str(compare), basis, orjson.dumps(ranked).decode()))
    except Exception:  # noqa: BLE001, S110 - a store that refuses to keep it still answers: keeping is no condition
        pass
    return ranked


def rows(store: ReadModelStore, period: Period, level: str, compare: Period, lists: leaderboard.Lists,
         ) -> list[dict[str, Any]]:
    """The bank-wide board's rows, its lists drawn under `lists` on the kept lines."""
    with few_collections():  # 15,000 lines of 31 values and their rows: nothing to collect while they are made
        return leaderboard.rows_from(lines(store, period, level, compare), lists, level)
