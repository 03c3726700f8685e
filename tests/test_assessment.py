"""The assessment beyond the fines, on hand-computed cases: departments by share, positive and negative points
with the annual grade, appeals, rewards, accountability notices. Policy: plaintrail/policies/default.toml."""

from __future__ import annotations

import itertools
import json
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.actions import InvalidAction, parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from domain.policy import DEFAULT, InvalidPolicy, Policy
from plaintrail.cli import main
from plaintrail.commands.scores import compute
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.staff import ranked

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ORG = {
    "units": [
        {"id": "HQ", "kind": "hq"}, {"id": "BR", "kind": "branch", "parent": "HQ"},
        {"id": "SB", "kind": "sub_branch", "parent": "BR"},
        {"id": "O1", "kind": "outlet", "parent": "SB", "customers": 1000},
        {"id": "O2", "kind": "outlet", "parent": "SB", "customers": 1000},
        {"id": "D-RET", "name": "个人金融部 Retail", "kind": "department", "parent": "BR"},
        {"id": "D-CARD", "name": "信用卡部 Cards", "kind": "department", "parent": "BR"},
    ],
    "people": [
        {"id": "PRES", "roles": [{"role": "president", "unit": "BR", "from": "2020-01-01"}]},
        {"id": "VP", "roles": [{"role": "supervising_vp", "unit": "SB", "from": "2020-01-01"}]},
        {"id": "H1", "roles": [{"role": "head", "unit": "O1", "from": "2020-01-01"}]},
        {"id": "H2", "roles": [{"role": "head", "unit": "O2", "from": "2020-01-01"}]},
        {"id": "C1", "roles": [{"role": "handler", "unit": "O1", "from": "2020-01-01"}]},
        {"id": "RH", "roles": [{"role": "head", "unit": "D-RET", "from": "2020-01-01"}]},
    ],
}
_ids = itertools.count(1)


def act(cid: str, action: str, day: str, **fields: Any) -> dict[str, Any]:
    return {"action_id": fields.pop("action_id", f"{cid}-{next(_ids)}"), "complaint_id": cid, "action": action,
            "at": f"{day}T10:00:00+08:00", **fields}


def effective(cid: str, outlet: str, received: str, validated: str, decided_by: str = "hq",
              **extra: Any) -> list[dict[str, Any]]:
    return [act(cid, "received", received, outlet=outlet, channel="hotline", via="direct", **extra),
            act(cid, "validated", validated, action_id=f"{cid}-V", effective=True, decided_by=decided_by,
                bank_caused=True)]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(ORG))
    return settings


