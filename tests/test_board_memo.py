"""The kept red/black board (projections/board_memo.py) is only a kept order: whatever was recorded or reloaded
since, the board read through it equals the board ranked afresh from the read models, byte for byte, under any
list terms; new events move only the boards whose periods they fall in."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

import orjson
import pytest
from kafka_stand_ins import synthetic_bank

from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from domain.policy import Policy
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import board_memo, queries, score_memo
from projections.leaderboard import LEVELS, Lists, rows_of
from projections.store import ReadModelStore

PERIODS = [Period.parse(p) for p in ("2024-02", "2024Q1", "2024Q3", "2024")]


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    return synthetic_bank(tmp_path_factory.mktemp("bank"), 600, 5, 30)


def record(settings: Settings, lines: list[str]) -> None:
    log = open_log(settings)
    assert not log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines, 1)).rejected
    catch_up(settings, log=log)


def afresh(store: ReadModelStore, period: Period, level: str, size: int | str) -> list[dict[str, Any]]:
    lists = Lists.of(Policy.load(), period, level, size)
    return rows_of(queries.ranked_lines(store, period, level, period.previous), lists, level)


def same(settings: Settings) -> None:
    """Every board the command line reads (kept) equals the one ranked afresh, byte for byte."""
    with closing(open_read_models(settings)) as store:
        for period in PERIODS:
            for level in LEVELS:
                for size in (3, "20%"):
                    kept = leaderboard(settings, period, level, size)
                    fresh = afresh(store, period, level, size)
                    assert orjson.dumps(kept) == orjson.dumps(fresh), (period, level, size)


def bases(settings: Settings) -> dict[str, str]:
    with closing(open_read_models(settings)) as store:
        return {str(p): score_memo.basis(store, sorted({*p.months, *p.previous.months})) for p in PERIODS}


def test_a_kept_board_equals_the_board_ranked_afresh_through_new_events(settings: Settings, bank: Any) -> None:
    org, lines = bank
    open_log(settings).load_organisation(OrganisationSpec.parse(org))
    early = [line for line in lines if json.loads(line)["at"] < "2024-04"]
    record(settings, early)
    same(settings)  # ranked and kept
    same(settings)  # read back as kept
    before = bases(settings)
    record(settings, [line for line in lines if json.loads(line)["at"] >= "2024-04"])
    after = bases(settings)
    assert after["2024Q3"] != before["2024Q3"] and after["2024"] != before["2024"]
    assert after["2024-02"] == before["2024-02"]  # nothing received later falls in January or February
    same(settings)


def test_an_organisation_change_reranks_and_a_deleted_board_is_ranked_again(tmp_path: Path, bank: Any) -> None:
    org, lines = bank
    settings = Settings(home=tmp_path / "home")
    open_log(settings).load_organisation(OrganisationSpec.parse(org))
    record(settings, lines)
    same(settings)
    bigger = json.loads(json.dumps(org))
    outlets = [u for u in bigger["units"] if u["kind"] == "outlet"]
    for unit in outlets[::2]:
        unit["customers"] = unit.get("customers", 1000) * 7 + 1  # every other outlet's rates change
    open_log(settings).load_organisation(OrganisationSpec.parse(bigger))
    catch_up(settings)
    same(settings)
    with closing(open_read_models(settings)) as store:
        with store.transaction() as cursor:
            store.execute(cursor, "DELETE FROM board_memo")
        assert not store.query("SELECT COUNT(*) FROM board_memo")[0][0]
        period = PERIODS[1]
        assert board_memo.lines(store, period, "outlet", period.previous) == \
            board_memo.lines(store, period, "outlet", period.previous)
    same(settings)
