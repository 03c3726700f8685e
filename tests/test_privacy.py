"""Personal data is sealed per customer and erasable, without breaking the record, scores or verify."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import audit_record, open_log
from projections.timeline import timeline

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def action(n: int, ref: str, **extra: object) -> dict[str, object]:
    return {"action_id": f"P{n}", "complaint_id": f"PC-{n}", "action": "received", "outlet": "O-001",
            "at": "2019-03-05T09:00:00+08:00", "channel": "hotline", "customer_ref": ref, **extra}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    main(["--home", str(tmp_path), "org", "load", str(EXAMPLES / "bank.yaml")])
    lines = [action(1, "CUST-1", personal={"name": "张三", "phone": "13800000000"}),
             action(2, "CUST-2", personal={"name": "李四"}),
             {"action_id": "P1-close", "complaint_id": "PC-1", "action": "handled", "outcome": "resolved",
              "at": "2019-03-06T09:00:00+08:00"},
             {"action_id": "P1-closed", "complaint_id": "PC-1", "action": "closed", "at": "2019-03-07T09:00:00+08:00"},
             action(3, "", personal={"name": "王五"})]  # no customer_ref: nowhere to keep its key
    (tmp_path / "p.jsonl").write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in lines), encoding="utf-8")
    assert main(["--home", str(tmp_path), "import", str(tmp_path / "p.jsonl")]) == 1
    return tmp_path


def test_personal_fields_never_reach_the_event_store_in_clear(home: Path) -> None:
    log = open_log(Settings(home=home))  # keep the application: its recorder closes with it
    raw = b"".join(bytes(n.state) for n in log.recorder.select_notifications(1, 1000))
    assert "张三".encode() not in raw and b"13800000000" not in raw and b"ciphertext" in raw
    doc = timeline(open_log(Settings(home=home)), "PC-1", Settings(home=home).tz)
    assert doc["events"][0]["personal"] == {"name": "张三", "phone": "13800000000"}


def test_forget_erases_without_breaking_the_record(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(home=home)
    assert main(["--home", str(home), "forget", "CUST-1"]) == 0
    doc = timeline(open_log(settings), "PC-1", settings.tz)
    assert doc["events"][0]["personal"] == {"name": "erased", "phone": "erased"}
    assert doc["state"] == "closed" and len(doc["events"]) == 3
    assert timeline(open_log(settings), "PC-2", settings.tz)["events"][0]["personal"] == {"name": "李四"}
    report = audit_record(settings)  # the events themselves did not change, and the forgetting is signed
    assert report["ok"] and report["unsealed_events"] == 0
    assert b"13800000000" not in b"".join(p.read_bytes() for p in (home / "keys").iterdir())
    capsys.readouterr()
    assert main(["--home", str(home), "import", str(home / "p.jsonl"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["duplicates"] == 4  # re-import: sealed fields do not differ


def test_retention_lists_customers_closed_long_ago(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["--home", str(home), "retention", "--years", "3", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["customer_ref"] for r in listed] == ["CUST-1"]  # CUST-2's complaint is still open


def test_personal_fields_without_a_customer_ref_are_rejected(home: Path) -> None:
    rejects = next((home / "rejects").iterdir()).read_text(encoding="utf-8")
    assert "customer_ref" in rejects and "PC-3" in rejects