@pytest.fixture
def home_cli(settings: Settings, capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    """`plaintrail --home HOME ARGS...` -> its JSON output."""
    def run(*argv: str) -> Any:
        capsys.readouterr()
        assert main(["--home", str(settings.home), *argv]) == 0
        return json.loads(capsys.readouterr().out)
    return run


def record(settings: Settings, *actions: dict[str, Any]) -> list[tuple[int, str]]:
    outcome = open_log(settings).record((n, parse_action(a)) for n, a in enumerate(actions, 1))
    return outcome.rejected


def rows(settings: Settings, period: str, units: bool = False) -> dict[str, dict[str, Any]]:
    found, _ = compute(settings, Period.parse(period), Policy.load(DEFAULT), units=units, now=NOW)
    return {r["unit" if units else "person"]: r for r in found}


# -- departments involved (对口部门) -------------------------------------------------------------------


def test_shares_that_do_not_make_a_whole_are_rejected_with_the_reason() -> None:
    base = {"action_id": "a", "complaint_id": "c", "action": "responsibility_assigned", "at": "2024-01-01T10:00:00Z"}
    with pytest.raises(InvalidAction, match="shares must sum to 1, not 0.9"):
        parse_action(dict(base, shares={"D-RET": "0.6", "D-CARD": "0.3"}))
    with pytest.raises(InvalidAction, match="shares"):
        parse_action(dict(base, shares={"D-RET": "1.2", "D-CARD": "-0.2"}))
    with pytest.raises(InvalidAction, match="shares"):
        parse_action(dict(base, shares={}))
    csv_cell = parse_action(dict(base, shares="D-RET=0.75;D-CARD=0.25"))
    assert csv_cell.fields()["shares"] == {"D-RET": "0.75", "D-CARD": "0.25"}


def test_shares_name_known_departments(settings: Settings) -> None:
    rejected = record(settings, *effective("C1", "O1", "2024-01-05", "2024-01-20"),
                      act("C1", "responsibility_assigned", "2024-01-21", shares={"O2": "1"}),
                      act("C1", "responsibility_assigned", "2024-01-21", shares={"D-NONE": "1"}))
    assert [line for line, _ in rejected] == [3, 4]
    assert "unknown department 'O2'" in rejected[0][1] and "D-NONE" in rejected[1][1]


def test_departments_get_their_share_of_the_tier_points_in_the_quarter_validated(settings: Settings) -> None:
    # hq tier: -4 for the whole complaint -> 0.7 * -4 = -2.8, 0.3 * -4 = -1.2; regulator: -6 -> all to D-RET
    assert not record(settings, *effective("C1", "O1", "2024-03-05", "2024-04-02"),
                      act("C1", "responsibility_assigned", "2024-04-03", action_id="C1-R",
                          shares={"D-RET": "0.7", "D-CARD": "0.3"}),
                      *effective("C2", "O2", "2024-04-10", "2024-04-20", decided_by="pboc"),
                      act("C2", "responsibility_assigned", "2024-04-21", shares={"D-RET": "1"}))
    units = rows(settings, "2024Q2", units=True)
    assert units["D-RET"]["points"] == -8.8 and units["D-CARD"]["points"] == -1.2
    assert units["D-RET"]["kind"] == "department"
    first = next(e for e in units["D-CARD"]["entries"] if e["complaint_id"] == "C1")
    assert first["rule"] == "department.effective.hq" and first["share"] == "0.3"
    assert first["policy_version"] == "seed-2020" and "C1-R" in first["events"] and "C1-V" in first["events"]
    assert "D-RET" not in rows(settings, "2024Q1", units=True)  # validated in Q2: nothing in Q1


def test_an_annulled_assignment_is_corrected_by_the_next(settings: Settings) -> None:
    assert not record(settings, *effective("C1", "O1", "2024-04-05", "2024-04-20"),
                      act("C1", "responsibility_assigned", "2024-04-21", action_id="R1", shares={"D-RET": "1"}),
                      act("C1", "annulled", "2024-04-22", target_action_id="R1", reason="wrong department"))
    assert "D-RET" not in rows(settings, "2024Q2", units=True)
    assert not record(settings, act("C1", "responsibility_assigned", "2024-04-23", shares={"D-CARD": "1"}))
    units = rows(settings, "2024Q2", units=True)
    assert "D-RET" not in units and units["D-CARD"]["points"] == -4


# -- positive and negative points, the annual grade ----------------------------------------------------


@pytest.mark.parametrize(("points", "grade"), [
    (Decimal("2"), "A"), (Decimal("1.99"), "B"), (Decimal("0"), "B"), (Decimal("-0.01"), "C"),
    (Decimal("-6"), "C"), (Decimal("-6.01"), "D"), (Decimal("-1000"), "D"), (Decimal("40"), "A")])
def test_grade_bands_edges_belong_to_the_better_band(points: Decimal, grade: str) -> None:
    bands = Policy.load(DEFAULT).on(date(2024, 12, 31)).assessment.grades
    assert bands.of(points) == grade


def test_unit_bands_are_their_own() -> None:
    bands = Policy.load(DEFAULT).on(date(2024, 12, 31)).assessment.grades
    assert [bands.of(p, unit=True) for p in (10, 9, 0, -15, -16)] == ["A", "B", "B", "C", "D"]


def test_bands_out_of_order_are_refused() -> None:
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    raw["version"][0]["grades"]["person"] = [{"grade": "A", "min": 0}, {"grade": "B", "min": 5}, {"grade": "C"}]
    with pytest.raises(InvalidPolicy, match="best first"):
        Policy.parse(raw)
    raw["version"][0]["grades"]["person"] = [{"grade": "A"}, {"grade": "B", "min": 5}]
    with pytest.raises(InvalidPolicy, match="only the last band"):
        Policy.parse(raw)


def test_a_year_is_graded_with_each_quarter_beside_it(settings: Settings, home_cli: Any) -> None:
    # H1: an hq complaint in Q1 (-1) and a regulator one in Q3 (-2): year -3 -> C (C from -6 up to 0)
    assert not record(settings, *effective("C1", "O1", "2024-02-01", "2024-02-10"),
                      *effective("C2", "O1", "2024-08-01", "2024-08-10", decided_by="nfra"))
    year = {r["person"]: r for r in home_cli("scores", "--period", "2024", "--json")}
    assert year["H1"]["points"] == -3 and year["H1"]["grade"] == "C" and year["H1"]["negative_points"] == -3
    assert year["H1"]["positive_points"] == 0 and year["H1"]["grade_policy_version"] == "seed-2020"
    assert year["H1"]["quarters"]["2024Q1"]["points"] == -1 and year["H1"]["quarters"]["2024Q3"]["points"] == -2
    assert year["H1"]["quarters"]["2024Q2"] == {"fines_cny": "0.00", "points": 0, "positive_points": 0,
                                                "negative_points": 0}
    assert year["H1"]["fines_cny"] == "4500.00" and year["H1"]["entries"][0]["rule"] == "fine.hq"  # contract keys
    quarter = {r["person"]: r for r in home_cli("scores", "--period", "2024Q1", "--json")}
    assert quarter["H1"]["grade"] is None  # only a year is graded
    units = {r["unit"]: r for r in home_cli("scores", "--period", "2024", "--units", "--json")}
    assert units["O1"]["grade"] in {"A", "B", "C", "D"} and units["O1"]["kind"] == "outlet"


@hypothesis_settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["O1", "O2"]), st.integers(1, 170), st.sampled_from(["hq", "pboc"]),
                          st.sampled_from([None, "0.5", "0.25", "1"])), min_size=1, max_size=6))
