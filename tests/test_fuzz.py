"""Hostile input: thousands of generated bad actions and files; no crash, nothing valid lost, every reject explained."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actions import InvalidAction, parse_action
from plaintrail.cli import main
from plaintrail.output import write_csv

BANK = Path(__file__).resolve().parents[1] / "examples" / "bank.yaml"
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)
KEYS = ["action_id", "complaint_id", "action", "at", "actor", "outlet", "channel", "via", "kind", "amount",
        "effective", "decided_by", "target_action_id", "days", "personal", "source"]


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), JSON, max_size=10))
def test_parse_action_accepts_or_explains_never_crashes(data: dict[str, Any]) -> None:
    try:
        parse_action(data)
    except InvalidAction as error:
        assert str(error)


def bad_line(rng: random.Random, n: int) -> bytes:
    base = {"action_id": f"B{n}", "complaint_id": f"BC{n}", "action": "received", "at": "2024-03-05T09:00:00+08:00",
            "outlet": "O-001", "channel": "hotline"}
    kind = n % 12
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80)))
    if kind == 1:
        return b"[" * 5000 + b"]" * 5000  # deep JSON
    if kind == 2:
        return json.dumps({**base, "outlet": "O-001\x00\x07"}).encode()  # control characters
    if kind == 3:
        return json.dumps({**base, "category": "x" * 5000}).encode()  # oversized field
    if kind == 4:
        return json.dumps({**base, "at": rng.choice(["yesterday", "2024-13-01T00:00:00+08:00", 1700000000,
                                                      "2024-03-05T09:00:00"])}).encode()
    if kind == 5:
        return json.dumps({**base, "channel": rng.choice(["fax", "", None, 3, ["app"]])}).encode()
    if kind == 6:
        return json.dumps({**base, "action": rng.choice(["teleport", "", "RECEIVED", None])}).encode()
    if kind == 7:
        missing = rng.choice(list(base))
        return json.dumps({k: v for k, v in base.items() if k != missing}).encode()
    if kind == 8:
        return json.dumps({**base, "action": "compensated", "amount": rng.choice(["-1", "1.234", "NaN", "1e400"])}
                          ).encode()
    if kind == 9:
        return json.dumps({**base, "outlet": "=cmd|' /C calc'!A0"}).encode()  # unknown outlet, and a formula
    if kind == 10:
        return json.dumps(rng.choice([[], 42, "text", None, True])).encode()
    return ("\u202e" + json.dumps(base)).encode()  # a stray character before the object


def test_ten_thousand_bad_lines_among_good_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(2024)
    lines, good = [], set()
    for n in range(12_000):
        if n % 6 == 0:
            lines.append(json.dumps({"action_id": f"G{n}", "complaint_id": f"GC{n}", "action": "received",
                                     "at": "2024-03-05T09:00:00+08:00", "outlet": "O-002", "channel": "app"}).encode())
            good.add(len(lines))
        else:
            lines.append(bad_line(rng, n).replace(b"\n", b" "))
    bad_count = len(lines) - len(good)
    assert bad_count >= 10_000
    file = tmp_path / "hostile.jsonl"
    file.write_bytes(b"\n".join(lines) + b"\n")
    home = str(tmp_path / "home")
    main(["--home", home, "org", "load", str(BANK)])
    capsys.readouterr()
    assert main(["--home", home, "import", str(file), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["accepted"] == len(good)  # nothing valid lost
    rejects = [json.loads(line) for line in Path(report["rejects_file"]).read_text(encoding="utf-8").splitlines()]
    blank = sum(1 for line in lines if not line.strip())
    assert report["rejected"] == len(rejects) == bad_count - blank
    assert all(r["reason"] and isinstance(r["line"], int) for r in rejects)
    assert not {r["line"] for r in rejects} & good


def test_csv_exports_neutralise_formulas(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_csv([{"unit": "=cmd|' /C calc'!A0", "name": "+SUM(A1)", "n": "-5", "note": "@x", "ok": "plain"}],
              str(target))
    row = next(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert row == {"unit": "'=cmd|' /C calc'!A0", "name": "'+SUM(A1)", "n": "-5", "note": "'@x", "ok": "plain"}
