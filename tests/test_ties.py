"""Ties on the red/black list: tied ranks, lists drawn on whole tie groups, N from the policy.

The property test checks `board` (what the database's order is tested against) with an independent
reference: ranks counted pair by pair with exact fractions, lists stated through those ranks."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.periods import Period
from domain.policy import InvalidPolicy, ListSize, Policy
from projections.leaderboard import Line, Lists, board, ranked, tied_ranks


def line(unit: str, transferred: int = 0, complaints: int = 0, customers: int = 10_000) -> Line:
    return (unit, unit.lower(), customers, complaints, complaints, transferred, 0)


def lists_of(rows: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    return ([r["unit"] for r in rows if r["list"] == "red"], [r["unit"] for r in rows if r["list"] == "black"])


def test_tied_ranks_are_standard_competition_ranks() -> None:
    assert tied_ranks(["a", "b", "b", "c", "c", "c", "d"]) == [1, 2, 2, 4, 4, 4, 7]
    rows = board([line("U1", 0, 0), line("U2", 0, 1), line("U3", 0, 1), line("U4", 1, 1),
                  line("U5", 0, 0, customers=0), line("U6", 0, 0, customers=500)], None, 1)
    got = {r["unit"]: (r["rank"], r["tied_rank"], r["tied_with"]) for r in rows}
    # no complaint ties whatever the (non-zero) base; no base is no rate: it sorts after every rate
    assert got == {"U1": (1, 1, 2), "U6": (2, 1, 2), "U2": (3, 3, 2), "U3": (4, 3, 2), "U5": (5, 5, 1),
                   "U4": (6, 6, 1)}


def test_a_tie_at_the_red_boundary_is_on_the_list_or_left_off_whole() -> None:
    lines = [line(f"U{i:02d}", 0, 0) for i in range(5)] + [line(f"V{i:02d}", 1, i) for i in range(1, 11)]
    rows = board(lines, None, Lists(ListSize(3)))
    red, black = lists_of(rows)
    assert red == [f"U{i:02d}" for i in range(5)]  # five tie for 1st: N = 3 takes all five
    assert "5 outlets tie for 1st with no complaint: all are on it" in rows[0]["list_note"]
    assert black == ["V08", "V09", "V10"]
    excluded = board(lines, None, Lists(ListSize(3), ties="exclude"))
    assert lists_of(excluded) == ([], ["V08", "V09", "V10"])
    assert "left off (ties: exclude)" in excluded[0]["list_note"]
    assert {r["list_size"] for r in rows} == {3}


def test_a_tie_at_the_black_boundary_is_on_the_list_or_left_off_whole() -> None:
    lines = [line(f"G{i:02d}", 0, i) for i in range(12)] + [line("B1", 1, 1), line("B2", 2, 2), line("B3", 2, 2),
                                                            line("B4", 3, 3)]
    rows = board(lines, None, 2)
    assert lists_of(rows) == (["G00", "G01"], ["B2", "B3", "B4"])  # B2 and B3 tie for the 2nd-last place
    assert [r["tied_rank"] for r in rows if r["list"] == "black"] == [14, 14, 16]
    assert "2 outlets tie for 14th with 2 regulator-transferred and 2 complaints: all are on it" in rows[0]["list_note"]
    assert lists_of(board(lines, None, Lists(ListSize(2), ties="exclude"))) == (["G00", "G01"], ["B4"])


def test_a_board_smaller_than_2n_never_lists_a_unit_twice_and_black_takes_at_most_half() -> None:
    lines = [line("A", 0, 0), line("B", 0, 2), line("C", 1, 1), line("D", 2, 2), line("E", 3, 3)]
    rows = board(lines, None, 10)
    red, black = lists_of(rows)
    assert black == ["D", "E"] and red == ["A", "B", "C"]  # half of 5 is 2; the rest are red
    assert not set(red) & set(black)
    assert "past half of the 5 outlets" in rows[0]["list_note"]
    tied = board([line("A", 1, 1), line("B", 1, 1), line("C", 1, 1)], None, 10)
    assert lists_of(tied) == (["A", "B", "C"], [])  # three equal units: no black list can take them all
    assert lists_of(board([line("A", 0, 0), line("B", 0, 1)], None, 10)) == (["A", "B"], [])  # black needs rt >= 1
    assert lists_of(board([line("solo", 4, 4)], None, 10)) == (["solo"], [])
    assert lists_of(board([line("A", 0), line("B", 1)], None, 0)) == ([], [])


def test_the_comparison_period_has_tied_ranks_too() -> None:
    rows = board([line("A", 0, 1), line("B", 0, 0), line("C", 0, 0)], [line("A", 0, 0), line("B", 0, 0),
                                                                      line("C", 0, 2)], 1)
    got = {r["unit"]: (r["previous_rank"], r["previous_tied_rank"], r["tied_rank_change"]) for r in rows}
    assert got == {"B": (2, 1, 0), "C": (3, 3, 2), "A": (1, 1, -2)}


def test_within_ranks_a_subset_and_keeps_the_bank_wide_place() -> None:
    lines = [line("A", 0, 0), line("B", 0, 1), line("C", 1, 1), line("D", 1, 2), line("E", 2, 2)]
    ordered = [(*x, 0, 0, 0, 0, None, None) for x in sorted(lines, key=lambda x: (x[5], x[4], x[0]))]
    rows = ranked(ordered, Lists(ListSize(1)), "outlet", {"B", "D", "E"})
    assert [(r["unit"], r["rank"], r["bank_rank"], r["list"], r["bank_list"]) for r in rows] == [
        ("B", 1, 2, "red", None), ("D", 2, 4, None, None), ("E", 3, 5, "black", "black")]


def test_policy_list_sizes_per_level_dated_and_versioned() -> None:
    policy = Policy.load()
    version = policy.on(date(2024, 10, 1))
    assert {k: str(v) for k, v in version.lists.sizes.items()} == {"outlet": "10", "sub_branch": "2", "branch": "10%"}
    assert (ListSize.parse("10%").of(470), ListSize.parse("10%").of(16), ListSize.parse("10%").of(1)) == (47, 1, 0)
    lists = Lists.of(policy, Period.parse("2024Q4"), "sub_branch")
    assert (lists.size.of(16), lists.ties, lists.version, lists.overridden) == (2, "include", version.id, False)
    assert Lists.of(policy, Period.parse("2024Q4"), "outlet", "3").size.of(470) == 3
    for bad in ("-1", "ten", "150%", "2.5"):
        with pytest.raises(InvalidPolicy, match="list size"):
            ListSize.parse(bad)


def test_a_new_version_changes_the_lists_from_its_date() -> None:
    base = Policy.load().versions[0]
    raw = {"fines": {"roles": list(base.roles), **{k: str(v) for k, v in base.fines.items()}},
           "person_points": base.person_points,
           "outlet_points": {**base.outlet_points, "no_complaints_bonus": 5, "sla_breach": -1,
                             "sla_regimes": list(base.sla_regimes)}}
    policy = Policy.parse({"version": [
        {"id": "old", "from": date(2020, 1, 1), **raw},  # no [version.lists]: 10 at every level, ties in
        {"id": "new", "from": date(2025, 1, 1), **raw, "lists": {"outlet": "5%", "ties": "exclude"}}]})
    old, new = Lists.of(policy, Period.parse("2024"), "outlet"), Lists.of(policy, Period.parse("2025-02"), "outlet")
    assert (old.version, str(old.size), old.ties) == ("old", "10", "include")
    assert (new.version, str(new.size), new.ties) == ("new", "5%", "exclude")
    assert Lists.of(policy, Period.parse("2025-02"), "branch").size.of(3) == 10
    rows = board([line(f"U{i}", 0, i % 3) for i in range(40)], None, new)
    assert {r["list_policy_version"] for r in rows} == {"new"} and {r["list_size"] for r in rows} == {2}
    for bad in ({"outlet": 10, "size": 3}, {"ties": "maybe"}, {"branch": "x%"}):
        with pytest.raises(InvalidPolicy):
            Policy.parse({"version": [{"id": "v", "from": date(2020, 1, 1), **raw, "lists": bad}]})


def test_a_period_before_the_policy_takes_its_first_version() -> None:
    """Real data older than the bank's policy (CFPB 2014) is still ranked: on the first version's terms."""
    policy = Policy.load()
    first = policy.versions[0]
    assert Period.parse("2014").year < first.start.year
    lists = Lists.of(policy, Period.parse("2014"), "outlet")
    assert (lists.version, str(lists.size)) == (first.id, str(first.lists.sizes["outlet"]))


def reference(lines: list[Line], n: int, ties: str) -> dict[str, tuple[int, int, str | None]]:
    """Independent of the code under test: exact fractions, every pair compared, lists said through ranks."""
    inf = Fraction(10**30)

    def key(x: Line) -> tuple[Fraction, ...]:
        rate = (lambda k: Fraction(k, x[2])) if x[2] else (lambda k: inf)
        return (Fraction(x[5]), rate(x[5]), rate(x[4]), Fraction(x[4]))

    total, half = len(lines), len(lines) // 2
    out = {}
    for x in lines:
        better = sum(key(y) < key(x) for y in lines)
        worse = sum(key(y) > key(x) for y in lines)
        width = sum(key(y) == key(x) for y in lines)
        top, bottom = better + 1, worse + 1  # competition ranks from either end
        inside = (lambda first, last: first <= n) if ties == "include" else (lambda first, last: last <= n)
        black = x[5] >= 1 and inside(bottom, bottom + width - 1) and bottom + width - 1 <= half
        out[x[0]] = (top, width, "black" if black else None)
    for x in lines:
        top, width, listed = out[x[0]]
        first_black = min((out[y[0]][0] for y in lines if out[y[0]][2] == "black"), default=total + 1)
        red = top < first_black and (top <= n if ties == "include" else top + width - 1 <= n)
        out[x[0]] = (top, width, listed or ("red" if red else None))
    return out


units = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 3), st.sampled_from([0, 5_000, 10_000, 20_000])),
                 min_size=0, max_size=30)


@settings(max_examples=300, deadline=None)
@given(units, st.integers(0, 12), st.sampled_from(["include", "exclude"]))
def test_board_agrees_with_an_independent_reference_on_boards_full_of_ties(
        counts: list[tuple[int, int, int]], n: int, ties: str) -> None:
    lines = [(f"U{i:02d}", "", base, t + c, t + c, t, 0) for i, (t, c, base) in enumerate(counts)]
    rows = board(lines, None, Lists(ListSize(n), ties))
    expected = reference(lines, n, ties)
    assert {r["unit"]: (r["tied_rank"], r["tied_with"], r["list"]) for r in rows} == expected
    assert [r["rank"] for r in rows] == list(range(1, len(lines) + 1))
    assert all(a["tied_rank"] < b["tied_rank"] or (a["tied_rank"] == b["tied_rank"] and a["unit"] < b["unit"])
               for a, b in zip(rows, rows[1:], strict=False))  # ties ordered by unit id
    assert sum(r["list"] == "black" for r in rows) <= len(rows) // 2