def test_totals_equal_the_sum_of_entries(tmp_path_factory: pytest.TempPathFactory,
                                         cases: list[tuple[str, int, str, str | None]]) -> None:
    settings = Settings(home=tmp_path_factory.mktemp("prop"))
    open_log(settings).load_organisation(OrganisationSpec.parse(ORG))
    actions = []
    for n, (outlet, day, decided, share) in enumerate(cases):
        when = (date(2024, 1, 1) + timedelta(days=day)).isoformat()
        actions += effective(f"P{n}", outlet, when, when, decided_by=decided)
        if share is not None:
            rest = {"D-CARD": str(1 - Decimal(share))} if share != "1" else {}
            actions.append(act(f"P{n}", "responsibility_assigned", when, shares={"D-RET": share, **rest}))
    assert not record(settings, *actions)
    for period in ("2024Q1", "2024Q2", "2024"):
        for units in (False, True):
            for row in rows(settings, period, units).values():
                entries = row["entries"]
                assert Decimal(str(row["points"])) == sum(Decimal(str(e["points"])) for e in entries)
                assert Decimal(str(row["positive_points"])) + Decimal(str(row["negative_points"])) == \
                    Decimal(str(row["points"]))
                if not units:
                    assert Decimal(row["fines_cny"]) == sum(Decimal(e["amount"]) for e in entries
                                                            if e["rule"].startswith(("fine.", "accountability.")))


# -- appeals ----------------------------------------------------------------------------------------------


def appealed_fine(settings: Settings) -> None:
    assert not record(settings, *effective("C1", "O1", "2024-02-01", "2024-02-05"),
                      act("C1", "appealed", "2024-02-06", action_id="A1", actor="H1", subject="H1", rule="fine.hq",
                          reason="the customer's misunderstanding, not the outlet's"))


