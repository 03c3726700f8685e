"""Scopes are enforced in the query layer: a branch user never gets another branch's rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from domain.periods import Period
from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections.access import AccessDenied, Viewer
from projections.scoped import ScopedReader

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("home")
    main(["--home", str(home), "org", "load", str(EXAMPLES / "bank.yaml")])
    main(["--home", str(home), "import", str(EXAMPLES / "actions.jsonl")])
    return Settings(home=home)


def reader(settings: Settings, viewer: Viewer) -> ScopedReader:
    store = open_read_models(settings)
    catch_up(settings, store=store)
    return ScopedReader(viewer, store, open_log(settings), settings.tz)


def test_branch_leaderboard_holds_only_its_subtree(settings: Settings) -> None:
    xuhui = reader(settings, Viewer("x", "branch", "SH-XH"))
    everyone = reader(settings, Viewer("m", "management"))
    period = Period.parse("2024-03")
    assert {r["unit"] for r in xuhui.leaderboard(period, "outlet")} == {"O-003", "O-004"}
    assert {r["unit"] for r in everyone.leaderboard(period, "outlet")} == {"O-001", "O-002", "O-003", "O-004"}
    assert {r["unit"] for r in xuhui.leaderboard(period, "sub_branch")} == {"SH-XH"}


def test_branch_user_cannot_find_or_open_another_branchs_complaint(settings: Settings) -> None:
    xuhui = reader(settings, Viewer("x", "branch", "SH-XH"))
    assert xuhui.find_complaints("outlet", "O-001") == []
    with pytest.raises(AccessDenied):
        xuhui.timeline("C-2024-0001")  # received at O-001, Pudong
    assert xuhui.timeline("C-2024-0002")["complaint_id"] == "C-2024-0002"  # O-003 is Xuhui's
    with pytest.raises(AccessDenied):
        xuhui.trend("O-001")


def test_roles_open_only_their_pages(settings: Settings) -> None:
    with pytest.raises(AccessDenied):
        reader(settings, Viewer("h", "hr")).leaderboard(Period.parse("2024-03"), "outlet")
    with pytest.raises(AccessDenied):
        reader(settings, Viewer("h", "hr")).timeline("C-2024-0001")
    assert reader(settings, Viewer("a", "audit")).timeline("C-2024-0001")["events"]
    with pytest.raises(ValueError):
        Viewer("b", "branch")  # a branch user without a unit is a configuration error


def test_scores_and_sla_are_scoped_too(settings: Settings) -> None:
    from domain.policy import Policy

    quarter = Period.parse("2024Q1")
    xuhui = reader(settings, Viewer("x", "branch", "SH-XH"))
    everyone = reader(settings, Viewer("m", "management"))
    people_all = {r["person"] for r in everyone.scores(quarter, Policy.load())[0]}
    people_xh = {r["person"] for r in xuhui.scores(quarter, Policy.load())[0]}
    assert "P-H1B" in people_all and "P-H1B" not in people_xh  # O-001's head: Pudong's business
    units = {r["unit"] for r in xuhui.scores(quarter, Policy.load(), units=True)[0]}
    assert units and units <= {"O-003", "O-004"}
    rows, watch = xuhui.sla(quarter, "outlet")
    assert {r["unit"] for r in rows} <= {"O-003", "O-004"} and all(w["outlet"] in {"O-003", "O-004"} for w in watch)
    with pytest.raises(AccessDenied):
        reader(settings, Viewer("a", "audit")).scores(quarter, Policy.load())
