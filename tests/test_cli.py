"""The contract's `org load`, `import` and `timeline` through `plaintrail.cli.main`, and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from plaintrail.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
BANK, ACTIONS = ROOT / "examples" / "bank.yaml", ROOT / "examples" / "actions.jsonl"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path: Path) -> str:
    return str(tmp_path / "home")


def test_org_load_records_only_what_changed(home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--home", home, "org", "load", str(BANK), "--json")
    first = json.loads(out)
    assert code == 0 and (first["units"], first["people"]) == (8, 10) and first["changes"] > 0
    code, out, _ = run(capsys, "--home", home, "org", "load", str(BANK), "--json")
    assert code == 0 and json.loads(out)["changes"] == 0
    data = yaml.safe_load(BANK.read_text(encoding="utf-8"))
    data["people"].append({"id": "P-NEW", "name": "New head", "roles": [{"role": "head", "unit": "O-004",
                                                                         "from": "2024-07-01"}]})
    changed = tmp_path / "bank2.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out, _ = run(capsys, "--home", home, "org", "load", str(changed))
    assert code == 0 and "11 people" in out and " 0 changes" not in out


@pytest.mark.parametrize(("text", "words"), [
    ("units: [{id: HQ, kind: hq}, {id: O1, kind: outlet, parent: GHOST}, {id: O1, kind: outlet, parent: HQ}]",
     ("GHOST", "O1 is listed twice", "cannot sit under HQ")),
    ("units: [{id: HQ, kind: hq}]\npeople: [{id: P, roles: [{role: head, unit: HQ, from: 2024-05-01, "
     "to: 2024-01-01}]}]", ("before",)),
    ("units: [{id: HQ, kind: castle}]", ("kind",)),
    ("units: [{id: HQ, kind: hq\n", ("not valid YAML",)),
])
def test_an_invalid_organisation_file_exits_2_listing_every_problem(
        home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: tuple[str, ...]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "--home", home, "org", "load", str(bad))
    assert code == 2 and err.startswith("plaintrail org: ")
    assert all(w in err for w in words), err
    code, _, err = run(capsys, "--home", home, "org", "load", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in err


def test_import_counts_and_rejects_file(home: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--home", home, "org", "load", str(BANK))[0] == 0
    code, out, _ = run(capsys, "--home", home, "import", str(ACTIONS))
    assert code == 1 and out.startswith("accepted 17, duplicates 0, rejected 3")
    code, out, _ = run(capsys, "--home", home, "import", str(ACTIONS), "--json")
    report = json.loads(out)
    assert code == 1 and list(report) == ["accepted", "duplicates", "rejected", "rejects_file"]
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (0, 17, 3)
    rejects = [json.loads(line) for line in Path(report["rejects_file"]).read_text(encoding="utf-8").splitlines()]
    raw = ACTIONS.read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 3 and all(set(r) == {"line", "reason", "raw"} for r in rejects)
    assert all(r["raw"] == raw[r["line"] - 1] and r["reason"] for r in rejects)


def test_import_refuses_a_bad_batch_size_and_a_directory(home: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--home", home, "import", str(ACTIONS), "--batch-size", "0")
    assert code == 2 and "--batch-size" in err
    code, _, err = run(capsys, "--home", home, "import", str(tmp_path))
    assert code == 2 and "no such file" in err


def test_timeline_json_table_and_as_of(home: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--home", home, "org", "load", str(BANK))
    lines = ACTIONS.read_text(encoding="utf-8").splitlines()
    first = lines[:2]  # A-0001 received, A-0002 assigned
    assert [json.loads(line)["action_id"] for line in first] == ["A-0001", "A-0002"]
    part = tmp_path / "first.jsonl"
    part.write_text("\n".join(first) + "\n", encoding="utf-8")
    assert run(capsys, "--home", home, "import", str(part))[0] == 0
    between = datetime.now().astimezone()
    run(capsys, "--home", home, "import", str(ACTIONS))

    code, out, _ = run(capsys, "--home", home, "timeline", "C-2024-0001", "--json")
    doc = json.loads(out)
    assert code == 0 and {"complaint_id", "events", "state", "sla"} <= set(doc)
    assert doc["complaint_id"] == "C-2024-0001" and doc["state"] == "closed" and len(doc["events"]) == 8
    assert all({"action", "at", "recorded_at", "actor", "action_id"} <= set(e) for e in doc["events"])
    assert doc["events"][0]["outlet"] == "O-001" and doc["events"][0]["via"] == "pboc"  # its fields too
    assert {row["regime"] for row in doc["sla"]} >= {"cbirc"}

    code, out, _ = run(capsys, "--home", home, "timeline", "C-2024-0001", "--json", "--as-of", between.isoformat())
    then = json.loads(out)
    assert code == 0 and [e["action_id"] for e in then["events"]] == ["A-0001", "A-0002"]
    assert then["state"] == "assigned" and then["as_of"] == between.isoformat()
    naive = between.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None).isoformat()  # the bank's zone
    code, out, _ = run(capsys, "--home", home, "timeline", "C-2024-0001", "--json", "--as-of", naive)
    assert len(json.loads(out)["events"]) == 2

    code, out, _ = run(capsys, "--home", home, "timeline", "C-2024-0001")
    assert code == 0 and "state: closed" in out
    assert all(column in out for column in ("at", "recorded_at", "action", "actor", "verdict"))
    assert "2024-03-05T09:12:00+08:00" in out


@pytest.mark.parametrize(("argv", "words"), [
    (["timeline", "C-404"], ("no complaint C-404",)),
    (["timeline", "C-2024-0001", "--as-of", "yesterday"], ("--as-of", "yesterday")),
    (["timeline", "C-2024-0001", "--as-of", "2000-01-01T00:00:00+08:00"], ("as of 2000-01-01",)),
])
def test_timeline_errors_exit_2(home: str, capsys: pytest.CaptureFixture[str], argv: list[str],
                                words: tuple[str, ...]) -> None:
    run(capsys, "--home", home, "org", "load", str(BANK))
    run(capsys, "--home", home, "import", str(ACTIONS))
    code, out, err = run(capsys, "--home", home, *argv)
    assert code == 2 and not out and err.startswith("plaintrail timeline: ")
    assert all(w in err for w in words), err


@pytest.mark.parametrize("command", ["org", "import", "timeline"])
def test_help_describes_each_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and f"plaintrail {command}" in out and len(out) > 200


def test_every_registered_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in ("org", "import", "timeline")) and len(COMMANDS) >= 3


def test_the_installed_command_in_a_real_process(tmp_path: Path) -> None:
    env = dict(os.environ, PLAINTRAIL_HOME=str(tmp_path / "home"))
    env.pop("PLAINTRAIL_DATABASE_URL", None)
    env.pop("PLAINTRAIL_KAFKA_BOOTSTRAP", None)
    exe = Path(sys.executable).with_name("plaintrail")
    cli = [str(exe)] if exe.exists() else [sys.executable, "-m", "plaintrail.cli"]
    load = subprocess.run([*cli, "org", "load", str(BANK)], env=env, capture_output=True, text=True, timeout=120)
    assert load.returncode == 0, load.stderr
    done = subprocess.run([*cli, "import", str(ACTIONS), "--json"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1 and json.loads(done.stdout)["accepted"] == 17
    shown = subprocess.run([*cli, "timeline", "C-2024-0001"], env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "state: closed" in shown.stdout
    missing = subprocess.run([*cli, "import", str(tmp_path / "nope.jsonl")], env=env, capture_output=True, text=True,
                             timeout=120)
    assert missing.returncode == 2 and "no such file" in missing.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_home_is_taken_before_or_after_the_command(home: str, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    def at(*argv: str) -> list[str]:
        return ["--home", home, *argv] if where == "before" else [*argv, "--home", home]

    assert run(capsys, *at("org", "load", str(BANK)))[0] == 0
    assert run(capsys, *at("import", str(ACTIONS)))[0] == 1  # the example holds bad lines
    code, out, _ = run(capsys, *at("leaderboard", "--period", "2024Q1", "--json"))
    assert code == 0 and {"O-001", "O-004"} <= {row["unit"] for row in json.loads(out)}


@pytest.mark.parametrize("argv", [["leaderboard", "--period", "2024Q1"], ["scores", "--period", "2024Q1"],
                                  ["sla", "--period", "2024Q1"], ["timeline", "C-2024-0001"]])
def test_a_query_on_a_home_with_no_events_says_so_and_exits_2(tmp_path: Path, argv: list[str],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "nothing-here"
    code, out, err = run(capsys, *argv, "--home", str(empty))
    assert code == 2 and not out and f"no events recorded in {empty}" in err and "--home" in err
    assert not empty.exists()  # asking made no store


@pytest.mark.parametrize("argv", [
    ["timeline", "C-1", "--as-of", ""], ["timeline", "C-1", "--at", " "], ["leaderboard", "--period", "2024",
                                                                            "--within", ""],
    ["leaderboard", "--period", "2024", "--as-of", ""], ["scores", "--period", "2024Q1", "--person", ""],
    ["sla", "--period", "2024Q1", "--as-of", ""], ["access-log", "--user", ""], ["leaderboard", "--period", "2024",
                                                                                  "--csv", ""],
])
def test_an_empty_value_is_refused_not_taken_for_an_option_left_out(home: str, argv: list[str],
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """A script's unset variable (`--as-of "$T"`) must not get today's answer for a past one."""
    code, out, err = run(capsys, "--home", home, *argv)
    option = next(a for a in argv if a.startswith("--") and argv[argv.index(a) + 1].strip() == "")
    assert (code, out) == (2, "") and f"plaintrail {argv[0]}: {option} was given an empty value" in err
    assert not Path(home).exists()  # refused before anything opened the home
