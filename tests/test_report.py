"""The monthly report: complete tables on numbered pages, the hot issues of its month, labels for people."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pypdf
import pytest
import yaml

from domain.hot_issues import HotIssues
from plaintrail import hot
from plaintrail.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TZ = ZoneInfo("Asia/Shanghai")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    example = tmp_path_factory.mktemp("example")
    main(["--home", str(example), "org", "load", str(EXAMPLES / "bank.yaml")])
    main(["--home", str(example), "import", str(EXAMPLES / "actions.jsonl")])
    demo = tmp_path_factory.mktemp("demo")
    main(["--home", str(demo), "demo-data", "--outlets", "60", "--out", str(demo / "data")])
    main(["--home", str(demo), "org", "load", str(demo / "data" / "bank.yaml")])
    main(["--home", str(demo), "import", str(demo / "data" / "actions.jsonl")])
    main(["--home", str(demo), "hot", "detect"])
    return {"example": example, "demo": demo}


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A branch of 10 sub-branches and 89 outlets, one effective complaint at each in March 2024: 100 people
    fined 2,000 yuan each a complaint (89 heads, 10 vice-presidents, the president: 178,000 yuan)."""
    home = tmp_path_factory.mktemp("crowd")
    units = [{"id": "HQ", "name": "总行", "kind": "hq"},
             {"id": "BR", "name": "上海分行", "kind": "branch", "parent": "HQ"}]
    people = [{"id": "P-PRES", "name": "王行长", "roles": [{"role": "president", "unit": "BR", "from": "2023-01-01"}]}]
    actions = []
    for s in range(10):
        units.append({"id": f"SB{s}", "name": f"第{s}支行", "kind": "sub_branch", "parent": "BR"})
        people.append({"id": f"VP{s}", "name": f"副行长{s}号", "roles": [{"role": "supervising_vp", "unit": f"SB{s}",
                                                                     "from": "2023-01-01"}]})
    for o in range(89):
        units.append({"id": f"O{o:03d}", "name": f"网点{o:03d}", "kind": "outlet", "parent": f"SB{o % 10}",
                      "customers": 10000 + o})
        people.append({"id": f"H{o:03d}", "name": f"负责人{o:03d}", "roles": [{"role": "head", "unit": f"O{o:03d}",
                                                                          "from": "2023-01-01"}]})
        at = f"2024-03-{1 + o % 28:02d}T10:00:00+08:00"
        actions += [{"action_id": f"a{o}-r", "complaint_id": f"C{o}", "action": "received", "at": at,
                     "outlet": f"O{o:03d}", "channel": "hotline", "via": "direct", "category": "服务态度"},
                    {"action_id": f"a{o}-v", "complaint_id": f"C{o}", "action": "validated",
                     "at": at.replace("T10", "T16"), "effective": True, "decided_by": "hq", "bank_caused": True}]
    (home / "bank.yaml").write_text(yaml.safe_dump({"units": units, "people": people}, allow_unicode=True), "utf-8")
    (home / "actions.jsonl").write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in actions), "utf-8")
    main(["--home", str(home), "org", "load", str(home / "bank.yaml")])
    main(["--home", str(home), "import", str(home / "actions.jsonl")])
    return home


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(path).pages]


@pytest.mark.parametrize(("home", "period", "unit", "lang", "expect"), [
    ("example", "2023-01", "SH", "en", "Monthly analysis"),  # nothing recorded that month
    ("example", "2024-03", "SH", "zh", "全量工单月度分析"),
    ("demo", "2024", "SH", "zh", "红榜"),
    ("demo", "2024-06", "SB-01", "en", "Black list"),
])
def test_report_renders(homes: dict[str, Path], tmp_path: Path, home: str, period: str, unit: str, lang: str,
                        expect: str) -> None:
    assert main(["--home", str(homes[home]), "report", "--period", period, "--unit", unit, "--lang", lang,
                 "--out", str(tmp_path)]) == 0
    html = (tmp_path / f"report-{unit}-{period}-{lang}.html").read_text(encoding="utf-8")
    pdf = tmp_path / f"report-{unit}-{period}-{lang}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert expect in html and html.count("<img") == 4
    assert expect in "".join(pdf_pages(pdf))


def test_the_pdf_holds_every_fined_person_on_numbered_pages(crowd: Path, tmp_path: Path) -> None:
    assert main(["--home", str(crowd), "report", "--period", "2024-03", "--unit", "BR", "--lang", "zh",
                 "--out", str(tmp_path)]) == 0
    pages = pdf_pages(tmp_path / "report-BR-2024-03-zh.pdf")
    text = "\n".join(pages)
    fined = ["王行长", *(f"副行长{s}号" for s in range(10)), *(f"负责人{o:03d}" for o in range(89))]
    assert [name for name in fined if name not in text] == []
    assert "178,000.00" in text and "共100人" in text  # the president's fines, the total row
    for number, page in enumerate(pages, start=1):
        assert f"第 {number} 页 / 共 {len(pages)} 页" in page
    assert len(pages) >= 4  # the people table ran on over more than one page
    heads = [p for p in pages if "负责人0" in p]
    assert len(heads) >= 2 and all("姓名" in p and "罚款（元）" in p for p in heads)  # the header row repeats


