"""`plaintrail status`: read only, its lag counts what was recorded and not folded, and reaches 0 after catch-up
(both backends); a rebuild under way is seen, a killed one is not; a missing home exits 2."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from bench.synthetic import write_bank
from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from monitoring.rebuild_progress import FILE, RebuildProgress
from monitoring.status import status
from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models


def loaded(settings: Settings, held_back: int) -> tuple[int, list[str]]:
    """A bank recorded and folded, but for its last `held_back` actions; returns the events folded and those lines."""
    org, actions, _ = write_bank(settings.home / "bank", complaints=60, seed=9, outlet_count=6)
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
    lines = actions.read_text(encoding="utf-8").splitlines()
    assert not log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines[:-held_back])).rejected
    catch_up(settings, log=log)
    return log.recorder.max_notification_id(), lines[-held_back:]


def test_status_lag_counts_what_is_not_folded_and_reaches_zero_after_catch_up(settings: Settings) -> None:
    folded, rest = loaded(settings, held_back=25)
    first = status(settings)
    [readmodels] = first["projections"]
    assert first["log_head"] == folded and readmodels == {"name": "readmodels", "position": folded, "lag": 0,
                                                          "transport": "embedded"}
    log = open_log(settings)
    assert not log.record((n, parse_action(json.loads(line))) for n, line in enumerate(rest)).rejected
    head = log.recorder.max_notification_id()
    assert head > folded
    behind = status(settings)
    assert behind["log_head"] == head and behind["projections"][0]["lag"] == head - folded
    assert status(settings)["projections"][0]["position"] == folded  # watching folded nothing
    assert behind["checkpoint"]["size"] >= head - 1 and behind["checkpoint"]["events_not_covered"] == 0
    assert catch_up(settings, log=log) > 0
    after = status(settings)
    assert after["projections"][0] == {"name": "readmodels", "position": head, "lag": 0, "transport": "embedded"}
    store = open_read_models(settings)
    try:
        assert after["read_model_version"] == store.version
    finally:
        store.close()
    assert after["rebuild"] is None and after["fold_problems"] == 0 and after["kafka"] is None


def test_status_after_a_rebuild_names_the_new_live_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in os.environ if n.startswith("PLAINTRAIL_")]:
        monkeypatch.delenv(name)
    settings = Settings(home=tmp_path / "home")
    head, _ = loaded(settings, held_back=1)
    assert main(["--home", str(settings.home), "rebuild"]) == 0
    capsys.readouterr()
    assert main(["--home", str(settings.home), "status", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["read_model_version"] == "readmodels-v2.sqlite"
    assert found["projections"] == [{"name": "readmodels", "position": head, "lag": 0, "transport": "embedded"}]
    assert main(["--home", str(settings.home), "status"]) == 0
    text = capsys.readouterr().out
    assert "readmodels-v2.sqlite" in text and f"position {head:,}, lag 0" in text


def test_a_rebuild_under_way_is_seen_and_one_killed_is_not(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    loaded(settings, held_back=1)
    progress = RebuildProgress(settings.home, "readmodels-v2.sqlite", 1000)
    progress.update(250)
    progress._write()  # what the next second's update would write
    seen = status(settings)["rebuild"]
    assert seen == {"version": "readmodels-v2.sqlite", "events_folded": 250, "events_total": 1000, "percent": 25.0}
    progress.close()
    assert status(settings)["rebuild"] is None and not (settings.home / FILE).exists()
    dead = {"version": "readmodels-v3.sqlite", "events_total": 10, "events_folded": 5, "pid": 2**22 + 7,
            "started": 0}  # above any pid_max: no such process, as after kill -9
    (settings.home / FILE).write_text(json.dumps(dead), encoding="utf-8")
    assert status(settings)["rebuild"] is None


def test_status_of_a_home_that_is_not_there_exits_2_and_of_an_empty_one_says_zero(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in [n for n in os.environ if n.startswith("PLAINTRAIL_")]:
        monkeypatch.delenv(name)
    assert main(["--home", str(tmp_path / "nowhere"), "status"]) == 2
    assert "no plaintrail home" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()  # and did not make one
    (tmp_path / "empty").mkdir()
    assert main(["--home", str(tmp_path / "empty"), "status", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["log_head"] == 0 and found["projections"][0]["lag"] == 0 and found["checkpoint"] is None
