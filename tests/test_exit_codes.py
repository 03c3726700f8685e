"""Exit statuses mean one thing each: an unexpected error is 70 with one line, never 1 ("some lines rejected")."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from plaintrail import exits
from plaintrail.cli import main
from plaintrail.commands import leaderboard


def broken(args: argparse.Namespace, settings: object) -> int:
    raise OverflowError("date value out of range")


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> None:
    real = leaderboard.register

    def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        real(sub)
        sub.choices["leaderboard"].set_defaults(func=broken)

    monkeypatch.setattr(leaderboard, "register", register)


def test_an_unexpected_error_exits_70_with_one_line_and_logs_the_traceback(
        failing: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAINTRAIL_DEBUG", raising=False)
    code = main(["--home", str(tmp_path), "leaderboard", "--period", "2024Q1", "--level", "outlet"])
    err = capsys.readouterr().err
    log = tmp_path / "logs" / "errors.log"
    assert code == exits.INTERNAL == 70
    assert err.count("\n") == 1 and err.startswith("plaintrail leaderboard: internal error: OverflowError: "
                                                   "date value out of range") and str(log) in err
    assert "Traceback" in log.read_text(encoding="utf-8") and "in broken" in log.read_text(encoding="utf-8")


def test_plaintrail_debug_prints_the_traceback(failing: None, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAINTRAIL_DEBUG", "1")
    code = main(["--home", str(tmp_path), "leaderboard", "--period", "2024Q1", "--level", "outlet"])
    err = capsys.readouterr().err
    assert code == 70 and err.startswith("Traceback") and "OverflowError" in err
    assert not (tmp_path / "logs").exists()


def test_bad_input_is_still_2_and_the_help_lists_every_status(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(tmp_path), "import", str(tmp_path / "missing.jsonl")]) == exits.USAGE
    assert main(["--home", str(tmp_path), "leaderboard", "--period", "2024Q5", "--level", "outlet"]) == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for line in ("0   done", "1   some lines rejected", "2   bad usage", "70  internal error", "130 interrupted",
                 "PLAINTRAIL_EARLIEST_AT", "PLAINTRAIL_LATEST_AHEAD"):
        assert line in out
