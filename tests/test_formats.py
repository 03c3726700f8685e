"""The importers on the real files in ../shared/data, checked against independent counts of the raw rows."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from domain.periods import Period
from plaintrail.cli import main
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.formats import unit_id
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not beside the repository")


def raw_rows(name: str) -> list[dict[str, str]]:
    with gzip.open(DATA / name, "rt", encoding="utf-8-sig", newline="") as text:
        return list(csv.DictReader(text))


def run_import(home: Path, file: Path, fmt: str, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    capsys.readouterr()
    main(["--home", str(home), "import", str(file), "--format", fmt, "--json"])
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("name", ["cfpb_complaints_2014.csv.gz", "cfpb_complaints_2015_2020.csv.gz"])
def test_cfpb_counts_per_company_equal_an_independent_count(tmp_path: Path, name: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    report = run_import(tmp_path, DATA / name, "cfpb", capsys)
    rows = raw_rows(name)
    assert report["rejected"] == 0
    expected = Counter(unit_id("CFPB-CO", r["Company"]) for r in rows)
    years = sorted({(r["Date received"][-4:] if "/" in r["Date received"] else r["Date received"][:4]) for r in rows})
    counted: Counter[str] = Counter()
    for year in years:
        for row in leaderboard(Settings(home=tmp_path), Period.parse(year), "outlet"):
            counted[row["unit"]] += row["complaints"]
    assert +counted == expected
    timely = sum(1 for r in rows if r["Timely response?"] == "Yes" and "progress" not in
                 (r.get("Company response") or r.get("Company response to consumer") or "").lower())
    again = run_import(tmp_path, DATA / name, "cfpb", capsys)  # twice: nothing new
    assert again["accepted"] == 0 and again["duplicates"] == report["accepted"]
    log = open_log(Settings(home=tmp_path))
    closed = [n for n in log.recorder.select_notifications(1, 200_000) if n.topic.endswith("Complaint.Closed")]
    assert sum(1 for n in closed if b'"timely_response":"Yes"' in n.state) == timely  # the source fact is kept


def servicenow_prefix(tmp_path: Path, rows: int = 15_000) -> Path:
    """The first incidents of the real log, cut at an incident boundary (keeps CI fast)."""
    with gzip.open(DATA / "servicenow_incident_event_log.csv.gz", "rt", encoding="utf-8", newline="") as text:
        lines = text.readlines()
    header, body = lines[0], lines[1:rows]
    last = body[-1].split(",", 1)[0]
    body = [line for line in body if not line.startswith(last + ",")]
    target = tmp_path / "servicenow.csv"
    target.write_text(header + "".join(body), encoding="utf-8")
    return target


ACTION_STATE = {"received": "New", "assigned": "Active", "contacted": "Awaiting", "handled": "Resolved",
                "closed": "Closed"}


def collapse(states: list[str]) -> list[str]:
    return [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]]


def test_servicenow_timelines_follow_the_raw_state_sequence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = servicenow_prefix(tmp_path)
    report = run_import(tmp_path, file, "servicenow", capsys)
    raw: dict[str, list[str]] = {}
    with file.open(encoding="utf-8", newline="") as text:
        for r in csv.DictReader(text):
            state = r["incident_state"]
            if state != "-100":
                raw.setdefault(r["number"], []).append("Awaiting" if state.startswith("Awaiting") else state)
    assert report["accepted"] > 9_000 and report["rejected"] == 0
    log = open_log(Settings(home=tmp_path))
    for number in sorted(raw):  # every incident of the prefix
        expected = ["New"]  # the first row, whatever its state, is also the complaint's receipt
        for state in collapse(raw[number]):
            if state == "New":
                continue  # (back) to New records nothing more
            if state == "Closed" and (not expected or expected[-1] != "Resolved"):
                expected.append("Resolved")  # a close implies the complaint was handled
            expected.append(state)
        history = log.complaint(f"SN-{number}").history.values()
        ours = collapse([ACTION_STATE[h["action"]] for h in history if h["action"] in ACTION_STATE])
        assert ours == collapse(expected), number


@pytest.mark.parametrize(("fmt", "name", "columns", "extreme"), [
    ("cfpb", "cfpb_complaints_2014.csv.gz", ("Date received", "Date sent to company"), "12/31/9999"),
    ("servicenow", "servicenow_incident_event_log.csv.gz", ("opened_at", "sys_updated_at"), "31/12/9999 23:59"),
    ("bpic2013", "bpic2013_volvo_incidents.csv.gz", ("Change Date+Time",), "2010-W13-3T15:59:42+01:00"),
])
def test_every_importer_rejects_an_implausible_or_guessed_date(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               fmt: str, name: str, columns: tuple[str, ...],
                                                               extreme: str) -> None:
    """Each format's dates go through the same checks: the row is rejected with its line, the rest kept."""
    with gzip.open(DATA / name, "rt", encoding="utf-8-sig", newline="") as text:
        reader = csv.DictReader(text)
        first = next(reader)
        key = reader.fieldnames[0] if reader.fieldnames else ""
    bad = {**first, key: first[key] + "9", **dict.fromkeys(columns, extreme)}
    target = tmp_path / f"{fmt}.csv"
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(first))
        writer.writeheader()
        writer.writerows([first, bad])
    report = run_import(tmp_path / "home", target, fmt, capsys)
    assert report["accepted"] >= 1 and report["rejected"] >= 1
    rejects = [json.loads(line) for line in Path(str(report["rejects_file"])).read_text("utf-8").splitlines()]
    assert {r["line"] for r in rejects} == {3}
    assert all("outside the plausible window" in r["reason"] or "not an RFC 3339 date-time" in r["reason"]
               for r in rejects), rejects
