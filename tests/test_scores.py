"""Fines and points on hand-made scenarios: the numbers the seed table and the rules imply."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from domain.policy import DEFAULT, InvalidPolicy, Policy
from plaintrail.commands.scores import compute
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.scores import diff

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ORG = {
    "units": [
        {"id": "HQ", "kind": "hq"}, {"id": "BR", "kind": "branch", "parent": "HQ"},
        {"id": "SB", "kind": "sub_branch", "parent": "BR"},
        {"id": "O1", "kind": "outlet", "parent": "SB", "customers": 1000},
        {"id": "O2", "kind": "outlet", "parent": "SB", "customers": 1000},
        {"id": "O3", "kind": "outlet", "parent": "BR", "customers": 1000},  # no sub-branch: the branch's VP
    ],
    "people": [
        {"id": "PRES", "roles": [{"role": "president", "unit": "BR", "from": "2020-01-01"}]},
        {"id": "VP", "roles": [{"role": "supervising_vp", "unit": "SB", "from": "2020-01-01", "to": "2023-12-31"}]},
        {"id": "BVP", "roles": [{"role": "supervising_vp", "unit": "BR", "from": "2020-01-01"}]},
        {"id": "OLD", "roles": [{"role": "head", "unit": "O1", "from": "2020-01-01", "to": "2024-02-14"}]},
        {"id": "NEW", "roles": [{"role": "head", "unit": "O1", "from": "2024-02-15"}]},
        {"id": "H2", "roles": [{"role": "head", "unit": "O2", "from": "2020-01-01"},
                               {"role": "supervising_vp", "unit": "SB", "from": "2024-01-01", "to": "2024-12-31"}]},
        {"id": "H3", "roles": [{"role": "head", "unit": "O3", "from": "2020-01-01"}]},
    ],
}
_ids = itertools.count(1)


def act(cid: str, action: str, day: str, **fields: Any) -> dict[str, Any]:
    return {"action_id": fields.pop("action_id", f"{cid}-{next(_ids)}"), "complaint_id": cid, "action": action,
            "at": f"{day}T10:00:00+08:00", **fields}


def complaint(cid: str, outlet: str, received: str, validated: str | None, decided_by: str = "hq",
              effective: bool = True, **extra: Any) -> list[dict[str, Any]]:
    out = [act(cid, "received", received, outlet=outlet, channel="hotline", via="direct")]
    if validated:
        out.append(act(cid, "validated", validated, action_id=f"{cid}-V", effective=effective,
                       decided_by=decided_by, bank_caused=True))
    return out


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(ORG))
    return settings


def record(settings: Settings, *actions: dict[str, Any]) -> None:
    outcome = open_log(settings).record((n, parse_action(a)) for n, a in enumerate(actions, 1))
    assert not outcome.rejected, outcome.rejected


def people(settings: Settings, period: str, policy: Policy | None = None) -> dict[str, dict[str, Any]]:
    rows, _ = compute(settings, Period.parse(period), policy or Policy.load(DEFAULT), now=NOW)
    return {r["person"]: r for r in rows}


def fines(rows: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {p: r["fines_cny"] for p, r in rows.items() if Decimal(r["fines_cny"])}


def test_each_tier_of_the_seed_table(settings: Settings) -> None:
    record(settings, *complaint("HQ1", "O2", "2024-04-02", "2024-04-10", "hq"),
           *complaint("PB1", "O2", "2024-04-03", "2024-04-11", "pboc"),
           *complaint("NF1", "O2", "2024-04-04", "2024-04-12", "nfra"),
           *complaint("CO1", "O2", "2024-04-05", "2024-04-13", "pboc"),
           act("CO1", "compensated", "2024-04-14", amount="300.00"),
           *complaint("PO1", "O2", "2024-04-06", "2024-04-13", "hq"), act("PO1", "public_opinion", "2024-04-07"))
    rows = people(settings, "2024Q2")
    # H2 is both O2's head and SB's supervising VP in 2024: fined once per complaint, not twice.
    assert fines(rows) == {"H2": "15000.00", "PRES": "15000.00"}  # 2000 + 2500 + 2500 + 4000 + 4000
    h2 = {e["complaint_id"]: e for e in rows["H2"]["entries"]}
    assert (h2["HQ1"]["rule"], h2["HQ1"]["amount"]) == ("fine.hq", "2000.00")
    assert (h2["NF1"]["rule"], h2["NF1"]["amount"]) == ("fine.regulator", "2500.00")
    assert (h2["CO1"]["rule"], h2["CO1"]["amount"]) == ("fine.aggravated", "4000.00")  # highest tier only
    assert sorted(h2["HQ1"]["roles"]) == ["head", "supervising_vp"]
    assert h2["CO1"]["policy_version"] == "seed-2020"
    assert "CO1-V" in h2["CO1"]["events"] and len(h2["CO1"]["events"]) == 3  # received, validation, compensation
    assert len(rows["H2"]["entries"]) == 5 and rows["H2"]["points"] == -1 - 2 - 2 - 3 - 3


def test_responsible_as_held_when_received_and_fine_when_validated(settings: Settings) -> None:
    record(settings, *complaint("A", "O1", "2024-02-10", "2024-02-20"),  # OLD was head on the 10th
           *complaint("B", "O1", "2024-02-20", "2024-04-02"),  # NEW was head; validated next quarter
           *complaint("C", "O3", "2024-03-01", "2024-03-05", "nfra"))  # O3 sits under the branch directly
    q1, q2 = people(settings, "2024Q1"), people(settings, "2024Q2")
    # In 2024 H2 is SB's supervising VP (VP's term ended in 2023); O3's VP is the branch's.
    assert fines(q1) == {"OLD": "2000.00", "H2": "2000.00", "PRES": "4500.00", "H3": "2500.00", "BVP": "2500.00"}
    assert fines(q2) == {"NEW": "2000.00", "H2": "2000.00", "PRES": "2000.00"}


def test_ineffective_and_work_orders_are_not_fined(settings: Settings) -> None:
    record(settings, *complaint("N", "O2", "2024-05-01", "2024-05-02", effective=False),
           act("W", "received", "2024-05-01", outlet="O2", channel="app", via="hq", kind="work_order"),
           act("W", "validated", "2024-05-03", effective=True, decided_by="hq", bank_caused=True))
    assert fines(people(settings, "2024Q2")) == {}


def test_annulled_validation_and_compensation_are_corrected_visibly(settings: Settings) -> None:
    record(settings, *complaint("X", "O1", "2024-07-01", "2024-07-02", "pboc"),
           act("X", "compensated", "2024-07-03", action_id="X-C", amount="50.00"),
           *complaint("Y", "O1", "2024-07-04", "2024-07-05"))
    assert fines(people(settings, "2024Q3"))["NEW"] == "6000.00"  # 4000 (X, compensated) + 2000 (Y)
    record(settings, act("X", "annulled", "2024-07-20", target_action_id="X-C", reason="paid by the insurer"),
           act("Y", "annulled", "2024-07-21", target_action_id="Y-V", reason="validated the wrong complaint"))
    rows = people(settings, "2024Q3")
    assert fines(rows)["NEW"] == "2500.00"  # X back to the regulator tier; Y no fine at all
    corrected = {c["annulled"]: c for c in rows["NEW"]["corrections"]}
    assert corrected["X-C"]["annulled_action"] == "compensated" and corrected["Y-V"]["annulled_action"] == "validated"


def test_a_new_version_does_not_rewrite_last_years_scores(settings: Settings, tmp_path: Path) -> None:
    record(settings, *complaint("L", "O2", "2024-12-01", "2024-12-10"), *complaint("M", "O2", "2025-01-05",
                                                                                  "2025-01-10"))
    newer = tmp_path / "policy.toml"
    newer.write_text(DEFAULT.read_text(encoding="utf-8") + """
