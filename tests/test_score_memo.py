"""HR's kept scores (projections/score_memo.py) are only kept answers: whatever was recorded, folded, rebuilt or
reloaded since, the scores read through them equal the scores worked out afresh from the read models; a month's
new events leave the other quarters' answers standing; the rebuild keeps every quarter before going live."""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kafka_stand_ins import synthetic_bank

from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from domain.policy import Policy
from plaintrail import wiring
from plaintrail.cli import main
from plaintrail.commands.scores import _worked_out, compute, evidence, kept_as, totals
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import queries, score_memo
from projections.store import ReadModelStore

ZONES = ("Asia/Shanghai", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu", "America/St_Johns", "UTC")
QUARTERS = [Period.parse(q) for q in ("2024Q1", "2024Q2", "2024Q3", "2024Q4")]


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    return synthetic_bank(tmp_path_factory.mktemp("bank"), 500, 21, 12)


def recorded(where: Path | Settings, org: dict[str, Any], lines: list[str]) -> Settings:
    settings = where if isinstance(where, Settings) else Settings(home=where / "home")
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(org))
    record(settings, lines)
    return settings


def record(settings: Settings, lines: list[str]) -> None:
    log = open_log(settings)
    outcome = log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines, 1))
    assert not outcome.rejected
    catch_up(settings, log=log)


def afresh(settings: Settings, store: ReadModelStore, period: Period, policy: Policy | None = None) -> Any:
    return _worked_out(settings, period, policy or Policy.load(), False, None, store, None)


def kept(settings: Settings, store: ReadModelStore, period: Period, policy: Policy | None = None) -> Any:
    return score_memo.read(store, period, *kept_as(settings, period, policy or Policy.load(), store))


def test_scores_are_kept_once_worked_out_and_read_back_equal(settings: Settings, bank: Any) -> None:
    org, lines = bank
    recorded(settings, org, lines)
    with closing(open_read_models(settings)) as store:
        assert kept(settings, store, QUARTERS[1]) is None
        first = compute(settings, QUARTERS[1], Policy.load(), store=store)
        assert first[0] and any(r["entries"] for r in first[0])
        assert kept(settings, store, QUARTERS[1]) == first == afresh(settings, store, QUARTERS[1])
        assert compute(settings, QUARTERS[1], Policy.load(), store=store) == first
        assert totals(settings, QUARTERS[1], Policy.load(), store) == [score_memo.summary(r) for r in first[0]]
        someone = max(first[0], key=lambda r: len(r["entries"]))
        assert evidence(settings, QUARTERS[1], Policy.load(), store, someone["person"]) == someone
        with store.transaction() as cursor:  # deleting the kept answers changes no result
            store.execute(cursor, "DELETE FROM score_rows")
        assert compute(settings, QUARTERS[1], Policy.load(), store=store) == first


def test_new_events_move_only_the_quarters_they_touch_and_every_answer_stays_right(settings: Settings, bank: Any,
                                                                                   ) -> None:
    org, lines = bank
    early = [line for line in lines if json.loads(line)["at"] < "2024-07"]
    recorded(settings, org, early)
    with closing(open_read_models(settings)) as store:
        before = {q: compute(settings, q, Policy.load(), store=store) for q in QUARTERS}
        bases = {q: kept_as(settings, q, Policy.load(), store)[1] for q in QUARTERS}
    record(settings, [line for line in lines if line not in set(early)])
    with closing(open_read_models(settings)) as store:
        moved = {q for q in QUARTERS if kept_as(settings, q, Policy.load(), store)[1] != bases[q]}
        for q in QUARTERS:
            assert compute(settings, q, Policy.load(), store=store) == afresh(settings, store, q)
        assert before[QUARTERS[3]] != afresh(settings, store, QUARTERS[3])
    assert QUARTERS[3] in moved  # the later half of the year was recorded
    assert QUARTERS[0] not in moved  # nothing later touched January to March: its answer stood


