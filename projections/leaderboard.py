"""The red/black list (红黑榜): units ranked on the three core indicators, with the change since before.

Order, best first: regulator-transferred complaints, then their rate per 10k customers, then the
complaint rate, then complaints, all ascending, then the unit id. A unit with no customer base has no
rate; it sorts after every unit that has one on that key (nobody is flattered by a missing number).
`rank` is the unique position; units equal on every key but the id share a `tied_rank` (1, 2, 2, 4).

The lists are drawn on whole groups of tied units, so a tie is never split by the unit id:
- black list, from the bottom, among units with at least one regulator-transferred complaint: a tied
  group is on it when it starts within the last N (`include`, the default) or ends within them
  (`exclude`), and only while the list stays within half of the board;
- red list, from the top, among the units not black: a tied group is on it when it starts within the
  first N (`include`) or ends within them (`exclude`).
A unit is never on both lists; N comes from the policy's [version.lists] (a count or a share) or --size.
Units without a customer base (CFPB's companies) have no rates and are ranked on counts; each row says
which (`ranked_on`: `rates` or `counts`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.periods import Period
from domain.policy import ListSize, Policy

COUNTS = ("work_orders", "complaints", "regulator_transferred", "effective")
LEVELS = ("outlet", "sub_branch", "branch")
DEFAULT_SIZE = 10
NOUNS = {"outlet": ("outlet", "outlets"), "sub_branch": ("sub-branch", "sub-branches"),
         "branch": ("branch", "branches")}
Line = tuple[str, str, int, int, int, int, int]  # unit, name, customers, work_orders, complaints, rt, effective


@dataclass(frozen=True)
class Lists:
    """The terms a board's lists are drawn on; every row names them (`list_size`, `list_policy_version`)."""

    size: ListSize = field(default_factory=lambda: ListSize(DEFAULT_SIZE))
    ties: str = "include"
    version: str | None = None  # the policy version they come from
    overridden: bool = False  # N given for this query (--size), not the policy's

    @classmethod
    def of(cls, policy: Policy, period: Period, level: str, size: str | int | None = None) -> Lists:
        """The policy version in effect on the period's first day (a period before the policy's first version
        takes that first version: a board is still drawn on real data older than the bank's policy); `size`
        (a count or "10%") overrides its N."""
        first_day = date(period.year, period.first_month, 1)
        version = policy.on(first_day) if first_day >= policy.versions[0].start else policy.versions[0]
        rule = version.lists
        if size is None:
            return cls(rule.sizes[level], rule.ties, version.id)
        return cls(ListSize.parse(size), rule.ties, version.id, overridden=True)


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


def tie_key(customers: int, complaints: int, transferred: int) -> tuple[int, int, int]:
    """Equal exactly when every key of `rank_key` but the unit id is: the same two counts, and the same
    customer base unless both counts are 0 (every base then gives rates of 0; no base, no rate)."""
    return (transferred, complaints, customers if transferred or complaints else int(customers > 0))


def tied_ranks(keys: Iterable[Any]) -> list[int]:
    """Standard competition ranks (1, 2, 2, 4) of keys already in order: one pass, no sort."""
    out: list[int] = []
    last, first = object(), 0
    for position, key in enumerate(keys, start=1):
        if key != last:
            last, first = key, position
        out.append(first)
    return out


def order_key(line: Line) -> tuple[Any, ...]:
    return rank_key(line[0], line[2], line[4], line[5])


def board(current: Iterable[Line], previous: Iterable[Line] | None, size: Lists | int = DEFAULT_SIZE,
          level: str = "outlet") -> list[dict[str, Any]]:
    """The ranked rows, each with the comparison period's rank and counts and the change.

    `previous` is None (or empty of any work order) when nothing was recorded in the comparison
    period: then there is no earlier rank to move from. This is the reference the database's own
    ranking (`queries.ranked_lines`, what the commands use) is tested against.
    """
    rows = sorted(current, key=order_key)
    before_lines = [p for p in previous or () if p[3]]
    earlier = sorted(previous or (), key=order_key) if before_lines else []
    tied = tied_ranks(tie_key(p[2], p[4], p[5]) for p in earlier)
    before = {line[0]: (rank, tied[rank - 1], line) for rank, line in enumerate(earlier, start=1)}
    nothing = (None, None, (None, None, None, 0, 0, 0, 0))
    return rows_of([(*line, *old[3:], old_rank, old_tied) for line in rows
                    for old_rank, old_tied, old in (before.get(line[0], nothing),)], size, level)


