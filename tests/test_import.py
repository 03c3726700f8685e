"""Bad input gets a clear reason and loses nothing: every case of the contract's `import`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "examples" / "bank.yaml"


def received(n: int, outlet: str = "O-001", **extra: Any) -> dict[str, Any]:
    return {"action_id": f"R-{n}", "complaint_id": f"C-{n}", "action": "received",
            "at": "2024-03-05T09:00:00+08:00", "outlet": outlet, "channel": "hotline", "via": "direct", **extra}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    assert main(["--home", str(home), "org", "load", str(BANK)]) == 0
    return home


def run_import(home: Path, file: Path, *extra: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["--home", str(home), "import", str(file), "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def rejects(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(report["rejects_file"]).read_text(encoding="utf-8").splitlines()]


def import_in_child(home: Path, file: Path) -> tuple[int, dict[str, Any], float]:
    """`plaintrail import --json` in a process of its own: exit status, report, and its peak RSS in MB.
    VmHWM is this process image's own peak (ru_maxrss would carry the forking pytest's size across exec)."""
    probe = (f"import re, sys; from plaintrail.cli import main; "
             f"code = main(['--home', {str(home)!r}, 'import', {str(file)!r}, '--json']); "
             f"peak = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1); "
             f"print(peak, file=sys.stderr); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    return done.returncode, json.loads(done.stdout), int(done.stderr.strip().splitlines()[-1]) / 1024


def test_each_bad_line_is_rejected_with_its_line_and_reason_and_the_rest_is_kept(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        json.dumps(received(1)),                                              # 1 fine
        '{"action_id": "X", "complaint_id": ',                                # 2 malformed JSON
        json.dumps(received(3, at="2024-03-05T09:00:00")),                    # 3 no offset
        json.dumps(dict(received(4), action="teleported")),                   # 4 unknown action
        json.dumps(received(5, outlet="O-999")),                              # 5 unknown outlet
        json.dumps({"action_id": "H-6", "complaint_id": "C-6", "action": "handled", "outcome": "resolved",
                    "at": "2024-03-05T10:00:00+08:00"}),                      # 6 handled before received
        json.dumps({"action_id": "K-1", "complaint_id": "C-1", "action": "compensated", "amount": "-5",
                    "at": "2024-03-05T10:00:00+08:00"}),                      # 7 negative amount
        json.dumps(dict(received(8), via="telepathy")),                       # 8 unknown enum value
        json.dumps(dict(received(9), shoe_size=43)),                          # 9 unknown field
        json.dumps(received(1)),                                              # 10 duplicate, same content
        json.dumps(dict(received(1), channel="app")),                         # 11 same id, other content
        "[1, 2, 3]",                                                          # 12 not an object
        json.dumps({"action_id": "CB", "complaint_id": "C-1", "action": "callback", "satisfied": True,
                    "at": "2024-03-05T10:00:00+08:00"}),                      # 13 callback before closed
        json.dumps(received(14)),                                             # 14 fine
    ]
    file = tmp_path / "actions.jsonl"
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, report = run_import(home, file, capsys=capsys)
    assert code == 1 and set(report) == {"accepted", "duplicates", "rejected", "rejects_file"}
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (2, 1, 11)
    by_line = {r["line"]: r for r in rejects(report)}
    assert set(by_line) == {2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13}
    assert "JSON" in by_line[2]["reason"] and by_line[2]["raw"] == lines[1]
    assert "offset" in by_line[3]["reason"] or "timezone" in by_line[3]["reason"]
    assert "teleported" in by_line[4]["reason"] and "received" in by_line[4]["reason"]  # names the known ones
    assert "O-999" in by_line[5]["reason"]
    assert all(w in by_line[6]["reason"] for w in ("C-6", "handled")), by_line[6]["reason"]
    assert "amount" in by_line[7]["reason"] and "via" in by_line[8]["reason"] and "shoe_size" in by_line[9]["reason"]
    assert "R-1" in by_line[11]["reason"]
    assert all(w in by_line[13]["reason"] for w in ("C-1", "callback", "open")), by_line[13]["reason"]
    code, again = run_import(home, file, capsys=capsys)  # a re-import is a no-op for what was recorded
    assert (again["accepted"], again["duplicates"], again["rejected"]) == (0, 3, 11)


def test_empty_file_is_not_an_error(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert main(["--home", str(home), "import", str(empty)]) == 0
    assert "empty" in capsys.readouterr().err


def test_unreadable_file_exits_2(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(home), "import", str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_non_utf8_lines_are_rejected_and_good_lines_kept(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "mixed.jsonl"
    file.write_bytes(json.dumps(received(1)).encode() + b"\n" + '{"action_id": "網"}'.encode("big5") + b"\n"
                     + json.dumps(received(2), ensure_ascii=False).encode("utf-8") + b"\n")
    code, report = run_import(home, file, capsys=capsys)
    assert (code, report["accepted"], report["rejected"]) == (1, 2, 1)
    assert "UTF-8" in rejects(report)[0]["reason"] and rejects(report)[0]["line"] == 2


def test_csv_with_the_contract_columns(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "actions.csv"
    file.write_text("action_id,complaint_id,action,at,outlet,channel,via,effective,decided_by,bank_caused\n"
                    "A1,C-1,received,2024-03-05T09:00:00+08:00,O-001,hotline,pboc,,,\n"
                    "A2,C-1,validated,2024-03-06T09:00:00+08:00,,,,true,pboc,true\n"
                    "A3,C-1,validated,2024-03-06T09:00:00+08:00,,,,maybe,pboc,true\n", encoding="utf-8")
    code, report = run_import(home, file, capsys=capsys)
    assert (code, report["accepted"], report["rejected"]) == (1, 2, 1)
    assert rejects(report)[0]["line"] == 4 and "effective" in rejects(report)[0]["reason"]


def test_a_100_mb_file_streams_in_bounded_memory(home: Path, tmp_path: Path) -> None:
    """Most of the 100 MB are oversized lines (rejected for their size); every valid line is recorded."""
    file = tmp_path / "big.jsonl"
    giant = b'{"pad": "' + b"x" * (20 * 1024 * 1024) + b'"}\n'
    with file.open("wb") as out:
        for n in range(5):
            out.write(giant)
            for k in range(200):
                out.write(json.dumps(received(n * 1000 + k)).encode() + b"\n")
    assert file.stat().st_size > 100 * 1024 * 1024
    returncode, report, peak_mb = import_in_child(home, file)
    assert returncode == 1 and (report["accepted"], report["rejected"]) == (1000, 5)
    assert peak_mb < 150, f"peak RSS {peak_mb:.0f} MB for a {file.stat().st_size >> 20} MB file"


CSV_HEADER = b"action_id,complaint_id,action,at,outlet,channel\n"


def csv_row(n: int, channel: bytes = b"hotline") -> bytes:
    return b"R-%d,C-%d,received,2024-03-05T09:00:00+08:00,O-001," % (n, n) + channel + b"\n"


def test_csv_bad_lines_are_explained_and_good_ones_kept(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "actions.csv"
    file.write_bytes(b"\xef\xbb\xbf" + CSV_HEADER                          # 1 header after a BOM
                     + csv_row(1)                                           # 2 fine
                     + "R-2,C-2,received,2024-03-05T09:00:00+08:00,O-001,網\n".encode("big5")  # 3 not UTF-8
                     + b"R-3,C-3,received,2024-03-05T09:00:00+08:00,O-001\n"  # 4 a cell short
                     + b'R-4,C-4,received,2024-03-05T09:00:00+08:00,O-001,"ho\nt"\n'  # 5-6 quoted newline
                     + b"\r\n"                                              # 7 blank: skipped
                     + csv_row(5).replace(b"\n", b"\r\n"))                  # 8 fine, CRLF
    code, report = run_import(home, file, capsys=capsys)
    assert (code, report["accepted"], report["rejected"]) == (1, 2, 3)
    by_line = {r["line"]: r["reason"] for r in rejects(report)}
    assert set(by_line) == {3, 4, 5}
    assert "UTF-8" in by_line[3] and "5 cells" in by_line[4] and "channel" in by_line[5]


def test_a_csv_with_giant_lines_streams_in_bounded_memory(home: Path, tmp_path: Path) -> None:
    """Oversized CSV lines (one with an unterminated quote) are skipped without being held whole."""
    file = tmp_path / "big.csv"
    with file.open("wb") as out:
        out.write(CSV_HEADER + csv_row(1))
        out.write(csv_row(2, b"x" * (60 << 20)))
        out.write(csv_row(3))
        out.write(csv_row(4, b'"' + b"y" * (60 << 20)))
        out.write(csv_row(5))
    returncode, report, peak_mb = import_in_child(home, file)
    assert returncode == 1 and (report["accepted"], report["rejected"]) == (3, 2)
    assert [(r["line"], "longer than" in r["reason"]) for r in rejects(report)] == [(3, True), (5, True)]
    assert peak_mb < 150, f"peak RSS {peak_mb:.0f} MB for a {file.stat().st_size >> 20} MB file"


def test_a_gzipped_file_is_read_whatever_its_name_and_damage_loses_only_what_follows(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    body = b"".join(json.dumps(received(n)).encode() + b"\n" for n in range(3000))
    packed = gzip.compress(body, mtime=0)
    whole = tmp_path / "actions.jsonl.gz"
    whole.write_bytes(packed)
    code, report = run_import(home, whole, capsys=capsys)
    assert (code, report["accepted"], report["rejected"]) == (0, 3000, 0)
    cut = tmp_path / "cut.jsonl"  # truncated, and not even named .gz
    cut.write_bytes(packed[: len(packed) * 2 // 3])
    code, report = run_import(home, cut, "--batch-size", "100", capsys=capsys)
    assert code == 1 and report["rejected"] == 1 and report["accepted"] == 0 and report["duplicates"] > 1000
    assert "damaged gzip" in rejects(report)[0]["reason"] and rejects(report)[0]["line"] == report["duplicates"] + 1


def test_an_unclosed_quote_in_a_csv_is_one_reject_and_the_rows_after_it_are_kept(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 14.7: a quote never closed used to swallow the rows after it into one field (recorded with the
    next row's text, or lost without a reject). Quoted newlines that are closed keep working, even when the
    last line of the text has the header's number of cells."""
    def row(n: int, category: str = "cards") -> str:
        return f"R-{n},C-{n},received,2024-03-05T09:00:00+08:00,O-001,hotline,{category}\n"

    file = tmp_path / "actions.csv"
    file.write_text("action_id,complaint_id,action,at,outlet,channel,category\n"    # 1
                    + row(1) + row(2, '"fees, and a quote never closed')            # 2, 3
                    + row(3, '"quoted, with a comma"') + row(4)                     # 4, 5
                    + row(5, '"a note on two lines\nR-0,C-0,received,x,O-001,app,ends here"')  # 6-7
                    + row(6, '"broken') + row(7, '"broken too')                     # 8, 9: one record
                    + "".join(row(n) for n in range(8, 16))                         # 10-17
                    + row(16, '"at the end of the file'), encoding="utf-8")         # 18
    code, report = run_import(home, file, capsys=capsys)
    assert (code, report["accepted"], report["rejected"]) == (1, 12, 3)
    by_line = {r["line"]: r["reason"] for r in rejects(report)}
    assert set(by_line) == {3, 8, 18}
    assert "quote opened on line 3 is never closed" in by_line[3] and "line 4 is a record" in by_line[3]
    assert "lines 8-9" in by_line[8] and "file ends" in by_line[18]
    log = open_log(Settings(home=home))
    categories = {n: log.complaint(f"C-{n}").category for n in (1, 3, 4, 5, 8, 15)}
    assert categories == {1: "cards", 3: "quoted, with a comma", 4: "cards",
                          5: "a note on two lines\nR-0,C-0,received,x,O-001,app,ends here", 8: "cards", 15: "cards"}


