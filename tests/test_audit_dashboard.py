"""Audit's questions in the dashboard: every export is recorded, the access log is readable, the list is
published from the printable view, and logins are limited."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from domain.periods import Period
from plaintrail import publication
from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.access_log import entries

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert main(["--home", str(home), "org", "load", str(EXAMPLES / "bank.yaml")]) == 0
    assert main(["--home", str(home), "import", str(EXAMPLES / "actions.jsonl")]) == 1  # it holds bad lines
    assert main(["--home", str(home), "users", "demo", "--unit", "SH-XH"]) == 0
    return home


def app(home: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("PLAINTRAIL_HOME", str(home))
    st.cache_resource.clear()
    return AppTest.from_file(APP, default_timeout=60).run()


def log_in(at: AppTest, user: str, password: str) -> AppTest:
    at.text_input[0].input(user)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def recorded(home: Path, action: str) -> list[dict[str, object]]:
    return entries(open_log(Settings(home=home)), action=action)


def click(at: AppTest, label: str) -> AppTest:
    button = next(b for b in at.get("download_button") if b.label.startswith(label))
    button.click().run()  # type: ignore[attr-defined]
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize(("user", "page", "label", "action"), [
    ("manager", None, "Download CSV", "leaderboard.export"),
    ("hr", None, "Download entries (CSV)", "scores.export"),
    ("hr", None, "Download HR workbook", "scores.export"),
    ("auditor", "search", "Inclusion proof", "timeline.export"),
    ("auditor", "views/access.py", "Download CSV", "access.export"),
])
def test_every_export_is_recorded(home: Path, monkeypatch: pytest.MonkeyPatch, user: str, page: str | None,
                                  label: str, action: str) -> None:
    at = log_in(app(home, monkeypatch), user, f"plaintrail-{user}")
    if page == "search":
        at.text_input(key="search").input("C-2024-0001").run()
    elif page:
        at.switch_page(page).run()
    before = len(recorded(home, action))
    click(at, label)
    after = recorded(home, action)
    assert len(after) == before + 1 and after[-1]["user"] == user
    assert st.get_option("client.disableDataExport") is True  # no table's own CSV download bypasses this
    assert st.get_option("client.toolbarMode") == "minimal"


def test_the_dashboard_command_turns_off_unrecorded_exports_and_the_developer_toolbar(tmp_path: Path) -> None:
    from plaintrail.commands.dashboard import command

    line = " ".join(command(Settings(home=tmp_path), 8501))
    assert "--client.disableDataExport true" in line and "--client.toolbarMode minimal" in line
    config = (Path(APP).parents[1] / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert 'toolbarMode = "minimal"' in config and "disableDataExport = true" in config


def test_the_access_log_page_is_for_audit_and_admin(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    auditor = log_in(app(home, monkeypatch), "auditor", "plaintrail-auditor")
    auditor.text_input(key="search").input("C-2024-0002").run()  # a view, recorded
    auditor.switch_page("views/access.py").run()
    assert not auditor.exception, auditor.exception
    shown = auditor.dataframe[0].value
    assert {"timeline.view"} <= set(shown["action"]) and "C-2024-0002" in set(shown["subject"])
    for user in ("manager", "hr", "pudong"):
        other = log_in(app(home, monkeypatch), user, f"plaintrail-{user}")
        with pytest.raises(ValueError, match="Known pages"):
            other.switch_page("views/access.py")


def test_the_printable_view_publishes_the_list(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = log_in(app(home, monkeypatch), "manager", "plaintrail-manager")
    next(t for t in at.toggle if t.label.startswith("Printable view")).set_value(True).run()
    at.button(key="publish").click().run()
    assert not at.exception, at.exception
    assert any("Published (posting" in s.value for s in at.success)
    posted = publication.published(Settings(home=home), Period.parse("2024Q1"), "outlet")
    assert posted["published_by"] == "manager" and posted["digest_holds"]


def test_access_log_command_filters_by_user_and_time(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import json

    log_in(app(home, monkeypatch), "auditor", "plaintrail-auditor").text_input(key="search").input(
        "C-2024-0003").run()
    capsys.readouterr()
    assert main(["access-log", "--user", "auditor", "--json", "--home", str(home)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and {r["user"] for r in rows} == {"auditor"} and any(r["subject"] == "C-2024-0003" for r in rows)
    assert {"notification_id", "at", "user", "role", "action", "subject", "detail"} <= set(rows[-1])
    assert main(["access-log", "--since", "2999-01-01", "--json", "--home", str(home)]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["access-log", "--user", "auditor", "--action", "timeline", "--csv", "--home", str(home)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].lstrip("\ufeff").startswith("notification_id,at,user") and len(lines) == 1 + len(
        [r for r in rows if r["action"].startswith("timeline.")])


@pytest.fixture
def own_home(tmp_path: Path) -> Path:
    """A home of its own: locking a user out must not leak into the other tests."""
    import yaml

    from plaintrail import users

    home = tmp_path / "home"
    assert main(["--home", str(home), "org", "load", str(EXAMPLES / "bank.yaml")]) == 0
    assert main(["--home", str(home), "users", "demo", "--unit", "SH-XH"]) == 0
    config = users.load(home)
    config["logins"] = {"max_failed_per_user": 3, "window_minutes": 15}
    users.users_path(home).write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return home


def test_failed_logins_lock_the_user_out_even_with_the_right_password(own_home: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        at = log_in(app(own_home, monkeypatch), "manager", "guess")
        assert any("Wrong user name or password" in e.value for e in at.error)
    at = log_in(app(own_home, monkeypatch), "manager", "plaintrail-manager")
    assert any("Too many failed logins for user manager (3 in 15 minutes)" in e.value for e in at.error)
    assert not at.dataframe and "viewer" not in at.session_state
    other = log_in(app(own_home, monkeypatch), "hr", "plaintrail-hr")  # one user's lock is not another's
    assert not other.error and other.session_state["viewer"].user == "hr"


def test_the_guard_counts_per_address_and_forgets_after_the_window(tmp_path: Path) -> None:
    from plaintrail.logins import Limits, LoginGuard

    now = [1_000_000.0]
    guard = LoginGuard(tmp_path, Limits(per_user=5, per_address=3, window_s=600), clock=lambda: now[0])
    for user in ("a", "b", "c"):  # a spray over many users from one address
        assert guard.refused(user, "10.0.0.9") is None
        guard.failed(user, "10.0.0.9")
    assert "address 10.0.0.9" in (guard.refused("d", "10.0.0.9") or "")
    assert guard.refused("d", "10.0.0.10") is None
    now[0] += 601
    assert guard.refused("d", "10.0.0.9") is None


def test_a_password_change_ends_the_user_s_sessions(own_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from plaintrail import users

    at = log_in(app(own_home, monkeypatch), "manager", "plaintrail-manager")
    assert "viewer" in at.session_state
    users.add(own_home, "manager", "a-new-password", "management")
    at.run()
    assert any("password was changed" in w.value for w in at.warning) and "viewer" not in at.session_state
    config = users.load(own_home)
    issued_before = {"username": "manager", "exp_date": 0.0 + config["cookie"]["expiry_days"] * 86_400}
    assert not users.cookie_still_good(config, issued_before)  # a re-login cookie from before is refused too
    assert log_in(app(own_home, monkeypatch), "manager", "a-new-password").session_state["viewer"].user == "manager"


def test_a_link_to_a_page_survives_the_login(own_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["--home", str(own_home), "import", str(EXAMPLES / "actions.jsonl")]) == 1
    at = app(own_home, monkeypatch)
    at.switch_page("views/sla.py").run()  # opened from a link before logging in
    assert not at.exception, at.exception
    log_in(at, "manager", "plaintrail-manager")
    assert any("SLA monitor" in t.value for t in at.title)
