"""The dashboard, page by page and role by role, through Streamlit's own test runner."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from plaintrail.cli import main

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert main(["--home", str(home), "org", "load", str(EXAMPLES / "bank.yaml")]) == 0
    assert main(["--home", str(home), "import", str(EXAMPLES / "actions.jsonl")]) == 1  # it holds bad lines
    assert main(["--home", str(home), "users", "demo", "--unit", "SH-XH"]) == 0
    return home


def logged_in(home: Path, monkeypatch: pytest.MonkeyPatch, user: str, password: str) -> AppTest:
    monkeypatch.setenv("PLAINTRAIL_HOME", str(home))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.title, *at.subheader])


def test_wrong_password_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "manager", "not-the-password")
    assert "Wrong user name or password" in " ".join(e.value for e in at.error)
    assert not at.dataframe


def test_management_sees_every_outlet_on_the_board(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "manager", "plaintrail-manager")
    assert "Red/black list" in texts(at)
    shown = set()
    for frame in at.dataframe:
        shown |= set(frame.value.get("unit", []))
    assert {"O-001", "O-002", "O-003", "O-004"} <= shown


def test_branch_user_sees_only_its_subtree(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "pudong", "plaintrail-pudong")  # scoped to SH-XH: O-003 and O-004
    shown = set()
    for frame in at.dataframe:
        shown |= set(frame.value.get("unit", []))
    assert shown and shown <= {"O-003", "O-004"}


def test_auditor_opens_a_timeline_and_the_view_is_recorded(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "auditor", "plaintrail-auditor")
    assert "Complaint timeline" in texts(at)  # audit's only page besides SLA
    at.text_input(key="search").input("C-2024-0002").run()
    assert not at.exception, at.exception
    events = at.dataframe[0].value
    assert {"received", "validated", "annulled"} <= set(events["action"])
    corrected = events[events["action_id"] == "A-0013"]
    assert list(corrected["correction"]) == ["annulled by A-0014"]  # the correction beside what it corrects
    from plaintrail.settings import Settings
    from plaintrail.wiring import open_log

    log = open_log(Settings(home=home))
    views = [n for n in log.recorder.select_notifications(1, 10_000) if n.topic.endswith("Access.Recorded")]
    assert any(b"C-2024-0002" in n.state and b"auditor" in n.state for n in views)


def test_hr_sees_scores_with_their_evidence(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "hr", "plaintrail-hr")
    assert "Assessment scores" in texts(at)
    summary = at.dataframe[0].value
    fined = dict(zip(summary["person"], summary["fines_cny"], strict=True))
    assert fined["P-H1B"] == 2500.0  # head of O-001 when C-2024-0001 was received; regulator tier: a number
    assert dict(zip(summary["person"], summary["name"], strict=True))["P-H1B"] == "Liu Yang"  # names beside ids
    assert "浦东支行 Pudong sub-branch (SH-PD)" in set(summary["sub_branch"])
    at.multiselect(key="filter-sub_branch").select("浦东支行 Pudong sub-branch (SH-PD)").run()
    assert set(at.dataframe[0].value["person"]) == {"P-H1B", "P-PRES", "P-VP-PD"}  # fined for Pudong's O-001
    at.multiselect(key="filter-sub_branch").unselect("浦东支行 Pudong sub-branch (SH-PD)").run()
    at.selectbox(key="drill").select("P-H1B").run()
    entries = at.dataframe[1].value
    assert set(entries["complaint_id"]) == {"C-2024-0001"} and all(entries["events"].str.len() > 0)
    at.radio[0].set_value("year").run()  # a year: each quarter beside the total
    assert not at.exception, at.exception
    assert "fines_cny 2024Q1" in at.dataframe[0].value.columns
    assert {"grade", "positive_points", "negative_points"} <= set(at.dataframe[0].value.columns)  # the annual grade


def test_staff_ranking_page(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "manager", "plaintrail-manager")
    at.switch_page("views/staff.py").run()
    assert not at.exception, at.exception
    frame = at.dataframe[0].value
    assert list(frame["rank"]) == sorted(frame["rank"]) and frame["rank"].iloc[0] == 1
    assert {"handler", "handled_count", "on_time_pct", "satisfaction_pct", "repeats"} <= set(frame.columns)
    everyone = set(frame["outlets"])
    branch = logged_in(home, monkeypatch, "pudong", "plaintrail-pudong")  # scoped to SH-XH: O-003 and O-004
    branch.switch_page("views/staff.py").run()
    assert not branch.exception, branch.exception
    shown = [cell for frame in branch.dataframe for cell in frame.value["outlets"]]
    assert set(shown) < everyone or not set(shown)  # a branch user sees the handlers of its own outlets only
    assert all(set(cell.split(", ")) <= {"O-003", "O-004"} for cell in shown)
    assert "Complaint staff ranking" in texts(branch)


def test_sla_monitor_for_management(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "manager", "plaintrail-manager")
    at.switch_page("views/sla.py").run()
    assert not at.exception, at.exception
    assert "SLA monitor" in texts(at)
    units = set()
    for frame in at.dataframe:
        units |= set(frame.value.get("unit", []))
    assert {"O-001", "O-003"} <= units


def test_branch_user_sees_only_its_subtree_on_every_page(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "pudong", "plaintrail-pudong")  # scoped to SH-XH: O-003 and O-004
    for page in ("views/sla.py", "views/scores.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        for frame in at.dataframe:
            for column in ("unit", "outlet"):
                assert set(frame.value.get(column, [])) <= {"O-003", "O-004"}, (page, column)
    at.switch_page("views/timeline.py").run()
    at.text_input(key="search").input("C-2024-0001").run()  # Pudong's complaint: not found for Xuhui
    assert not at.dataframe and any("No complaint you may see" in w.value for w in at.warning)


def test_hr_cannot_open_the_timeline(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "hr", "plaintrail-hr")
    with pytest.raises(ValueError, match="Known pages: .*scores.py', .*staff.py'\\]"):  # scores and staff only
        at.switch_page("views/timeline.py")


def test_auditor_verifies_the_record_from_the_timeline(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "auditor", "plaintrail-auditor")
    at.text_input(key="search").input("C-2024-0001").run()
    assert any("Included: all 8 events of C-2024-0001" in s.value for s in at.success)  # its inclusion proofs
    assert any("Latest checkpoint" in c.value for c in at.caption)
    at.button(key="verify").click().run()
    assert not at.exception, at.exception
    assert any("Intact" in s.value for s in at.success)


def test_hot_issues_page_shows_ledgers(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from plaintrail import hot
    from plaintrail.settings import Settings

    hot.detect(Settings(home=home), hot.HotIssueRules(outlet_threshold=1, category_threshold=1000,
                                                      ledger=(("root cause", 10),)))
    at = logged_in(home, monkeypatch, "manager", "plaintrail-manager")
    at.switch_page("views/hot.py").run()
    assert not at.exception, at.exception
    assert set(at.dataframe[0].value["subject"]) >= {"O-001", "O-003", "O-004"}
    assert any("root cause" in set(frame.value.get("title", [])) for frame in at.dataframe)
    branch = logged_in(home, monkeypatch, "pudong", "plaintrail-pudong")
    branch.switch_page("views/hot.py").run()
    assert set(branch.dataframe[0].value["subject"]) <= {"O-003", "O-004"}


def choose_level(at: AppTest, level: str) -> AppTest:
    next(s for s in at.selectbox if s.label == "Level").set_value(level).run()
    assert not at.exception, (level, at.exception)
    return at


def units_shown(at: AppTest) -> set[str]:
    shown: set[str] = set()
    for frame in at.dataframe:
        shown |= set(frame.value.get("unit", []))
    return shown


def test_a_sub_branch_user_gets_its_own_ranking_or_a_plain_message_at_every_level(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "pudong", "plaintrail-pudong")  # scoped to the sub-branch SH-XH
    choose_level(at, "outlet")
    assert "Your ranking: outlets under SH-XH 徐汇支行 Xuhui sub-branch" in texts(at)
    assert units_shown(at) == {"O-003", "O-004"}
    every = next(f.value for f in at.dataframe if "bank_rank" in f.value and len(f.value) == 2)
    assert sorted(every["rank"]) == [1, 2] and set(every["bank_rank"]) <= {1, 2, 3, 4}  # its own rank, bank's beside
    choose_level(at, "sub_branch")
    assert any("No sub-branches sit under SH-XH" in i.value for i in at.info)
    assert units_shown(at) == {"SH-XH"}  # its own place on the bank-wide board
    choose_level(at, "branch")  # used to crash with KeyError: 'list'
    assert any("Branches sit above your unit SH-XH" in i.value for i in at.info)
    assert units_shown(at) == set()


def test_a_branch_user_gets_its_own_ranking_at_every_level(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from plaintrail import users

    users.add(home, "shanghai", "plaintrail-shanghai", "branch", "SH")
    at = logged_in(home, monkeypatch, "shanghai", "plaintrail-shanghai")
    choose_level(at, "outlet")
    assert units_shown(at) == {"O-001", "O-002", "O-003", "O-004"}
    assert any("bank_list" in f.value for f in at.dataframe)
    choose_level(at, "sub_branch")
    assert "Your ranking: sub-branches under SH" in texts(at) and units_shown(at) == {"SH-PD", "SH-XH"}
    choose_level(at, "branch")
    assert units_shown(at) == {"SH"} and any("No branches sit under SH" in i.value for i in at.info)


def test_management_drills_down_into_a_sub_branch_s_own_board(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = logged_in(home, monkeypatch, "manager", "plaintrail-manager")
    choose_level(at, "sub_branch")
    next(s for s in at.selectbox if s.label.startswith("Outlets of which")).set_value("SH-PD").run()
    assert not at.exception, at.exception
    drilled = [f.value for f in at.dataframe if "bank_rank" in f.value]
    assert drilled and set().union(*(set(f["unit"]) for f in drilled)) <= {"O-001", "O-002"}
    assert "N = " in texts(at)  # what drew the lists, in words


def test_every_table_on_every_page_has_a_label_for_each_column(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """People read names, not keys: no header shown on any page is a snake_case column id, and the ids that the
    label table names (actions, lists, tiers...) get their names in a column beside them."""
    import json
    import re

    home = tmp_path / "home"
    assert main(["--home", str(home), "org", "load", str(EXAMPLES / "bank.yaml")]) == 0
    assert main(["--home", str(home), "import", str(EXAMPLES / "actions.jsonl")]) == 1
    assert main(["--home", str(home), "users", "demo"]) == 0
    assert main(["--home", str(home), "hot", "open", "H-1", "--kind", "outlet", "--subject", "O-001",
                 "--executive", "P-PRES", "--unit", "O-001", "--reason", "three complaints"]) == 0
    assert main(["--home", str(home), "hot", "add-item", "H-1", "I-1", "--title", "retrain the counter",
                 "--owner", "P-H1B", "--due", "2024-04-30"]) == 0
    unlabelled, named = set(), set()
    for page in ("redblack", "timeline", "scores", "sla", "staff", "hot", "access"):
        at = logged_in(home, monkeypatch, "admin", "plaintrail-admin")
        at.switch_page(f"views/{page}.py").run()
        if page == "timeline":
            at.text_input(key="search").input("C-2024-0002").run()
        if page == "scores":
            at.selectbox(key="drill").select("P-H1B").run()
        assert not at.exception, at.exception
        assert at.dataframe, page
        for frame in at.dataframe:
            config = json.loads(frame.proto.columns or "{}")
            for column in map(str, frame.value.columns):
                shown = config.get(column, {}).get("label", column)
                if re.fullmatch(r"[a-z0-9_.]+", shown):
                    unlabelled.add((page, column))
                if column.endswith("_name") and column != "unit_name":
                    named.add((page, column))
    assert not unlabelled
    assert {("timeline", "action_name"), ("redblack", "list_name"), ("scores", "rule_name")} <= named