def test_external_csv_exports_get_the_same_protection(
        home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CFPB export: a multi-line narrative is kept, an unclosed one is rejected with its line and the
    complaints after it kept, a row with more cells than the header is rejected (it used to be cut silently)."""
    columns = ["Date received", "Product", "Consumer complaint narrative", "Company", "Submitted via",
               "Complaint ID"]

    def row(n: int, narrative: str = "") -> str:
        return f"2020-03-{n:02d},Mortgage,{narrative},Bank {n % 3},Web,{1000 + n}\n"

    file = tmp_path / "cfpb.csv"
    file.write_text(",".join(columns) + "\n" + row(1, '"first line\nends, with, three"')  # 1, 2-3
                    + row(2, '"never closed') + row(3) + row(4) + row(5).replace(",Web,", ",Web,extra,")  # 4-7
                    + row(6), encoding="utf-8")                                                          # 8
    code, report = run_import(home, file, "--format", "cfpb", capsys=capsys)
    assert (code, report["accepted"], report["rejected"]) == (1, 4, 2)
    by_line = {r["line"]: r["reason"] for r in rejects(report)}
    assert set(by_line) == {4, 7} and "never closed" in by_line[4] and "7 cells" in by_line[7]
    log = open_log(Settings(home=home))  # each complaint is there (an unknown one raises)
    assert [log.complaint(f"CFPB-{1000 + n}").category for n in (1, 3, 4, 6)] == ["Mortgage"] * 4
