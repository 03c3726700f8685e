"""Proofs an outsider checks with tools/verify_proof.py alone (run as a subprocess, no plaintrail imports), one
flipped bit rejected; consistency across an import, broken by a rewritten history; the tree extended safely by
processes at once and completed after a kill -9."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plaintrail.cli import main
from plaintrail.settings import Settings
from plaintrail.wiring import audit_record, open_read_models
from tests.test_integrity import Raw, alter, cli, gone_tree, recorded

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "verify_proof.py"


def tool(proof: dict[str, Any], tmp_path: Path, key: str | None = None) -> int:
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    return subprocess.run([sys.executable, str(TOOL), str(path), *(["--public-key", key] if key else [])],
                          capture_output=True, text=True, timeout=60, env={"PATH": os.environ["PATH"]}).returncode


def output(settings: Settings, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    capsys.readouterr()
    code = cli(settings, *args)
    return code, json.loads(capsys.readouterr().out)


def actions(path: Path, prefix: str, count: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps({"action_id": f"{prefix}-{i}", "complaint_id": f"C-{prefix}-{i}", "action": "received",
                                  "at": "2024-04-01T09:00:00+08:00", "outlet": "O-001", "channel": "app",
                                  "via": "direct", "category": "cards"}) + "\n")
    return path


def flip(text: str) -> str:
    """One bit changed in a hex or base64 string."""
    try:
        raw = bytes.fromhex(text)
        return bytes([raw[0] ^ 1, *raw[1:]]).hex()
    except ValueError:
        raw = base64.b64decode(text)
        return base64.b64encode(bytes([raw[0] ^ 1, *raw[1:]])).decode()


def test_inclusion_proofs_hold_for_the_standalone_verifier_and_one_bit_breaks_them(
        settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded(settings)
    _, checkpoint = output(settings, capsys, "checkpoint", "--json")
    code, proof = output(settings, capsys, "prove", "C-2024-0001", "--json")
    assert code == 0 and set(proof["checkpoint"]) >= {"size", "root", "signature", "public_key"}
    assert len(proof["events"]) == 8 and proof["checkpoint"]["size"] == checkpoint["size"]
    assert all({"index", "leaf_hash", "proof"} <= set(e) for e in proof["events"])
    assert tool(proof, tmp_path, checkpoint["public_key"]) == 0
    for where in (("events", 3, "leaf_hash"), ("events", 3, "state"), ("events", 5, "proof", 0),
                  ("checkpoint", "signature"), ("checkpoint", "root")):
        changed = json.loads(json.dumps(proof))
        parent = changed
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = flip(parent[where[-1]])
        assert tool(changed, tmp_path, checkpoint["public_key"]) == 1, where
    other = json.loads(json.dumps(proof))
    other["events"][0]["index"] += 1
    assert tool(other, tmp_path) == 1


def test_consistency_across_an_import_and_its_failure_after_history_is_rewritten(
        settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorded(settings)
    old = tmp_path / "old.json"
    assert cli(settings, "checkpoint", "--export", str(old)) == 0
    cli(settings, "import", str(actions(tmp_path / "more.jsonl", "M", 12)))
    code, proof = output(settings, capsys, "prove", "--consistency", str(old), "--json")
    assert code == 0 and proof["consistent"] and proof["checkpoint"]["size"] == proof["old"]["size"] + 12
    key = json.loads(old.read_text())["public_key"]
    assert tool(proof, tmp_path, key) == 0
    assert cli(settings, "verify", "--checkpoint", str(old)) == 0
    # The intruder alters an old event and builds a new tree, signed with a key of his own.
    alter(Raw(settings))
    gone_tree(settings)
    if settings.database_url:
        Raw(settings).run("DELETE FROM merkle_checkpoints", tree=True)
    (settings.home / "keys" / "checkpoint.key").unlink()
    assert cli(settings, "checkpoint") == 0
    assert audit_record(settings)["ok"]  # on its own the rewritten store looks whole...
    code, proof = output(settings, capsys, "prove", "--consistency", str(old), "--json")
    assert code == 1 and proof["consistent"] is False  # ...but not against the checkpoint kept outside
    assert tool(proof, tmp_path, key) == 1
    assert tool(proof, tmp_path) == 1
    assert cli(settings, "verify", "--checkpoint", str(old)) == 1


def test_deleting_the_last_import_is_caught_by_an_exported_checkpoint(tmp_path: Path) -> None:
    settings = recorded(Settings(home=tmp_path))
    before = audit_record(settings)["tree_size"]
    cli(settings, "import", str(actions(tmp_path / "more.jsonl", "M", 5)))
    kept = tmp_path / "kept.json"
    assert cli(settings, "checkpoint", "--export", str(kept)) == 0
    raw = Raw(settings)  # events, leaves, nodes and checkpoints of the last import, all gone
    raw.run("DELETE FROM {t} WHERE {id} > ?", before)
    raw.run("DELETE FROM merkle_leaves WHERE leaf_index >= ?", before, tree=True)
    raw.run("DELETE FROM merkle_nodes WHERE (node_index + 1) << level > ?", before, tree=True)
    raw.run("DELETE FROM merkle_checkpoints WHERE tree_size > ?", before, tree=True)
    assert cli(settings, "verify") == 0  # only a copy kept elsewhere can tell
    report = audit_record(settings, exported=[__import__("plaintrail.commands.verify").commands.verify
                                              .read_checkpoint(kept)])
    assert not report["ok"] and "checkpoint beyond the tree" in [p["kind"] for p in report["problems"]]


def test_two_importing_processes_extend_the_tree_at_once(settings: Settings, tmp_path: Path) -> None:
    cli(settings, "org", "load", str(ROOT / "examples" / "bank.yaml"))
    open_read_models(settings).close()  # two processes making the read-model tables at once is another matter
    env = dict(os.environ, PYTHONPATH=str(ROOT), **({"PLAINTRAIL_DATABASE_URL": settings.database_url}
                                                    if settings.database_url else {}))
    runs = [subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "--home", str(settings.home), "import",
                              str(actions(tmp_path / f"{name}.jsonl", name, 60)), "--batch-size", "5"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("A", "B")]
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err.decode()
    report = audit_record(settings)
    assert report["ok"], report["problems"]
    assert report["tree_size"] == report["events_checked"] == report["checkpoint"]["size"] == 29 + 120


KILLED = """
import os, signal, sys
from transparency import log, store
from plaintrail.settings import Settings
from plaintrail.wiring import settle
log.BATCH = 7
calls = []
real = store.TreeStore.append
def append(self, leaves, nodes):
    calls.append(1)
    if len(calls) == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # between two batches' transactions
    real(self, leaves, nodes)
store.TreeStore.append = append
settle(Settings.from_env(sys.argv[1]))
"""


@pytest.mark.parametrize("batch", [1, 3])  # before anything is stored (the key still pending), and after two batches
def test_a_kill_9_mid_extension_leaves_what_the_next_run_completes(tmp_path: Path, batch: int) -> None:
    settings = recorded(Settings(home=tmp_path))
    for path in [*tmp_path.glob("integrity.sqlite*"), tmp_path / "keys" / "checkpoint.key"]:
        path.unlink()  # as a store from before the tree: the first build is long enough to be killed in
    child = subprocess.run([sys.executable, "-c", KILLED, str(tmp_path), str(batch)],
                           env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    report = audit_record(settings)
    assert not report["ok"] and report["tree_size"] == 7 * (batch - 1)  # whole batches only, nothing signed yet
    keys = tmp_path / "keys"
    assert (keys / "checkpoint.key.new").is_file() and not (keys / "checkpoint.key").exists()
    assert main(["--home", str(tmp_path), "checkpoint"]) == 0
    assert (keys / "checkpoint.key").is_file() and not (keys / "checkpoint.key.new").exists()
    report = audit_record(settings)
    assert report["ok"] and report["tree_size"] == report["events_checked"] > 40