[[version]]
id = "2025"
from = 2025-01-01
[version.fines]
roles = ["head", "supervising_vp", "president"]
hq = "3000.00"
regulator = "3500.00"
aggravated = "6000.00"
branch = "3000.00"
[version.person_points]
hq = -2
regulator = -3
aggravated = -4
branch = -2
[version.outlet_points]
hq = -2
regulator = -3
aggravated = -5
branch = -2
no_complaints_bonus = 5
sla_breach = -1
sla_regimes = ["same_day", "cbirc"]
""", encoding="utf-8")
    policy = Policy.load(newer)
    assert fines(people(settings, "2024Q4", policy)) == fines(people(settings, "2024Q4"))
    assert fines(people(settings, "2025Q1", policy))["PRES"] == "3000.00"
    changed = {r["person"]: r for r in diff(list(people(settings, "2025Q1").values()),
                                            list(people(settings, "2025Q1", policy).values()))}
    assert changed["PRES"]["fines_change_cny"] == "1000.00" and changed["PRES"]["points_change"] == -1


def test_outlet_points_bonus_and_deductions(settings: Settings) -> None:
    record(settings, *complaint("P", "O1", "2024-10-01", "2024-10-02", "nfra"))
    rows, _ = compute(settings, Period.parse("2024Q4"), Policy.load(DEFAULT), units=True, now=NOW)
    units = {r["unit"]: r for r in rows}
    assert units["O2"]["points"] == 5 and units["O3"]["points"] == 5  # no complaint in the quarter
    rules = [e["rule"] for e in units["O1"]["entries"]]
    assert "outlet.effective.regulator" in rules and "outlet.no_complaints_bonus" not in rules
    breaches = [e for e in units["O1"]["entries"] if e["rule"] == "outlet.sla_breach"]
    assert breaches and breaches[0]["regimes"] == ["same_day", "cbirc"]  # never assigned, never answered
    assert units["O1"]["points"] == -3 - 2


def test_a_policy_file_with_a_mistake_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[version]]\nid = "x"\nfrom = 2024-01-01\n[version.fines]\nroles = []\nhq = "-5"\n',
                   encoding="utf-8")
    with pytest.raises(InvalidPolicy, match="missing|>= 0"):
        Policy.load(bad)


def test_the_hr_workbook_holds_numbers_and_a_year_shows_its_quarters(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    from plaintrail.cli import main

    examples = Path(__file__).resolve().parents[1] / "examples"
    home = str(tmp_path / "home")
    main(["--home", home, "org", "load", str(examples / "bank.yaml")])
    main(["--home", home, "import", str(examples / "actions.jsonl")])
    capsys.readouterr()
    assert main(["--home", home, "scores", "--period", "2024", "--json", "--xlsx", str(tmp_path / "hr.xlsx")]) == 0
    rows = {r["person"]: r for r in json.loads(capsys.readouterr().out)}
    pres = rows["P-PRES"]
    assert list(pres["quarters"]) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert sum(Decimal(q["fines_cny"]) for q in pres["quarters"].values()) == Decimal(pres["fines_cny"]) > 0
    assert sum(q["points"] for q in pres["quarters"].values()) == pres["points"]
    book = load_workbook(tmp_path / "hr.xlsx")
    assert book.sheetnames == ["people", "entries", "units", "corrections"]
    people = book["people"]
    header = [c.value for c in people[1]]
    fines, points = header.index("Fines (yuan) 罚款（元）") + 1, header.index("Points 考核分") + 1
    assert "2024Q1 Fines (yuan) 罚款（元）" in header
    by_id = {row[0].value: row for row in people.iter_rows(min_row=2)}
    assert by_id["P-PRES"][fines - 1].value == float(pres["fines_cny"])
    for row in people.iter_rows(min_row=2):
        assert isinstance(row[fines - 1].value, int | float) and row[fines - 1].number_format == "#,##0.00"
        assert isinstance(row[points - 1].value, int) and row[points - 1].number_format == "0"
    entries = book["entries"]
    amount = [c.value for c in entries[1]].index("Amount (yuan) 金额（元）")
    assert all(isinstance(r[amount].value, int | float) for r in entries.iter_rows(min_row=2))
    assert entries.max_row > 1 and "Evidence (action ids) 依据（动作编号）" in [c.value for c in entries[1]]
    for sheet in book:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
        assert sheet.column_dimensions["A"].width >= 8