class _Changes(dict[tuple[int, int], float | None]):
    """change_pct of (now, before) pairs, each worked out once: 15,000 rows share few pairs of small counts."""

    def __missing__(self, key: tuple[int, int]) -> float | None:
        value = self[key] = change_pct(*key)
        return value


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _count(n: int, level: str) -> str:
    one, many = NOUNS[level]
    return f"{n} {one if n == 1 else many}"


def _tie(t: int, c: int, position: int, width: int, level: str) -> str:
    """'3 outlets tie for 12th with 1 regulator-transferred and 2 complaints'."""
    what = ("with no complaint" if not t and not c else
            f"with {t} regulator-transferred and {c} complaint{'' if c == 1 else 's'}")
    if width == 1:  # no tie: the one unit in that place
        return f"the {NOUNS[level][0]} in {ordinal(position)} place {what}"
    return f"{_count(width, level)} tie for {ordinal(position)} {what}"


def _groups(starts: list[int], total: int) -> list[tuple[int, int]]:
    """(first index, index after the last) of each tie group."""
    return list(zip(starts, [*starts[1:], total], strict=True)) if starts else []


ACROSS = "across the N-th place: left off (ties: exclude)"
C, T = 6, 7  # where a board line (`lines_of`) holds its complaints and regulator-transferred complaints
ROW = ("rank", "tied_rank", "tied_with", "unit", "name", "work_orders", "complaints", "regulator_transferred",
       "effective", "work_orders_per_10k", "complaints_per_10k", "regulator_transferred_per_10k", "effective_per_10k",
       "list", "list_size", "list_policy_version", "list_note", "customers", "ranked_on", "previous_rank",
       "previous_tied_rank", "rank_change", "tied_rank_change", "work_orders_previous", "work_orders_change_pct",
       "complaints_previous", "complaints_change_pct", "regulator_transferred_previous",
       "regulator_transferred_change_pct", "effective_previous", "effective_change_pct")  # a board row's fields


def draw(lines: list[list[Any]], starts: list[int], n: int, ties: str, level: str,
         ) -> tuple[int, int, list[str], list[str]]:
    """(red_end, black_start, why red, why black): the red list is lines[:red_end], the black list
    lines[black_start:]; both are whole tie groups (`starts` holds the first index of each)."""
    total, half, include = len(lines), len(lines) // 2, ties == "include"
    bounds = _groups(starts, total)
    black_start, red_end, why_black, why_red = total, 0, [], []
    for s, e in reversed(bounds):
        taken, width = total - black_start, e - s
        if taken >= n:
            break
        t, c = lines[s][T], lines[s][C]
        if t < 1:
            why_black.append(f"only {_count(taken, level)} with a regulator-transferred complaint")
            break
        if not include and taken + width > n:
            why_black.append(f"{_tie(t, c, s + 1, width, level)}, {ACROSS}")
            break
        if taken + width > half:
            why_black.append(f"{_tie(t, c, s + 1, width, level)}, which would take the list past half of the "
                             f"{_count(total, level)}: left off")
            break
        black_start = s
        if taken + width > n:
            why_black.append(f"{_tie(t, c, s + 1, width, level)}: all are on it")
    for s, e in bounds:
        width = e - s
        if s >= n:
            break
        if s >= black_start:
            why_red.append("the rest are on the black list")
            break
        t, c = lines[s][T], lines[s][C]
        if not include and e > n:
            why_red.append(f"{_tie(t, c, s + 1, width, level)}, {ACROSS}")
            break
        red_end = e
        if e > n:
            why_red.append(f"{_tie(t, c, s + 1, width, level)}: all are on it")
    return red_end, black_start, why_red, why_black


def note(lists: Lists, n: int, total: int, red: int, black: int, why_red: list[str], why_black: list[str],
         level: str) -> str:
    """What every row says of the lists it was drawn with: N and where it comes from, each list's size, why."""
    size = f"--size {lists.size}" if lists.overridden else f"{level} = {lists.size}"
    source = f"{size}{f' of {_count(total, level)}' if lists.size.percent is not None else ''}"
    policy = f"policy {lists.version}, " if lists.version else ""
    parts = [f"N = {n} ({policy}{source}, ties {lists.ties}d)"]
    parts.append(f"red list {_count(red, level)}" + "".join(f"; {w}" for w in why_red))
    parts.append(f"black list {_count(black, level)}" + "".join(f"; {w}" for w in why_black))
    return ". ".join(p[0].upper() + p[1:] for p in parts) + "."


def rows_of(ordered: list[tuple[Any, ...]], size: Lists | int = DEFAULT_SIZE, level: str = "outlet",
            ) -> list[dict[str, Any]]:
    """The board's rows from lines already in order, each (unit, name, customers, work_orders, complaints,
    regulator_transferred, effective, the four counts of the comparison period, its rank and tied rank there
    or None, None)."""
    return rows_from(lines_of(ordered), size, level)


