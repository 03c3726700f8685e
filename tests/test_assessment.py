"""The assessment beyond the fines, on hand-computed cases: departments by share, positive and negative points
with the annual grade, appeals, rewards, accountability notices. Policy: plaintrail/policies/default.toml."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.actions import InvalidAction, parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail.commands.scores import compute
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

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
