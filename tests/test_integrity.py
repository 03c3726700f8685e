"""Tamper evidence: every change an intruder with database access can make is caught by `verify`, on both
backends; nothing any command records stays outside a signed checkpoint; the tree is refused, not rebuilt,
when it, its key or its checkpoints are gone."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plaintrail import integrity
from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import audit_record, open_log, open_transparency, settle

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cli(settings: Settings, *args: str) -> int:
    with pytest.MonkeyPatch.context() as patch:
        if settings.database_url:
            patch.setenv("PLAINTRAIL_DATABASE_URL", settings.database_url)
        return main(["--home", str(settings.home), *args])


def recorded(settings: Settings) -> Settings:
    cli(settings, "org", "load", str(EXAMPLES / "bank.yaml"))
    cli(settings, "import", str(EXAMPLES / "actions.jsonl"))  # every save extends the tree and signs
    return settings


class Raw:
    """Direct SQL on the stores' own tables, as an intruder with database access would do it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.database_url:
            import psycopg

            self.connection: Any = psycopg.connect(settings.database_url, autocommit=True)
            self.tree: Any = self.connection
            self.table, self.id, self.mark = "plaintrail_events", "notification_id", "%s"
        else:
            import sqlite3

            self.connection = sqlite3.connect(settings.home / "events.sqlite", isolation_level=None)
            self.tree = sqlite3.connect(settings.home / "integrity.sqlite", isolation_level=None)
            self.table, self.id, self.mark = "stored_events", "rowid", "?"

    def run(self, sql: str, *params: Any, tree: bool = False) -> list[Any]:
        cursor = (self.tree if tree else self.connection).cursor()
        cursor.execute(sql.format(t=self.table, id=self.id).replace("?", self.mark), params)
        return cursor.fetchall() if cursor.description else []

    def state(self, n: int) -> bytes:
        return bytes(self.run("SELECT state FROM {t} WHERE {id} = ?", n)[0][0])

    def row(self, n: int) -> list[Any]:
        return list(self.run("SELECT originator_id, originator_version, topic, state FROM {t} WHERE {id} = ?", n)[0])

    def put(self, n: int, originator: Any, version: int, topic: str, state: bytes) -> None:
        self.run("INSERT INTO {t} ({id}, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                 n, originator, version, topic, state)

    def last(self) -> int:
        return int(self.run("SELECT MAX({id}) FROM {t}")[0][0])


def alter(raw: Raw) -> tuple[int, str]:
    state = raw.state(5).replace(b"hotline", b"app") if b"hotline" in raw.state(5) else raw.state(5) + b" "
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", state, 5)
    return 5, "altered"


def delete(raw: Raw) -> tuple[int, str]:
    raw.run("DELETE FROM {t} WHERE {id} = ?", 7)
    return 7, "deleted"


def reorder(raw: Raw) -> tuple[int, str]:
    a, b = raw.state(9), raw.state(10)
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", b, 9)
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", a, 10)
    return 9, "altered"


def delete_last(raw: Raw) -> tuple[int, str]:
    last = raw.last()
    raw.run("DELETE FROM {t} WHERE {id} = ?", last)
    return last, "deleted"


def replace(raw: Raw) -> tuple[int, str]:
    originator, _, topic, state = raw.row(3)
    raw.run("DELETE FROM {t} WHERE {id} = ?", 4)
    raw.put(4, originator, 999, topic, state)
    return 4, "altered"


def forge_at_zero(raw: Raw) -> tuple[int, str]:
    originator, _, topic, state = raw.row(3)
    raw.put(0, originator, 999, topic, state)
    return 0, "outside the sequence"


def forge_below_zero(raw: Raw) -> tuple[int, str]:
    originator, _, topic, state = raw.row(3)
    raw.put(-7, originator, 998, topic, state)
    return -7, "outside the sequence"


def append_unsigned(raw: Raw) -> tuple[int, str]:
    originator, _, topic, state = raw.row(3)
    raw.put(raw.last() + 1, originator, 997, topic, state)
    return raw.last(), "not covered"


def duplicate(raw: Raw) -> tuple[int, str]:
    if not raw.settings.database_url:
        pytest.skip("SQLite's rowid cannot repeat")
    raw.run("DROP INDEX plaintrail_events_notification_id_idx")
    originator, _, topic, state = raw.row(6)
    raw.put(6, originator, 996, topic, state)
    return 6, "duplicate"


@pytest.mark.parametrize("tamper", [alter, delete, reorder, delete_last, replace, forge_at_zero, forge_below_zero,
                                    append_unsigned, duplicate])
def test_every_kind_of_tampering_is_detected(settings: Settings, tamper: Callable[[Raw], tuple[int, str]]) -> None:
    if settings.database_url and tamper in (reorder, replace, delete_last):
        pytest.skip("the same rows and the same check as alter and delete: once on SQLite is enough")
    recorded(settings)
    before = audit_record(settings)
    assert before["ok"], before["problems"]
    assert before["events_checked"] == before["tree_size"] > 40 and before["unsealed_events"] == 0
    where, kind = tamper(Raw(settings))
    after = audit_record(settings)
    assert not after["ok"]
    found = [(p["kind"], p["notification_id"]) for p in after["problems"]]
    assert (kind, None if kind == "not covered" else where) in found, found


def test_a_forged_annulment_at_rowid_zero_is_caught_and_not_folded(settings: Settings,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    recorded(settings)
    raw = Raw(settings)
    rows = raw.run("SELECT {id}, originator_id, originator_version, topic, state FROM {t}")
    validated = next(r for r in rows if b'"action_id":"A-0007"' in bytes(r[4]))
    versions = max(r[2] for r in rows if r[1] == validated[1])
    annulled = next(r[3:] for r in rows if r[3].endswith("Complaint.Annulled"))
    state = json.loads(bytes(annulled[1]))
    state.update(complaint_id="C-2024-0001", action_id="A-FORGED", target_action_id="A-0007")
    capsys.readouterr()
    assert cli(settings, "scores", "--period", "2024", "--json") == 0
    scores = capsys.readouterr().out
    assert cli(settings, "timeline", "C-2024-0001", "--json") == 0
    timeline = json.loads(capsys.readouterr().out)
    raw.put(0, validated[1], versions + 1, annulled[0], json.dumps(state, separators=(",", ":")).encode())
    assert cli(settings, "timeline", "C-2024-0001", "--json") == 0  # the auditor's view: the forgery left out, named
    shown, said = capsys.readouterr()
    after = json.loads(shown)
    forged = after.pop("outside_log")
    assert (after["events"], after["state"], after["summary"]) == (timeline["events"], timeline["state"],
                                                                   timeline["summary"])
    assert [(f["version"], f["notification_id"], f["action_id"]) for f in forged] == [(versions + 1, 0, "A-FORGED")]
    assert "outside the log at notification id 0" in said and "A-FORGED" in said
    assert cli(settings, "rebuild") == 0
    capsys.readouterr()
    assert cli(settings, "scores", "--period", "2024", "--json") == 0
    assert capsys.readouterr().out == scores  # the rebuild read only ids 1..last: the fine stands
    assert cli(settings, "verify") == 1
    assert "outside the sequence at event 0 (Complaint.Annulled of complaint C-2024-0001)" in capsys.readouterr().out


def gone_tree(settings: Settings) -> None:
    if settings.database_url:
        Raw(settings).run("DELETE FROM merkle_leaves; DELETE FROM merkle_nodes", tree=True)
    else:
        for path in settings.home.glob("integrity.sqlite*"):
            path.unlink()


def test_a_missing_tree_fails_and_is_not_rebuilt_over_the_altered_log(settings: Settings) -> None:
    recorded(settings)
    alter(Raw(settings))
    gone_tree(settings)
    assert [p["kind"] for p in audit_record(settings)["problems"]][:1] == ["tree missing"]
    assert cli(settings, "import", str(EXAMPLES / "actions.jsonl")) == 2  # refused, not rebuilt
    assert cli(settings, "checkpoint") == 2
    assert audit_record(settings)["problems"][0]["kind"] == "tree missing"


def test_a_missing_key_fails_and_nothing_is_signed_with_a_new_one(settings: Settings) -> None:
    recorded(settings)
    (settings.home / "keys" / "checkpoint.key").unlink()
    report = audit_record(settings)
    assert not report["ok"] and report["problems"][0]["kind"] == "signing key missing"
    assert cli(settings, "hot", "open", "H-1", "--kind", "product", "--subject", "cards", "--executive",
               "P-PRES") == 2
    assert not (settings.home / "keys" / "checkpoint.key").exists()


def test_missing_or_forged_checkpoints_fail(settings: Settings) -> None:
    recorded(settings)
    raw = Raw(settings)
    signature = raw.run("SELECT signature FROM merkle_checkpoints ORDER BY tree_size LIMIT 1", tree=True)[0][0]
    raw_signature = base64.b64decode(signature)
    forged = base64.b64encode(bytes([raw_signature[0] ^ 1, *raw_signature[1:]])).decode()  # always differs
    raw.run("UPDATE merkle_checkpoints SET signature = ? WHERE signature = ?", forged, signature, tree=True)
    assert "forged checkpoint" in [p["kind"] for p in audit_record(settings)["problems"]]
    raw.run("DELETE FROM merkle_checkpoints", tree=True)
    assert "no checkpoint" in [p["kind"] for p in audit_record(settings)["problems"]]


def test_rewriting_a_row_with_its_leaf_and_nodes_breaks_the_signed_root(tmp_path: Path) -> None:
    settings = recorded(Settings(home=tmp_path))
    raw = Raw(settings)
    alter(raw)
    from transparency import merkle

    tree = open_transparency(settings)
    row = next(r for r in tree.events.rows() if r[0] == 5)
    raw.run("UPDATE merkle_leaves SET hash = ? WHERE notification_id = 5", merkle.leaf_hash(merkle.event_leaf(*row)),
            tree=True)
    kinds = [p["kind"] for p in audit_record(settings)["problems"]]
    assert "altered" not in kinds and "checkpoint mismatch" in kinds


def test_every_recording_command_ends_signed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)

    def signed() -> int:
        report = audit_record(settings)
        assert report["ok"] and report["unsealed_events"] == 0, report["problems"]
        assert report["checkpoint"]["size"] == report["tree_size"] == report["events_checked"]
        return int(report["tree_size"])

    assert cli(settings, "org", "load", str(EXAMPLES / "bank.yaml")) == 0
    sizes = [signed()]
    cli(settings, "import", str(EXAMPLES / "actions.jsonl"))
    sizes.append(signed())
    assert cli(settings, "hot", "open", "H-1", "--kind", "product", "--subject", "cards", "--executive",
               "P-PRES") == 0
    sizes.append(signed())
    assert cli(settings, "forget", "CUST-1") == 0
    sizes.append(signed())
    open_log(settings).record_access("alice", "auditor", "timeline.view", "C-2024-0001", {})  # as the dashboard
    sizes.append(signed())
    assert sizes == sorted(set(sizes)), sizes  # each recorded something, and each is signed


def test_old_exported_seals_still_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = recorded(Settings(home=tmp_path))
    integrity.seal(settings)  # a seal of the superseded chain, as taken before the upgrade
    copy = tmp_path / "seals.jsonl"
    integrity.export_seals(settings, copy)
    capsys.readouterr()
    assert cli(settings, "verify", "--json", "--seals", str(copy)) == 0
    assert json.loads(capsys.readouterr().out)["seals_checked"] == 1
    forged = [dict(json.loads(line), mac="0" * 64) for line in copy.read_text().splitlines()]
    copy.write_text("".join(json.dumps(s) + "\n" for s in forged))
    assert cli(settings, "verify", "--seals", str(copy)) == 1
    assert "old chain: forged seal" in capsys.readouterr().out


def test_an_existing_store_gets_its_tree_once_the_old_chain_verifies(tmp_path: Path) -> None:
    """A store from before the tree: events and the old chain's links and seals, no tree and no key."""
    from domain.application import ComplaintLog

    old = tmp_path / "old"
    settings = recorded(Settings(home=old))
    for path in [*old.glob("integrity.sqlite*"), old / "keys" / "checkpoint.key"]:
        path.unlink()
    integrity.seal(settings)
    assert audit_record(settings)["problems"][0]["kind"] == "tree missing"
    broken = Settings(home=tmp_path / "broken")
    shutil.copytree(old, broken.home)
    alter(Raw(broken))
    assert cli(broken, "checkpoint") == 2  # the old chain does not verify: no tree over it
    assert not (broken.home / "keys" / "checkpoint.key").exists()
    assert cli(settings, "checkpoint") == 0
    report = audit_record(settings)
    assert report["ok"] and report["tree_size"] == report["events_checked"] > 40
    assert isinstance(open_log(settings), ComplaintLog) and settle(settings) is not None


def test_a_row_gone_before_the_tree_covered_it_is_a_gap_on_sqlite(tmp_path: Path) -> None:
    """SQLite's rowids never skip, so a tree whose leaves skip an id says a row went missing before it was signed."""
    settings = recorded(Settings(home=tmp_path))
    for path in [*tmp_path.glob("integrity.sqlite*"), tmp_path / "keys" / "checkpoint.key"]:
        path.unlink()
    delete(Raw(settings))
    assert cli(settings, "checkpoint") == 0
    found = [(p["kind"], p["notification_id"]) for p in audit_record(settings)["problems"]]
    assert found == [("gap", 8)], found


def test_the_signing_key_can_live_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "vault" / "plaintrail.key"
    monkeypatch.setenv("PLAINTRAIL_CHECKPOINT_KEY_FILE", str(elsewhere))
    settings = recorded(Settings.from_env(tmp_path / "home"))
    assert elsewhere.is_file() and not (settings.home / "keys" / "checkpoint.key").exists()
    assert oct(elsewhere.stat().st_mode & 0o777) == "0o600"
    assert audit_record(settings)["ok"]


def test_verify_of_a_home_with_nothing_in_it_says_so(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    """The wrong --home (or database): told, exit 2, as every query does (it was an internal error, exit 70)."""
    assert cli(settings, "verify", "--json") == 2
    out, err = capsys.readouterr()
    assert out == "" and "no events recorded in" in err


def test_the_whole_event_store_deleted_is_reported_event_by_event(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    settings = recorded(Settings(home=tmp_path / "home"))
    size = audit_record(settings)["tree_size"]
    for path in settings.home.glob("events.sqlite*"):
        path.unlink()
    capsys.readouterr()
    assert cli(settings, "verify", "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and report["events_checked"] == 0
    assert [(p["kind"], p["notification_id"]) for p in report["problems"]][:3] == [("deleted", 1), ("deleted", 2),
                                                                                  ("deleted", 3)]
    assert size > 40
