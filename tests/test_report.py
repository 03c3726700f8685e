"""The monthly report renders for an empty month, a normal month and a demo bank's year, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from plaintrail.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


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
    pdf = (tmp_path / f"report-{unit}-{period}-{lang}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert expect in html and html.count("<img") == 4


def test_the_report_counts_what_was_received(homes: dict[str, Path], tmp_path: Path) -> None:
    main(["--home", str(homes["example"]), "report", "--period", "2024-03", "--unit", "SH-XH", "--lang", "en",
          "--out", str(tmp_path)])
    html = (tmp_path / "report-SH-XH-2024-03-en.html").read_text(encoding="utf-8")
    assert "work orders 2 · complaints 2 · regulator-transferred 1" in html  # O-003 and O-004 in March


def test_unknown_unit_is_a_clear_error(homes: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(homes["example"]), "report", "--period", "2024-03", "--unit", "NOPE"]) == 2
    assert "no unit NOPE" in capsys.readouterr().err