def test_an_overturned_entry_leaves_the_totals_and_stays_visible_with_the_evidence(settings: Settings) -> None:
    appealed_fine(settings)
    before = rows(settings, "2024Q1")
    assert before["H1"]["fines_cny"] == "2000.00" and before["H1"]["entries"][0]["appeal_decision"] == "pending"
    assert not record(settings, act("C1", "appeal_decided", "2024-02-10", action_id="D1", actor="PRES",
                                    appeal_action_id="A1", decision="overturned", reason="recording shows no fault",
                                    evidence="录音 2024-02-01 10:03"))
    after = rows(settings, "2024Q1")
    h1 = after["H1"]
    assert (h1["fines_cny"], h1["points"], h1["entries"]) == ("0.00", 0, [])
    [gone] = h1["overturned"]
    assert gone["rule"] == "fine.hq" and gone["amount"] == "2000.00" and gone["appeal_decision"] == "overturned"
    decided = gone["appeal"]["decided"]
    assert (decided["by"], decided["evidence"], decided["action_id"]) == ("PRES", "录音 2024-02-01 10:03", "D1")
    assert after["VP"]["fines_cny"] == after["PRES"]["fines_cny"] == "2000.00"  # only the entry appealed
    units = rows(settings, "2024Q1", units=True)
    [own] = [e for e in units["O1"]["entries"] if e["rule"] == "outlet.effective.hq"]  # not appealed: it stands
    assert own["points"] == -2 and units["O1"]["overturned"] == []


def test_a_second_appeal_on_the_same_entry_is_refused(settings: Settings) -> None:
    appealed_fine(settings)
    again = act("C1", "appealed", "2024-02-07", actor="H1", subject="H1", rule="fine.hq", reason="once more")
    [(line, reason)] = record(settings, again)
    assert "appealed already (A1); one appeal per entry" in reason
    assert not record(settings, act("C1", "appeal_decided", "2024-02-10", actor="PRES", appeal_action_id="A1",
                                    decision="upheld", reason="the fault stands"))
    assert record(settings, dict(again, action_id="again-2"))  # still refused after the decision
    assert not record(settings, act("C1", "appealed", "2024-02-07", actor="VP", subject="VP", rule="fine.hq",
                                    reason="another person's entry is another appeal"))
    h1 = rows(settings, "2024Q1")["H1"]
    assert h1["fines_cny"] == "2000.00" and h1["entries"][0]["appeal"]["decision"] == "upheld"


def test_a_decision_needs_a_standing_appeal_and_only_one(settings: Settings) -> None:
    appealed_fine(settings)
    [(_, reason)] = record(settings, act("C1", "appeal_decided", "2024-02-10", actor="PRES", appeal_action_id="NOPE",
                                         decision="overturned", reason="x"))
    assert "no standing appeal NOPE" in reason
    assert not record(settings, act("C1", "appeal_decided", "2024-02-10", action_id="D1", actor="PRES",
                                    appeal_action_id="A1", decision="upheld", reason="x"))
    [(_, reason)] = record(settings, act("C1", "appeal_decided", "2024-02-11", actor="PRES", appeal_action_id="A1",
                                         decision="overturned", reason="y"))
    assert "decided already (D1)" in reason
    with pytest.raises(InvalidAction, match="actor"):  # a decision names who decided
        parse_action(act("C1", "appeal_decided", "2024-02-11", appeal_action_id="A1", decision="upheld", reason="z"))


def test_a_decision_by_a_role_the_policy_does_not_authorise_does_not_count(settings: Settings) -> None:
    appealed_fine(settings)
    assert not record(settings, act("C1", "appeal_decided", "2024-02-10", actor="C1", appeal_action_id="A1",
                                    decision="overturned", reason="my colleague"))
    h1 = rows(settings, "2024Q1")["H1"]
    assert h1["fines_cny"] == "2000.00" and h1["overturned"] == []
    appeal = h1["entries"][0]["appeal"]
    assert appeal["decision"] == "pending" and "C1 held none of the roles" in appeal["decided"]["not_counted"]


