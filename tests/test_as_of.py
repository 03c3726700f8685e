"""Both times: --as-of T answers from the events recorded by T (exactly what a store fed only those would say),
--at T from what had happened by T."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail.as_of import record_as_of
from plaintrail.cli import main
from plaintrail.commands.scores import compute
from plaintrail.settings import Settings
from projections.scores import graded

ROOT = Path(__file__).resolve().parents[1]
BANK, ACTIONS = ROOT / "examples" / "bank.yaml", ROOT / "examples" / "actions.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, datetime]:
    """`later`: the first 13 actions (C-2024-0002 validated effective), T, then the rest (its annulment, a
    regulator-transferred complaint...); `early`: a fresh home fed only the first 13."""
    base = tmp_path_factory.mktemp("as_of")
    first = base / "first.jsonl"
    first.write_text("\n".join(ACTIONS.read_text(encoding="utf-8").splitlines()[:13]) + "\n", encoding="utf-8")
    later, early = base / "later", base / "early"
    for home in (later, early):
        assert main(["--home", str(home), "org", "load", str(BANK)]) == 0
        assert main(["--home", str(home), "import", str(first)]) == 0
    moment = datetime.now(UTC)
    assert main(["--home", str(later), "import", str(ACTIONS)]) == 1  # the example holds bad lines
    return later, early, moment


@pytest.mark.parametrize("query", [["leaderboard", "--period", "2024Q1", "--level", "outlet"],
                                   ["leaderboard", "--period", "2024-03", "--level", "sub_branch"]])
def test_the_board_as_of_t_equals_a_store_fed_only_the_events_recorded_by_t(
        homes: tuple[Path, Path, datetime], query: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    later, early, moment = homes
    code, then, _ = run(capsys, *query, "--json", "--as-of", moment.isoformat(), "--home", str(later))
    assert code == 0
    assert json.loads(then) == json.loads(run(capsys, *query, "--json", "--home", str(early))[1])
    assert json.loads(then) != json.loads(run(capsys, *query, "--json", "--home", str(later))[1])  # it moved since


def test_scores_and_sla_as_of_t_equal_a_store_fed_only_the_events_recorded_by_t(
        homes: tuple[Path, Path, datetime], capsys: pytest.CaptureFixture[str]) -> None:
    later, early, moment = homes
    period, policy = Period.parse("2024Q1"), Policy.load(DEFAULT)
    fresh = compute(Settings(home=early), period, policy, now=moment)
    with record_as_of(Settings(home=later), moment) as store:
        assert compute(Settings(home=later), period, policy, store=store, as_of=moment) == fresh
    assert any(e["complaint_id"] == "C-2024-0002" for row in fresh[0] for e in row["entries"])  # annulled since
    code, out, _ = run(capsys, "scores", "--period", "2024Q1", "--json", "--as-of", moment.isoformat(),
                       "--home", str(later))
    assert code == 0 and json.loads(out) == graded(fresh[0], period, policy, Settings(home=early).tz, "person")
    code, now_out, _ = run(capsys, "scores", "--period", "2024Q1", "--json", "--home", str(later))
    assert not any(e["complaint_id"] == "C-2024-0002" for row in json.loads(now_out) for e in row["entries"])
    code, out, _ = run(capsys, "sla", "--period", "2024Q1", "--json", "--as-of", moment.isoformat(), "--home",
                       str(later))
    assert code == 0 and {row["unit"] for row in json.loads(out)} == {"O-001", "O-003"}  # O-004's came later


def test_timeline_at_is_business_time_and_as_of_before_the_record_points_to_it(
        homes: tuple[Path, Path, datetime], capsys: pytest.CaptureFixture[str]) -> None:
    later, _, _ = homes
    code, out, err = run(capsys, "timeline", "C-2024-0001", "--as-of", "2024-03-06T00:00:00+08:00", "--home",
                         str(later))
    assert code == 2 and "did you mean --at" in err and "received at 2024-03-05T09:12:00+08:00" in err
    code, out, _ = run(capsys, "timeline", "C-2024-0001", "--at", "2024-03-05T12:00:00+08:00", "--json", "--home",
                       str(later))
    doc = json.loads(out)
    assert code == 0 and [e["action_id"] for e in doc["events"]] == ["A-0001", "A-0002", "A-0003"]
    assert doc["state"] == "contacted" and doc["at"] == "2024-03-05T12:00:00+08:00"
    code, out, _ = run(capsys, "timeline", "C-2024-0002", "--at", "2024-03-13T12:00:00+08:00", "--json", "--home",
                       str(later))
    shown = {e["action_id"]: e for e in json.loads(out)["events"]}
    assert set(shown) == {"A-0009", "A-0010", "A-0011", "A-0012", "A-0013"}  # its annulment came on the 14th
    assert shown["A-0013"]["annulled"] is False
    code, _, err = run(capsys, "timeline", "C-2024-0001", "--at", "2024-01-01T00:00:00+08:00", "--home", str(later))
    assert code == 2 and "had not been received by 2024-01-01" in err


def test_a_store_with_no_events_is_told_apart_on_both_backends(settings: Settings,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from plaintrail.home import NothingRecorded, has_events, require_record
    from plaintrail.wiring import open_log

    assert not has_events(settings)
    with pytest.raises(NothingRecorded, match="no events recorded"):
        require_record(settings)
    open_log(settings)  # the store exists now, still without events
    assert not has_events(settings)
    if settings.database_url:
        monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", settings.database_url)
    assert main(["--home", str(settings.home), "org", "load", str(BANK)]) == 0
    assert has_events(settings)
    require_record(settings)