def test_the_zh_report_has_no_snake_case_header(crowd: Path, tmp_path: Path) -> None:
    main(["--home", str(crowd), "report", "--period", "2024-03", "--unit", "BR", "--lang", "zh",
          "--out", str(tmp_path)])
    html = (tmp_path / "report-BR-2024-03-zh.html").read_text(encoding="utf-8")
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert "罚款（元）" in headers and "监管转办件" in headers
    assert [h for h in headers if SNAKE.search(h)] == []
    assert not SNAKE.search("\n".join(pdf_pages(tmp_path / "report-BR-2024-03-zh.pdf")))


def test_the_report_has_the_month_on_month_and_year_on_year_change(crowd: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    main(["--home", str(crowd), "report", "--period", "2024-03", "--unit", "BR", "--json"])
    figures = json.loads(capsys.readouterr().out)
    complaints = next(h for h in figures["headline"] if h["indicator"] == "complaints")
    assert complaints == {"indicator": "complaints", "this_period": 89, "previous": 0, "mom_pct": None,
                          "year_ago": 0, "yoy_pct": None}
    assert {r["unit"] for r in figures["breakdown"]} == {f"SB{s}" for s in range(10)}
    assert {r["regime"] for r in figures["sla"]} <= {"same_day", "cbirc"}  # the bank's regimes only
    assert figures["people_totals"] == {"people": 100, "fines_cny": "534000.00", "points": -267, "complaints": 89}
    main(["--home", str(crowd), "report", "--period", "2024-04", "--unit", "BR", "--json"])
    april = json.loads(capsys.readouterr().out)
    complaints = next(h for h in april["headline"] if h["indicator"] == "complaints")
    assert complaints["previous"] == 89 and complaints["mom_pct"] == -100.0


def test_the_report_counts_what_was_received(homes: dict[str, Path], tmp_path: Path) -> None:
    main(["--home", str(homes["example"]), "report", "--period", "2024-03", "--unit", "SH-XH", "--lang", "en",
          "--out", str(tmp_path)])
    html = (tmp_path / "report-SH-XH-2024-03-en.html").read_text(encoding="utf-8")
    assert "work orders 2 · complaints 2 · regulator-transferred 1" in html  # O-003 and O-004 in March


def test_the_hot_issues_are_those_of_the_month_as_of_its_end(crowd: Path, capsys: pytest.CaptureFixture[str],
                                                            ) -> None:
    main(["--home", str(crowd), "hot", "detect"])  # 89 complaints on one category in March: a spike
    capsys.readouterr()
    main(["--home", str(crowd), "hot", "list", "--json"])
    (issue,) = json.loads(capsys.readouterr().out)
    assert issue["opened_at"][:7] == "2024-03" and issue["items_overdue"] == 3  # counted today: all overdue

    def shown(month: str) -> list[dict[str, Any]]:
        main(["--home", str(crowd), "report", "--period", month, "--unit", "BR", "--json"])
        return json.loads(capsys.readouterr().out)["hot_issues"]

    assert shown("2024-02") == []  # not yet opened
    (march,) = shown("2024-03")
    due = sorted(date.fromisoformat(i["due"]) for i in issue["items"])
    assert march["in_month"] == ["opened"]
    assert march["items_overdue"] == sum(1 for d in due if d < date(2024, 4, 1)) < 3  # at the month's end
    (may,) = shown("2024-05")
    assert may["in_month"] == ["carried"] and may["items_overdue"] == 3  # still open, overdue by then


def test_a_ledger_stands_as_it_was_at_the_end_of_the_period() -> None:
    register = HotIssues()
    opened = datetime(2024, 3, 5, 9, tzinfo=TZ)
    register.open("HI-1", "category", "fees", opened, "P-1", "BR", [], [], "by hand")
    register.add_item("HI-1", "1", "root cause", "P-1", date(2024, 3, 15), "BR")
    register.add_item("HI-1", "2", "train staff", "P-1", date(2024, 4, 20), "BR")
    register.close_item("HI-1", "1", datetime(2024, 3, 20, 9, tzinfo=TZ), "report filed")
    register.close_item("HI-1", "2", datetime(2024, 5, 3, 9, tzinfo=TZ), "training done")
    register.close("HI-1", datetime(2024, 5, 4, 9, tzinfo=TZ))
    issues = list(register.issues.values())

    def month(m: int) -> list[dict[str, Any]]:
        return hot.issues_in(issues, datetime(2024, m, 1, tzinfo=TZ), datetime(2024, m + 1, 1, tzinfo=TZ), TZ)

    (march,) = month(3)
    assert march["in_month"] == ["opened", "progressed"] and march["items_closed"] == 1 and march["closed_at"] is None
    (april,) = month(4)
    assert april["in_month"] == ["carried"] and april["items_overdue"] == 1  # item 2 was due 20 April
    (may,) = month(5)
    assert may["in_month"] == ["progressed", "issue_closed"] and may["items_open"] == 0
    assert month(6) == []  # closed before June, nothing happened in it


def test_unknown_unit_is_a_clear_error(homes: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(homes["example"]), "report", "--period", "2024-03", "--unit", "NOPE"]) == 2
    assert "no unit NOPE" in capsys.readouterr().err