def test_an_organisation_change_and_another_policy_are_never_answered_from_the_old(tmp_path: Path, bank: Any,
                                                                                  ) -> None:
    org, lines = bank
    settings = recorded(tmp_path, org, lines)
    with closing(open_read_models(settings)) as store:
        rows, _ = compute(settings, QUARTERS[1], Policy.load(), store=store)
    fined = next(r for r in rows if r["entries"])
    renamed = json.loads(json.dumps(org))
    for person in renamed["people"]:
        if person["id"] == fined["person"]:
            person["name"] = "Renamed Person"
    open_log(settings).load_organisation(OrganisationSpec.parse(renamed))
    catch_up(settings)
    with closing(open_read_models(settings)) as store:
        again, _ = compute(settings, QUARTERS[1], Policy.load(), store=store)
        assert next(r for r in again if r["person"] == fined["person"])["name"] == "Renamed Person"
        assert (again, _) == afresh(settings, store, QUARTERS[1])
        data = Policy.load()
        doubled = Policy(data.name, tuple(replace(v, fines={k: f * 2 for k, f in v.fines.items()})
                                          for v in data.versions))
        what_if = compute(settings, QUARTERS[1], doubled, store=store)
        assert what_if == afresh(settings, store, QUARTERS[1], doubled) != (again, _)
        assert compute(settings, QUARTERS[1], Policy.load(), store=store)[0] == again


def test_the_rebuild_keeps_every_quarter_before_going_live(tmp_path: Path, bank: Any) -> None:
    org, lines = bank
    settings = recorded(tmp_path, org, lines)
    wiring.rebuild(settings)
    with closing(open_read_models(settings)) as store:
        for q in QUARTERS:
            found = kept(settings, store, q)
            assert found is not None and found == afresh(settings, store, q)


