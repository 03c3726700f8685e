"""The red/black list on hand-made scenarios: the numbers follow from the contract's ordering rules."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log

ORG = {
    "units": [
        {"id": "HQ", "kind": "hq"},
        {"id": "BR", "kind": "branch", "parent": "HQ"},
        {"id": "SB1", "kind": "sub_branch", "parent": "BR"},
        {"id": "SB2", "kind": "sub_branch", "parent": "BR"},
        {"id": "O1", "kind": "outlet", "parent": "SB1", "customers": 10_000},
        {"id": "O2", "kind": "outlet", "parent": "SB1", "customers": 20_000},
        {"id": "O3", "kind": "outlet", "parent": "SB2", "customers": 10_000},
        {"id": "O4", "kind": "outlet", "parent": "BR"},  # directly under the branch, no customer base
    ],
    "people": [],
}
_ids = itertools.count(1)


def received(cid: str, outlet: str, day: str, via: str = "direct", kind: str = "complaint") -> dict[str, Any]:
    return {"action_id": f"A{next(_ids)}", "complaint_id": cid, "action": "received", "at": f"{day}T10:00:00+08:00",
            "outlet": outlet, "channel": "hotline", "via": via, "kind": kind}


def validated(cid: str, day: str, effective: bool = True, action_id: str | None = None) -> dict[str, Any]:
    return {"action_id": action_id or f"A{next(_ids)}", "complaint_id": cid, "action": "validated",
            "at": f"{day}T11:00:00+08:00", "effective": effective, "decided_by": "hq", "bank_caused": True}


class Bank:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.log = open_log(self.settings)
        self.log.load_organisation(OrganisationSpec.parse(ORG))

    def record(self, *actions: dict[str, Any]) -> None:
        outcome = self.log.record((n, parse_action(a)) for n, a in enumerate(actions, 1))
        assert not outcome.rejected, outcome.rejected

    def board(self, period: str, level: str = "outlet", size: int | str | None = 10, within: str | None = None,
              ) -> list[dict[str, Any]]:
        return leaderboard(self.settings, Period.parse(period), level, size, within=within)


@pytest.fixture
def bank(settings: Settings) -> Bank:  # on SQLite and on PostgreSQL
    b = Bank(settings)
    b.record(
        received("C1", "O1", "2024-03-05", via="pboc"), validated("C1", "2024-03-06", action_id="V1"),
        received("W1", "O1", "2024-03-07", via="hq", kind="work_order"),
        received("C2", "O2", "2024-03-08"), received("C3", "O2", "2024-03-09", via="nfra"),
        received("C4", "O4", "2024-03-10"),
        *[received(f"F{i}", "O2", "2024-02-10") for i in range(4)],
    )
    return b


def by_unit(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["unit"]: r for r in rows}


def test_counts_rates_and_order(bank: Bank) -> None:
    rows = bank.board("2024-03")
    assert [r["unit"] for r in rows] == ["O3", "O4", "O2", "O1"]  # rt 0 (rate 0, rate missing), rt 1 by rate
    assert [r["rank"] for r in rows] == [1, 2, 3, 4]
    o1, o2, o4 = (by_unit(rows)[u] for u in ("O1", "O2", "O4"))
    assert (o1["work_orders"], o1["complaints"], o1["regulator_transferred"], o1["effective"]) == (2, 1, 1, 1)
    assert (o2["work_orders"], o2["complaints"], o2["regulator_transferred"], o2["effective"]) == (2, 2, 1, 0)
    assert o1["regulator_transferred_per_10k"] == 1.0 and o2["regulator_transferred_per_10k"] == 0.5
    assert o2["complaints_per_10k"] == 1.0 and o1["work_orders_per_10k"] == 2.0
    assert o4["complaints_per_10k"] is None and o4["complaints"] == 1


def test_red_and_black_lists(bank: Bank) -> None:
    small = by_unit(bank.board("2024-03", size=1))
    assert [small[u]["list"] for u in ("O3", "O4", "O2", "O1")] == ["red", None, None, "black"]
    default = by_unit(bank.board("2024-03"))  # N = 10 > units: black (rt >= 1) wins the overlap
    assert [default[u]["list"] for u in ("O3", "O4", "O2", "O1")] == ["red", "red", "black", "black"]


def test_zero_complaint_units_appear_and_ties_break_on_unit_id(settings: Settings) -> None:
    bank = Bank(settings)
    bank.record(received("C1", "O1", "2024-05-01"), received("C3", "O3", "2024-05-01"))
    rows = bank.board("2024-05")
    assert [r["unit"] for r in rows] == ["O2", "O1", "O3", "O4"]  # O1 and O3: same counts, same base
    assert by_unit(rows)["O2"]["complaints"] == 0


def test_roll_up_to_sub_branch_and_branch(bank: Bank) -> None:
    subs = by_unit(bank.board("2024-03", level="sub_branch"))
    assert set(subs) == {"SB1", "SB2"}  # O4 sits under no sub-branch
    assert (subs["SB1"]["complaints"], subs["SB1"]["regulator_transferred"], subs["SB1"]["customers"]) == (3, 2, 30_000)
    assert subs["SB2"]["rank"] == 1 and subs["SB1"]["list"] == "black"
    branch = bank.board("2024Q1", level="branch")
    assert [(r["unit"], r["work_orders"], r["complaints"]) for r in branch] == [("BR", 9, 8)]


def test_change_against_previous_period(bank: Bank) -> None:
    o2 = by_unit(bank.board("2024-03"))["O2"]
    assert o2["complaints_previous"] == 4 and o2["complaints_change_pct"] == -50.0
    assert o2["previous_rank"] == 3 and o2["rank_change"] == 0  # February: O1, O3 (rate 0), O2, O4 (no base)
    o4 = by_unit(bank.board("2024-03"))["O4"]
    assert o4["previous_rank"] == 4 and o4["rank_change"] == 2
    assert by_unit(bank.board("2024-03"))["O1"]["complaints_change_pct"] is None  # nothing to compare


def test_annulled_validation_and_later_validation(bank: Bank) -> None:
    bank.record({"action_id": "X1", "complaint_id": "C1", "action": "annulled", "at": "2024-04-02T09:00:00+08:00",
                 "target_action_id": "V1", "reason": "wrong complaint"})
    assert by_unit(bank.board("2024-03"))["O1"]["effective"] == 0
    bank.record(validated("C2", "2024-04-20"))  # validated in the next quarter: counted where received
    assert by_unit(bank.board("2024-03"))["O2"]["effective"] == 1
    assert by_unit(bank.board("2024-04"))["O2"]["effective"] == 0


def test_every_event_folded_once_across_catch_ups(bank: Bank) -> None:
    first = bank.board("2024-03")
    assert catch_up(bank.settings, log=bank.log) == 0  # nothing new: nothing folded again
    assert bank.board("2024-03") == first
    assert sum(r["work_orders"] for r in bank.board("2024")) == 9


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_database_ranks_as_the_reference_order_does(settings: Settings, seed: int) -> None:
    """`ranked_lines` (the database sorts) gives the same boards as `board` over `unit_lines` (Python sorts):
    ties everywhere, equal rates from different counts, outlets with no customer base, ids that a
    locale would order differently from code points, periods with and without anything to compare."""
    import random

    from domain.policy import ListSize
    from plaintrail.wiring import open_read_models
    from projections import queries
    from projections.leaderboard import LEVELS, Lists, board, ranked, rows_of

    rng = random.Random(seed)
    store = open_read_models(settings)
    try:
        units: list[tuple[str, str, str | None, int | None]] = [("HQ", "hq", None, None), ("BR", "branch", "HQ", None)]
        subs = [f"S{n}" for n in range(6)]
        units += [(s, "sub_branch", "BR", None) for s in subs]
        outlets = [rng.choice(["o", "O", "é", "Z", "a-", "a_"]) + str(n) for n in range(120)]
        units += [(o, "outlet", rng.choice(subs), rng.choice([None, 0, 5_000, 10_000, 20_000, 30_000]))
                  for o in outlets]
        with store.transaction() as cursor:
            store.executemany(cursor, "INSERT INTO org_units (unit, name, kind, parent, customers) "
                              "VALUES (?, ?, ?, ?, ?)", [(u, u.lower(), k, p, c) for u, k, p, c in units])
            store.executemany(cursor, "INSERT INTO org_rollup (outlet, sub_branch, branch) VALUES (?, ?, 'BR')",
                              [(u, p) for u, k, p, _ in units if k == "outlet"])
            rows = []
            for period in ("2024-01", "2024-02"):
                for outlet in rng.sample(outlets, 90):
                    scale = rng.choice([1, 2, 3])
                    t = rng.choice([0, 0, 0, 1, 2]) * scale
                    c = t + rng.choice([0, 1, 2, 4]) * scale
                    rows.append((outlet, period, c + rng.randrange(3), c, t, min(c, rng.randrange(3))))
            store.executemany(cursor, "INSERT INTO indicators (unit, period, work_orders, complaints, "
                              "regulator_transferred, effective) VALUES (?, ?, ?, ?, ?, ?)", rows)
        for period, compare in (("2024-02", "2024-01"), ("2024-01", "2023-12"), ("2024-02", None)):
            now, before = Period.parse(period), Period.parse(compare) if compare else None
            for level in LEVELS:
                for lists in (Lists(ListSize(0)), Lists(ListSize(3)), Lists(ListSize(10), "exclude", "v1"),
                              Lists(ListSize.parse("10%"))):
                    expected = board(*queries.unit_lines(store, now, level, before), lists, level)
                    ordered = queries.ranked_lines(store, now, level, before)
                    assert rows_of(ordered, lists, level) == expected
                    assert len(expected) == sum(1 for u in units if u[1] == level)
                    if level == "outlet":  # a sub-branch's own board = the reference over its outlets alone
                        inside = {u for u, _, p, _ in units if p == "S1"}
                        own = ranked(ordered, lists, level, inside)
                        current, previous = queries.unit_lines(store, now, level, before)
                        alone = board([x for x in current if x[0] in inside],
                                      [x for x in previous if x[0] in inside] if before else None, lists, level)
                        if not any(x[3] for x in previous if x[0] in inside):  # nothing there before:
                            assert all(r["previous_rank"] is None for r in alone)  # the subset's own rule
                            own = [dict(r, previous_rank=None, previous_tied_rank=None, rank_change=None,
                                        tied_rank_change=None) for r in own]
                        assert [{k: v for k, v in r.items() if not k.startswith("bank_")} for r in own] == alone
                        assert [r["bank_rank"] for r in own] == sorted(r["bank_rank"] for r in own)
    finally:
        store.close()


def test_within_each_level_ranks_only_the_units_under_it(bank: Bank) -> None:
    outlets = bank.board("2024-03", within="SB1", size=1)
    assert [(r["unit"], r["rank"], r["bank_rank"], r["list"], r["bank_list"]) for r in outlets] == [
        ("O2", 1, 3, "red", None), ("O1", 2, 4, "black", "black")]  # O2 is red among SB1's own outlets
    assert [r["unit"] for r in bank.board("2024-03", within="BR")] == ["O3", "O4", "O2", "O1"]  # O4 too
    subs = bank.board("2024-03", level="sub_branch", within="BR", size=None)
    assert [(r["unit"], r["bank_rank"], r["list_size"]) for r in subs] == [("SB2", 1, 2), ("SB1", 2, 2)]
    assert [r["unit"] for r in bank.board("2024-03", level="branch", within="HQ", size=None)] == ["BR"]
    with pytest.raises(ValueError, match="SB1 is a sub-branch: no sub-branch sits under it"):
        bank.board("2024-03", level="sub_branch", within="SB1")
    with pytest.raises(LookupError, match="no unit NOPE"):
        bank.board("2024-03", within="NOPE")


def test_the_policy_names_n_per_level_and_its_version(bank: Bank) -> None:
    subs = bank.board("2024-03", level="sub_branch", size=None)  # the policy: sub_branch = 2, half of 2 is 1
    assert [(r["unit"], r["list"], r["list_size"], r["list_policy_version"]) for r in subs] == [
        ("SB2", "red", 2, "seed-2020"), ("SB1", "black", 2, "seed-2020")]
    branch = bank.board("2024-03", level="branch", size=None)  # "10%" of one branch: no list
    assert [(r["unit"], r["list"], r["list_size"]) for r in branch] == [("BR", None, 0)]
    assert "N = 0 (policy seed-2020, branch = 10% of 1 branch" in branch[0]["list_note"]
    assert "--size 1" in bank.board("2024-03", size=1)[0]["list_note"]


def test_the_cli_prints_the_lists_or_every_unit(bank: Bank, capsys: pytest.CaptureFixture[str], tmp_path: Any,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from plaintrail.cli import main

    home = ["--home", str(bank.settings.home)]
    if bank.settings.database_url:
        monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", bank.settings.database_url)
    assert main([*home, "leaderboard", "--period", "2024-03", "--size", "1"]) == 0
    table = capsys.readouterr().out
    assert "red list 红榜: 1" in table and "black list 黑榜: 1" in table and "O3" in table and "O1" in table
    assert "O4" not in table and "O2" not in table and "--all shows every one" in table
    assert main([*home, "leaderboard", "--period", "2024-03", "--size", "1", "--all"]) == 0
    every = capsys.readouterr().out
    assert all(u in every for u in ("O1", "O2", "O3", "O4"))
    assert main([*home, "leaderboard", "--period", "2024-03", "--size", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert isinstance(rows, list) and len(rows) == 4 and {"tied_rank", "tied_with", "list_note"} <= set(rows[0])
    assert main([*home, "leaderboard", "--period", "2024-03", "--within", "SB1", "--level", "outlet"]) == 0
    assert "within SB1" in capsys.readouterr().out
    policy = tmp_path / "exclude.toml"
    from domain.policy import DEFAULT

    policy.write_text(DEFAULT.read_text(encoding="utf-8").replace('ties = "include"', 'ties = "exclude"'),
                      encoding="utf-8")
    assert main([*home, "leaderboard", "--period", "2024-05", "--json", "--size", "1", "--policy", str(policy)]) == 0
    assert [r["list"] for r in json.loads(capsys.readouterr().out)] == [None] * 4  # 3 tie at nothing, O4 no rate
    assert main([*home, "leaderboard", "--period", "2024-05", "--json", "--size", "1"]) == 0
    assert [(r["unit"], r["tied_rank"], r["list"]) for r in json.loads(capsys.readouterr().out)] == [
        ("O1", 1, "red"), ("O2", 1, "red"), ("O3", 1, "red"), ("O4", 4, None)]
    assert main([*home, "leaderboard", "--period", "2024-03", "--size", "ten"]) == 2
    assert "list size 'ten'" in capsys.readouterr().err