def lines_of(ordered: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Every value of the board's rows (`ROW`) but the lists' four (None in their place), in order: what does not
    depend on the list terms, so it can be kept (projections/board_memo.py) and the lists drawn on it by
    `rows_from` under any terms.

    Hot: 15,000 outlets make 15,000 lines, so the tie groups come from one pass over the ordered lines, the
    rates are worked out inline (equal to per_10k) and each pair of counts' change once."""
    total = len(ordered)
    starts, last = [], None
    for index, line in enumerate(ordered):
        key = (line[5], line[4], line[2] if line[5] or line[4] else line[2] > 0)  # tie_key, inline
        if key != last:
            starts.append(index)
            last = key
    out: list[list[Any]] = []
    append, changes = out.append, _Changes()
    for s, e in _groups(starts, total):
        for rank in range(s + 1, e + 1):
            unit, name, customers, w, c, t, e_, pw, pc, pt, pe, old_rank, old_tied = ordered[rank - 1]
            rw: float | None
            rc: float | None
            rt: float | None
            re: float | None
            if customers:
                rw = round(w * 10_000 / customers, 4) if w else 0.0
                rc = round(c * 10_000 / customers, 4) if c else 0.0
                rt = round(t * 10_000 / customers, 4) if t else 0.0
                re = round(e_ * 10_000 / customers, 4) if e_ else 0.0
            else:
                rw = rc = rt = re = None
            append([rank, s + 1, e - s, unit, name, w, c, t, e_, rw, rc, rt, re, None, None, None, None, customers,
                    "rates" if customers else "counts", old_rank, old_tied,
                    old_rank - rank if old_rank else None,  # positive: moved up the board
                    old_tied - s - 1 if old_tied else None,  # the same, ties not split by id
                    pw, changes[w, pw], pc, changes[c, pc], pt, changes[t, pt], pe, changes[e_, pe]])
    return out


def rows_from(lines: list[list[Any]], size: Lists | int = DEFAULT_SIZE, level: str = "outlet",
              ) -> list[dict[str, Any]]:
    """The board's rows: `lines_of`'s values with the lists drawn on them under the terms `size` (the lines are
    filled in: a board's lines serve one call)."""
    terms = size if isinstance(size, Lists) else Lists(ListSize(size))  # a plain N: 10 is Lists(ListSize(10))
    total = len(lines)
    n = terms.size.of(total)
    starts = [index for index, line in enumerate(lines) if line[0] == line[1]]  # rank == tied_rank: a group's first
    red_end, black_start, why_red, why_black = draw(lines, starts, n, terms.ties, level)
    said, version = note(terms, n, total, red_end, total - black_start, why_red, why_black, level), terms.version
    red, black, neither = ("red", n, version, said), ("black", n, version, said), (None, n, version, said)
    out: list[dict[str, Any]] = []
    append = out.append
    for index, line in enumerate(lines):  # both lists are whole tie groups: an index says which a line is on
        line[13:17] = red if index < red_end else black if index >= black_start else neither  # the lists' fields
        append(dict(zip(ROW, line)))  # noqa: B905 - lines_of makes every line ROW's length; strict costs 15%
    return out


def within(ordered: list[tuple[Any, ...]], inside: Collection[str]) -> list[tuple[Any, ...]]:
    """The lines of the units in `inside`, still in the bank-wide order (no new sort), with the comparison
    period's ranks worked out again among them alone (from the bank-wide ranks there, also no new sort of
    the board: only the subset's ints)."""
    lines = [line for line in ordered if line[0] in inside]
    if not lines or lines[0][11] is None:
        return lines
    earlier = sorted(lines, key=lambda line: line[11])
    tied = tied_ranks(tie_key(line[2], line[8], line[9]) for line in earlier)
    again = {line[0]: (rank, tied[rank - 1]) for rank, line in enumerate(earlier, start=1)}
    return [(*line[:11], *again[line[0]]) for line in lines]


def ranked(ordered: list[tuple[Any, ...]], lists: Lists, level: str, inside: Collection[str] | None = None,
           ) -> list[dict[str, Any]]:
    """The board's rows; with `inside`, the board of those units alone (their own ranks and lists), each row
    keeping its place on the bank-wide board: `bank_rank`, `bank_tied_rank`, `bank_list`."""
    rows = rows_of(ordered, lists, level)
    if inside is None:
        return rows
    bank = {r["unit"]: r for r in rows}
    own = rows_of(within(ordered, inside), lists, level)
    for row in own:
        there = bank[row["unit"]]
        row.update(bank_rank=there["rank"], bank_tied_rank=there["tied_rank"], bank_list=there["list"])
    return own