def test_totals_and_one_persons_evidence_on_the_command_line(tmp_path: Path, bank: Any,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    org, lines = bank
    settings = recorded(tmp_path, org, lines)
    home = str(settings.home)
    assert main(["--home", home, "scores", "--period", "2024Q2", "--json"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert main(["--home", home, "scores", "--period", "2024Q2", "--totals", "--json"]) == 0
    sums = json.loads(capsys.readouterr().out)
    assert [s["person"] for s in sums] == [r["person"] for r in full]
    for s, r in zip(sums, full, strict=True):
        assert (s["fines_cny"], s["points"], s["entry_count"]) == (r["fines_cny"], r["points"], len(r["entries"]))
        assert s["complaints"] == len({e["complaint_id"] for e in r["entries"]}) and "entries" not in s
    someone = max(full, key=lambda r: len(r["entries"]))
    assert main(["--home", home, "scores", "--period", "2024Q2", "--person", someone["person"], "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == someone
    assert main(["--home", home, "scores", "--period", "2024Q2", "--person", someone["person"]]) == 0
    shown = capsys.readouterr().out
    assert someone["fines_cny"] in shown and someone["entries"][0]["complaint_id"] in shown
    assert main(["--home", home, "scores", "--period", "2024Q2", "--person", "NOBODY"]) != 0
    assert "no person NOBODY" in capsys.readouterr().err
    for slip in ("", "  "):  # an empty id is refused, not taken for everyone's scores
        assert main(["--home", home, "scores", "--period", "2024Q2", "--person", slip, "--json"]) == 2
        out, err = capsys.readouterr()
        assert out == "" and "--person was given an empty value" in err


def test_the_dashboards_bank_wide_scores_read_the_kept_ones_and_equal_the_scoped_path(tmp_path: Path, bank: Any,
                                                                                     ) -> None:
    from plaintrail import sla_rules
    from projections.access import Viewer
    from projections.scoped import ScopedReader

    org, lines = bank
    settings = recorded(tmp_path, org, lines)
    with closing(open_read_models(settings)) as store:
        log = open_log(settings)
        for role in ("hr", "management"):
            viewer = Viewer("someone", role)
            kept_reader = ScopedReader(viewer, store, log, settings.tz, sla_rules.load(),
                                       kept=lambda period, policy: compute(settings, period, policy, store=store))
            plain = ScopedReader(viewer, store, log, settings.tz, sla_rules.load())
            for q in QUARTERS:
                assert kept_reader.scores(q, Policy.load()) == plain.scores(q, Policy.load())
                assert kept(settings, store, q) is not None


@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2098, 12, 31),
                           timezones=st.sampled_from([ZoneInfo(z) for z in ZONES])),
       bank=st.sampled_from(ZONES))
def test_a_moment_marks_its_month_in_every_zone_a_bank_may_keep(moment: datetime, bank: str) -> None:
    """Marks take a time's own calendar month (and the neighbour within a day of the turn): the bank's month of
    it, in whatever zone, is always among them."""
    local = moment.astimezone(ZoneInfo(bank))
    assert f"{local.year:04d}-{local.month:02d}" in score_memo.months_of([moment])
    assert len(score_memo.months_of([moment])) <= 2


def test_marks_read_only_what_a_history_added_and_equal_a_whole_reading(tmp_path: Path, bank: Any) -> None:
    org, lines = bank
    settings = recorded(tmp_path, org, lines[:3000])
    with closing(open_read_models(settings)) as store:
        facts = list(queries.all_facts(store))
    assert sum(len(f.history) > 3 for f in facts) > 50
    marks = score_memo.Marks()
    for whole in facts:
        for k in range(1, len(whole.history) + 1):  # the history as it grew, one fold at a time
            grown = replace(whole, history=dict(list(whole.history.items())[:k]))
            assert marks.of(grown) == score_memo.touched(grown)
        shorter = replace(whole, history=dict(list(whole.history.items())[:1]))  # read again after a rollback
        assert marks.of(shorter) == score_memo.touched(shorter)


def test_answers_whose_basis_moved_are_dropped_and_standing_ones_kept(tmp_path: Path, bank: Any) -> None:
    org, lines = bank
    early = [line for line in lines if json.loads(line)["at"] < "2024-06-15"]
    settings = recorded(tmp_path, org, early)
    data = Policy.load()
    doubled = Policy(data.name, tuple(replace(v, fines={k: f * 2 for k, f in v.fines.items()})
                                      for v in data.versions))
    q = QUARTERS[1]
    with closing(open_read_models(settings)) as store:
        compute(settings, q, data, store=store)
        compute(settings, q, doubled, store=store)
        assert store.query("SELECT COUNT(*) FROM score_memo WHERE period = ?", (str(q),))[0][0] == 2  # a what-if
        # leaves the answer in force standing
    record(settings, [line for line in lines if line not in set(early)])  # June's second half moves the quarter
    with closing(open_read_models(settings)) as store:
        rows = compute(settings, q, data, store=store)
        keys = {k for k, in store.query("SELECT key FROM score_memo WHERE period = ?", (str(q),))}
        assert keys == {kept_as(settings, q, data, store)[0]}
        assert {k for k, in store.query("SELECT DISTINCT key FROM score_rows WHERE period = ?", (str(q),))} == keys
        assert rows == afresh(settings, store, q)
        assert compute(settings, q, doubled, store=store) == afresh(settings, store, q, doubled)


@pytest.mark.parametrize("period", ["0001Q1", "0001-01", "0001", "9999Q4", "9999-12"])
def test_a_period_at_either_end_of_the_calendar_is_scored_and_kept(tmp_path: Path, bank: Any, period: str) -> None:
    """The repeat-error window before year 1's first quarter reaches before any date: it starts at year 1."""
    org, lines = bank
    settings = recorded(tmp_path, org, lines[:200])
    with closing(open_read_models(settings)) as store:
        q = Period.parse(period)
        assert compute(settings, q, Policy.load(), store=store) == ([], [])
        assert kept(settings, store, q) == ([], [])
        assert totals(settings, q, Policy.load(), store) == []


def test_processes_keeping_one_period_at_once_all_answer_right(tmp_path: Path, bank: Any) -> None:
    """Four threads, each with its own connection, work out and keep the same quarter at the same time."""
    from concurrent.futures import ThreadPoolExecutor

    org, lines = bank
    settings = recorded(tmp_path, org, lines)

    def keep(_: int) -> Any:
        with closing(open_read_models(settings)) as store:
            return compute(settings, QUARTERS[1], Policy.load(), store=store)

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(keep, range(4)))
    with closing(open_read_models(settings)) as store:
        right = afresh(settings, store, QUARTERS[1])
        assert all(answer == right for answer in answers)
        assert kept(settings, store, QUARTERS[1]) == right
        assert store.query("SELECT COUNT(*) FROM score_memo WHERE period = ?", (str(QUARTERS[1]),))[0][0] == 1
