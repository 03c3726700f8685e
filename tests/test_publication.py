"""Publishing is an act: the posted list is recorded, shown as posted, and compared with today's board,
naming the events recorded since that changed it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.publication import DigestMismatch, NothingToPublish, Publication, digest
from plaintrail.cli import main

ROOT = Path(__file__).resolve().parents[1]
BANK, ACTIONS = ROOT / "examples" / "bank.yaml", ROOT / "examples" / "actions.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_published_then_corrected_then_diffed_names_the_annulment(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    first = tmp_path / "first.jsonl"  # up to A-0013: C-2024-0002 (O-003) validated effective
    first.write_text("\n".join(ACTIONS.read_text(encoding="utf-8").splitlines()[:13]) + "\n", encoding="utf-8")
    assert main(["--home", home, "org", "load", str(BANK)]) == 0
    assert main(["--home", home, "import", str(first)]) == 0
    board = ["--period", "2024Q1", "--level", "outlet", "--home", home]
    code, out, _ = run(capsys, "publish", *board, "--by", "committee", "--json")
    posting = json.loads(out)
    assert code == 0 and posting["published_by"] == "committee" and posting["units"] == 4
    assert posting["policy_version"] == "seed-2020" and posting["size"] == 10 and posting["digest_holds"]
    code, before, _ = run(capsys, "leaderboard", *board, "--json")

    assert main(["--home", home, "import", str(ACTIONS)]) == 1  # A-0014 annuls A-0013; C-2024-0003 at O-004
    code, out, _ = run(capsys, "leaderboard", *board, "--published", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["digest"] == posting["digest"] == digest(shown["rows"]) and shown["digest_holds"]
    assert {r["unit"]: r["effective"] for r in shown["rows"]} == {r["unit"]: r["effective"]
                                                                  for r in json.loads(before)}

    code, out, _ = run(capsys, "leaderboard", *board, "--diff-published", "--json")
    diff = json.loads(out)
    changed = {row["unit"]: row for row in diff["changed"]}
    assert code == 0 and changed["O-003"]["changes"]["effective"] == {"then": 1, "now": 0}
    assert changed["O-003"]["events"] == ["A-0014"]  # the annulment that took the validation back
    annulment = next(e for e in diff["events"] if e["action_id"] == "A-0014")
    assert annulment["event_type"] == "Complaint.Annulled" and annulment["target_action_id"] == "A-0013"
    assert changed["O-004"]["changes"]["list"] == {"then": "red", "now": "black"} and "A-0015" in changed["O-004"][
        "events"]
    assert "O-002" not in changed
    code, out, _ = run(capsys, "leaderboard", *board, "--diff-published")
    assert code == 0 and "effective 1 -> 0  (events: A-0014)" in out

    code, out, _ = run(capsys, "verify", "--json", "--home", home)  # the posting is in the signed tree
    assert code == 0 and json.loads(out)["ok"]


def test_a_board_never_published_is_not_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = str(tmp_path / "home")
    assert main(["--home", home, "org", "load", str(BANK)]) == 0
    assert main(["--home", home, "import", str(ACTIONS)]) == 1
    code, out, err = run(capsys, "leaderboard", "--period", "2024Q1", "--published", "--home", home)
    assert code == 2 and not out and "was never published" in err


def test_what_is_recorded_as_posted_is_what_was_posted() -> None:
    board = Publication("2024Q1", "outlet", None)
    rows = [{"unit": "O-1", "list": "red"}]
    with pytest.raises(DigestMismatch):
        board.publish("me", datetime.now(UTC), "v1", 10, "", None, 7, rows, digest([{"unit": "O-2"}]))
    with pytest.raises(NothingToPublish):
        board.publish("me", datetime.now(UTC), "v1", 10, "", None, 7, [], digest([]))
    board.publish("me", datetime.now(UTC), "v1", 10, "", None, 7, rows, digest(rows))
    assert board.latest is not None and board.latest["rows"] == rows and len(board.collect_events()) == 2