def test_appeals_have_their_own_deadline_on_the_sla_watch(settings: Settings, home_cli: Any) -> None:
    appealed_fine(settings)  # filed 2024-02-06: due 15 days later, 2024-02-21
    assert not record(settings, *effective("C2", "O2", "2024-02-01", "2024-02-05"),
                      act("C2", "appealed", "2024-02-06", action_id="A2", actor="H2", subject="H2", rule="fine.hq",
                          reason="r"),
                      act("C2", "appeal_decided", "2024-02-22", actor="PRES", appeal_action_id="A2",
                          decision="upheld", reason="late"))
    watch = {r["appeal_id"]: r for r in home_cli("sla", "--period", "2024-02", "--appeals", "--json")}
    assert watch["A1"]["due"] == "2024-02-21" and watch["A1"]["verdict"] == "breached"  # still open in 2026
    assert watch["A2"]["verdict"] == "breached" and watch["A2"]["decision"] == "upheld"
    assert home_cli("sla", "--period", "2024-03", "--appeals", "--json") == []


# -- rewards ----------------------------------------------------------------------------------------------


def not_bank_caused(cid: str, outlet: str, day: str) -> list[dict[str, Any]]:
    return [act(cid, "received", day, outlet=outlet, channel="hotline", via="direct"),
            act(cid, "validated", day, action_id=f"{cid}-V", effective=False, decided_by="hq", bank_caused=False)]


def test_rewards_for_complaints_not_the_banks_fault_are_valued_by_the_policy(settings: Settings) -> None:
    assert not record(settings, *not_bank_caused("C1", "O1", "2024-05-02"),
                      act("C1", "rewarded", "2024-05-03", action_id="RW1", actor="PRES", recipient="C1",
                          reason="calmed a misunderstanding 消费者误解 in one visit"),
                      act("C1", "rewarded", "2024-05-03", action_id="RW2", actor="PRES", recipient="O1",
                          reason="the outlet's team stayed late"))
    person = rows(settings, "2024Q2")["C1"]
    assert (person["points"], person["positive_points"], person["rewards_cny"], person["fines_cny"]) == \
        (2, 2, "500.00", "0.00")
    [entry] = person["entries"]
    assert entry["rule"] == "reward.person" and entry["rewarded_by"] == "PRES" and "消费者误解" in entry["reason"]
    assert entry["events"] == ["C1-V", "RW1"] and entry["policy_version"] == "seed-2020"
    unit = rows(settings, "2024Q2", units=True)["O1"]
    assert [e["points"] for e in unit["entries"] if e["rule"] == "reward.unit"] == [3]


def test_a_reward_needs_a_standing_validation_that_the_bank_was_not_at_fault(settings: Settings) -> None:
    assert not record(settings, *effective("C1", "O1", "2024-05-02", "2024-05-03"))
    [(_, reason)] = record(settings, act("C1", "rewarded", "2024-05-04", recipient="C1", reason="x"))
    assert "bank_caused: false" in reason
    assert not record(settings, *not_bank_caused("C2", "O1", "2024-05-02"),
                      act("C2", "rewarded", "2024-05-03", recipient="C1", reason="good work"),
                      act("C2", "annulled", "2024-05-04", target_action_id="C2-V", reason="decided wrongly"),
                      act("C2", "validated", "2024-05-04", effective=True, decided_by="hq", bank_caused=True))
    assert "C1" not in rows(settings, "2024Q2")  # the later validation withdraws the reward


# -- accountability (问责/通报) -----------------------------------------------------------------------------


def assigned(cid: str, day: str, handler: str) -> dict[str, Any]:
    return act(cid, "assigned", day, assignee=handler)


