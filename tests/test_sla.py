"""SLA regimes at their boundaries: day 15 vs 16, extensions, pauses, withdrawal, business days."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.calendar import Calendar
from domain.sla import SlaRules, evaluate
from plaintrail import sla_rules

TZ = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2024, 3, 1, 10, 0, tzinfo=TZ)  # a Friday


@dataclass
class Case:
    received_at: datetime = RECEIVED
    category: str = ""
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    annulled: set[str] = field(default_factory=set)

    def then(self, action: str, after: float = 0, **fields: Any) -> Case:
        self.history[f"a{len(self.history)}"] = {"action": action, "at": RECEIVED + timedelta(days=after),
                                                  "fields": fields}
        return self


def verdicts(case: Case, now_days: float = 100, rules: SlaRules | None = None) -> dict[str, dict[str, Any]]:
    return {r["regime"]: r for r in evaluate(case, RECEIVED + timedelta(days=now_days), TZ, rules)}


def test_cbirc_day_15_is_on_time_and_day_16_is_late() -> None:
    assert verdicts(Case().then("received").then("feedback", 15))["cbirc"]["verdict"] == "on_time"
    assert verdicts(Case().then("received").then("feedback", 16))["cbirc"]["verdict"] == "breached"
    assert verdicts(Case().then("received").then("feedback", 16))["cfpb"]["verdict"] == "breached"


def test_open_complaints_are_at_risk_near_the_deadline_then_breached() -> None:
    case = Case().then("received")
    assert verdicts(case, now_days=5)["cbirc"]["verdict"] == "open"
    assert verdicts(case, now_days=14)["cbirc"]["verdict"] == "at_risk"
    assert verdicts(case, now_days=16)["cbirc"]["verdict"] == "breached"


def test_extensions_move_the_deadline_up_to_60_days() -> None:
    extended = Case().then("received").then("extended", 10, days=15, approved_by="P").then("feedback", 25)
    assert verdicts(extended)["cbirc"]["verdict"] == "on_time"
    assert verdicts(extended)["cfpb"]["verdict"] == "breached"  # CFPB knows no such extension
    too_far = Case().then("received").then("extended", 1, days=45, approved_by="P").then(
        "extended", 2, days=45, approved_by="P")
    assert verdicts(too_far)["cbirc"]["deadline"].startswith("2024-04-30")  # 1 March + 60 days, capped


def test_external_appraisal_pauses_the_cbirc_clock() -> None:
    case = Case().then("received").then("appraisal_started", 5)
    assert verdicts(case, now_days=20)["cbirc"]["verdict"] == "paused"
    case.then("appraisal_ended", 12).then("feedback", 21)  # 7 days of appraisal do not count
    row = verdicts(case)["cbirc"]
    assert (row["verdict"], row["paused_days"]) == ("on_time", 7)


def test_withdrawal_ends_handling() -> None:
    case = Case().then("received").then("withdrawn", 3)
    assert verdicts(case)["cbirc"]["verdict"] == "ended"


def test_a_reopening_does_not_restart_the_clock() -> None:
    case = Case().then("received").then("feedback", 2).then("closed", 2).then("reopened", 30, reason="again")
    for now in (40, 50, 400):  # answered on time once: a reopening neither opens nor breaches it again
        row = verdicts(case, now_days=now)["cbirc"]
        assert (row["verdict"], row["deadline"][:10]) == ("on_time", "2024-03-16")


def test_a_breach_stays_a_breach_after_a_reopening() -> None:
    # INC0006099's shape: received, first closed after its 15-day deadline, reopened, closed again
    case = Case().then("received").then("handled", 17, outcome="resolved").then("closed", 18)
    case.then("reopened", 20, reason="again").then("handled", 22, outcome="resolved").then("closed", 23)
    rows = verdicts(case, now_days=40)
    assert rows["cbirc"]["verdict"] == "breached" and rows["cbirc"]["met_at"].startswith("2024-03-19")
    assert rows["cfpb"]["verdict"] == "breached"
    assert verdicts(Case().then("received").then("closed", 17).then("reopened", 20, reason="x"),
                    now_days=21)["cbirc"]["verdict"] == "breached"  # reopened and not answered yet: still late


def test_a_repeat_with_new_facts_is_a_new_complaint_with_its_own_clock() -> None:
    repeat = Case(received_at=RECEIVED + timedelta(days=30))
    repeat.history = {"r": {"action": "received", "at": repeat.received_at, "fields": {}}}
    assert verdicts(repeat, now_days=40)["cbirc"]["verdict"] == "open"
    assert verdicts(repeat, now_days=40)["cbirc"]["deadline"].startswith("2024-04-15")


@pytest.mark.parametrize(("priority", "hours", "verdict"), [("1 - Critical", 4, "on_time"),
                                                             ("1 - Critical", 5, "breached"),
                                                             ("3 - Moderate", 72, "on_time"),
                                                             ("4 - Low", 121, "breached")])
def test_servicenow_resolution_by_priority(priority: str, hours: int, verdict: str) -> None:
    case = Case().then("received", source={"priority": priority})
    case.then("handled", hours / 24, outcome="resolved").then("closed", 10)
    row = verdicts(case)["servicenow"]
    assert row["verdict"] == verdict and row["unit"] == "hours"
    assert "servicenow" not in verdicts(Case().then("received").then("closed", 1))  # other complaints: no row
    rules = SlaRules(servicenow_hours=(("1", 5),))  # the policy's targets count: 5 hours for Critical, none else
    assert verdicts(case, rules=rules).get("servicenow", {}).get("verdict") == (
        "on_time" if priority[0] == "1" else None)
    assert dict(sla_rules.load().servicenow_hours) == {"1": 4, "2": 8, "3": 72, "4": 120}


def test_business_days_skip_weekends_and_the_holiday_calendar() -> None:
    rules = replace(sla_rules.load(), regimes=None)  # every regime, whatever the bank applies
    # 2024-04-01 Monday is Easter Monday in England: 3 business days from Friday 29 March (Good Friday) ...
    case = Case(received_at=datetime(2024, 3, 28, 10, tzinfo=TZ))
    case.history = {"r": {"action": "received", "at": case.received_at, "fields": {}}}
    summary = {r["regime"]: r for r in evaluate(case, case.received_at, TZ, rules)}["fca_summary"]
    assert summary["deadline"].startswith("2024-04-04")  # Thu 28 -> skips Fri 29, Sat, Sun, Mon 1 -> 2, 3, 4
    cn = rules.bank_calendar
    assert not cn.is_business_day(date(2024, 10, 1)) and cn.is_business_day(date(2024, 10, 12))  # 调休 Saturday
    assert cn.add_business_days(date(2024, 9, 30), 1) == date(2024, 10, 8)


def test_cbirc_in_business_days_when_the_bank_says_so() -> None:
    rules = SlaRules(cbirc_unit="business", bank_calendar=Calendar("none"))
    row = verdicts(Case().then("received"), rules=rules)["cbirc"]
    assert row["unit"] == "business" and row["deadline"].startswith("2024-03-22")  # 15 weekdays after Fri 1 March


def test_fca_summary_resolution_and_payments() -> None:
    quick = verdicts(Case(category="e-payment").then("received").then("handled", 1, outcome="resolved"))
    assert quick["fca_summary"]["verdict"] == "on_time" and "fca_payments" in quick
    slow = verdicts(Case().then("received").then("handled", 10, outcome="resolved"))
    assert slow["fca_summary"]["verdict"] == "not_applicable" and "fca_payments" not in slow


@pytest.mark.parametrize("late", [0, 1])
def test_same_day_needs_all_five_steps_on_the_day(late: int) -> None:
    case = Case().then("received").then("assigned").then("contacted").then("handled", late, outcome="resolved")
    case.then("feedback", late)
    assert verdicts(case)["same_day"]["verdict"] == ("on_time" if late == 0 else "breached")


def test_only_the_regimes_the_bank_applies_are_evaluated() -> None:
    case = Case().then("received").then("feedback", 16)
    chinese = {r["regime"] for r in evaluate(case, case.received_at, TZ, sla_rules.load())}
    assert chinese == {"same_day", "cbirc"}  # the default policy: a Chinese bank
    us_uk = sla_rules.load(sla_rules.POLICIES / "sla-cfpb-fca.toml")
    assert {r["regime"] for r in evaluate(case, case.received_at, TZ, us_uk)} == {"cfpb", "cfpb_final", "fca",
                                                                                  "fca_summary"}


def test_an_unknown_regime_in_the_policy_is_a_clear_error(tmp_path: Path) -> None:
    policy = tmp_path / "sla.toml"
    policy.write_text('regimes = ["cbirc", "ombudsman"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="ombudsman"):
        sla_rules.load(policy)