def test_repeated_errors_within_the_window_raise_a_named_notice(settings: Settings) -> None:
    # C1 handles three effective complaints validated 2024-01-10, 03-01 and 04-05: within 90 days of each other
    # (86 days from the first to the third) -> a notice on 04-05 (Q2). O1 too. O2's third is 91 days out: none.
    cases = [("K1", "O1", "2024-01-05", "2024-01-10"), ("K2", "O1", "2024-02-20", "2024-03-01"),
             ("K3", "O1", "2024-04-01", "2024-04-05"),
             ("M1", "O2", "2024-01-05", "2024-01-10"), ("M2", "O2", "2024-02-20", "2024-03-01"),
             ("M3", "O2", "2024-04-01", "2024-04-10")]
    actions: list[dict[str, Any]] = []
    for cid, outlet, received, validated in cases:
        actions.append(act(cid, "received", received, outlet=outlet, channel="hotline", via="direct"))
        if outlet == "O1":
            actions.append(assigned(cid, received, "C1"))
        actions.append(act(cid, "validated", validated, action_id=f"{cid}-V", effective=True, decided_by="hq",
                           bank_caused=True))
    assert not record(settings, *actions)
    assert "C1" not in rows(settings, "2024Q1")
    person = rows(settings, "2024Q2")["C1"]
    [notice] = person["entries"]
    assert notice["rule"] == "accountability.person" and notice["complaints"] == ["K1", "K2", "K3"]
    assert notice["points"] == -5 and notice["amount"] == "1000.00" and person["fines_cny"] == "1000.00"
    assert {"K1-V", "K2-V", "K3-V"} <= set(notice["events"]) and notice["notice"].startswith("通报 person C1")
    units = rows(settings, "2024Q2", units=True)
    assert [e["complaints"] for e in units["O1"]["entries"] if e["rule"] == "accountability.outlet"] == \
        [["K1", "K2", "K3"]]
    assert not [e for e in units["O2"]["entries"] if e["rule"].startswith("accountability")]
    year = rows(settings, "2024")["C1"]  # the same notice, whichever period is asked
    assert [e["notice"] for e in year["entries"]] == [notice["notice"]]


# -- the complaint staff's monthly ranking ------------------------------------------------------------------


def test_staff_ranking_by_on_time_rate_then_satisfaction(settings: Settings, home_cli: Any) -> None:
    def handled(cid: str, handler: str, same_day: bool, satisfied: bool | None) -> list[dict[str, Any]]:
        day, end = "2024-03-04", "2024-03-04" if same_day else "2024-03-06"
        out = [act(cid, "received", day, outlet="O1", channel="hotline", via="direct", actor="H1"),
               assigned(cid, day, handler), act(cid, "contacted", day), act(cid, "handled", end, outcome="resolved"),
               act(cid, "feedback", end), act(cid, "closed", end)]
        if satisfied is not None:
            out.append(act(cid, "callback", "2024-03-08", satisfied=satisfied))
        return out
    # C1: 2 complaints, both same-day (on time under same_day and cbirc), callbacks 1 satisfied of 2 -> 100%, 50%
    # H2 (as handler): 1 complaint, late under same_day -> 0%; C3 (never assigned: H1 received) ...
    assert not record(settings, *handled("S1", "C1", True, True), *handled("S2", "C1", True, False),
                      *handled("S3", "H2", False, True), *handled("S4", "RH", True, True))
    ranking = home_cli("staff", "--period", "2024-03", "--json")
    assert [(r["rank"], r["handler"]) for r in ranking] == [(1, "RH"), (2, "C1"), (3, "H2")]
    c1 = ranking[1]
    assert (c1["handled_count"], c1["on_time"], c1["late"], c1["on_time_pct"]) == (2, 2, 0, 100.0)
    assert (c1["callbacks"], c1["satisfaction_pct"], c1["repeats"]) == (2, 50.0, 0)
    assert ranking[2]["on_time_pct"] == 0.0 and ranking[0]["regimes"] == ["cbirc", "same_day"]
    assert home_cli("staff", "--period", "2024-04", "--json") == []


def test_equal_handlers_share_a_rank_and_the_next_skips() -> None:
    def row(handler: str, on_time: float | None, handled: int) -> dict[str, Any]:
        return {"handler": handler, "on_time_pct": on_time, "satisfaction_pct": 90.0, "repeat_pct": 0.0,
                "handled_count": handled}
    rows = ranked([row("b", 90.0, 3), row("a", 90.0, 3), row("c", None, 9), row("d", 95.0, 1)])
    assert [(r["rank"], r["handler"]) for r in rows] == [(1, "d"), (2, "a"), (2, "b"), (4, "c")]


# -- what-if and the HR workbook ------------------------------------------------------------------------------


def test_another_policy_re_decides_the_whole_assessment(settings: Settings, home_cli: Any, tmp_path: Path) -> None:
    assert not record(settings, *effective("C1", "O1", "2024-03-05", "2024-04-02"),
                      act("C1", "responsibility_assigned", "2024-04-03", shares={"D-RET": "0.5", "D-CARD": "0.5"}),
                      *not_bank_caused("C2", "O1", "2024-05-02"),
                      act("C2", "rewarded", "2024-05-03", actor="PRES", recipient="C1", reason="r"))
    raw = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))
    version = raw["version"][0]
    version["departments"]["hq"] = -10
    version["rewards"]["person_points"] = 7
    version["grades"]["person"] = [{"grade": "A", "min": 5}, {"grade": "B"}]
    other = tmp_path / "other.toml"
    other.write_text(to_toml(raw), encoding="utf-8")
    diff = {r["person"]: r for r in home_cli("scores", "--period", "2024", "--policy", str(other), "--diff", "--json")}
    assert (diff["C1"]["points"], diff["C1"]["points_whatif"], diff["C1"]["points_change"]) == (2, 7, 5)
    assert (diff["C1"]["grade"], diff["C1"]["grade_whatif"]) == ("A", "A") and diff["H1"]["grade_whatif"] == "B"
    units = {r["unit"]: r for r in home_cli("scores", "--period", "2024Q2", "--units", "--policy", str(other),
                                            "--json")}
    assert units["D-RET"]["points"] == units["D-CARD"]["points"] == -5


def to_toml(data: dict[str, Any]) -> str:
    """Just enough TOML for a policy: [[version]] tables of scalars, lists and inline tables."""
    def scalar(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict):
            return "{ " + ", ".join(f"{k} = {scalar(v)}" for k, v in value.items()) + " }"
        if isinstance(value, list):
            return "[" + ", ".join(scalar(v) for v in value) + "]"
        return json.dumps(value) if isinstance(value, str) else str(value)
    out = []
    for version in data["version"]:
        out.append("[[version]]")
        out += [f"{k} = {scalar(v)}" for k, v in version.items() if not isinstance(v, dict)]
        for name, table in version.items():
            if isinstance(table, dict):
                out.append(f"[version.{name}]")
                out += [f"{k} = {scalar(v)}" for k, v in table.items()]
    return "\n".join(out) + "\n"


def test_the_workbook_keeps_overturned_entries_with_the_decision(settings: Settings, home_cli: Any,
                                                                 tmp_path: Path) -> None:
    appealed_fine(settings)
    assert not record(settings, act("C1", "appeal_decided", "2024-02-10", actor="PRES", appeal_action_id="A1",
                                    decision="overturned", reason="no fault", evidence="录音 R-7"))
    book_path = tmp_path / "hr.xlsx"
    assert main(["--home", str(settings.home), "scores", "--period", "2024", "--xlsx", str(book_path)]) == 0
    book = load_workbook(book_path)
    people = book["people"]
    header = [c.value for c in people[1]]
    assert "Annual grade 年度考核等级" in header and "Positive points 正分" in header
    entries = book["entries"]
    names = [c.value for c in entries[1]]
    lines = [dict(zip(names, (c.value for c in row), strict=True)) for row in entries.iter_rows(min_row=2)]
    [gone] = [line for line in lines if line["Person id 工号"] == "H1"]
    assert gone["Appeal decision 申诉结论"] == "overturned" and gone["Decision's evidence 裁定依据"] == "录音 R-7"
