"""`plaintrail checkpoint --rotate-key`: the old key signs the tree as it stands and its hand-over to a new key;
old checkpoints stay verifiable, the new key signs from then on, and the retired key can sign nothing newer."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from plaintrail.settings import Settings
from plaintrail.wiring import open_transparency
from tests.fixtures.make_store import STORE, plaintrail
from transparency.signing import SigningKey


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [n for n in os.environ if n.startswith("PLAINTRAIL_")]:
        monkeypatch.delenv(name)
    copy = tmp_path / "home"
    shutil.copytree(STORE, copy)
    return copy


def run_json(home: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    code, out = plaintrail(home, *argv, "--json")
    return code, json.loads(out)


def record_something(home: Path) -> None:
    assert plaintrail(home, "publish", "--period", "2024Q1", "--level", "sub_branch", "--by", "auditor")[0] == 0


def test_after_a_rotation_old_and_new_checkpoints_verify_and_an_exported_one_is_still_consistent(
        home: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    assert plaintrail(home, "checkpoint", "--export", str(old))[0] == 0
    code, rotation = run_json(home, "checkpoint", "--rotate-key")
    assert code == 0 and rotation["old_public_key"] == json.loads(old.read_text())["public_key"]
    assert rotation["new_public_key"] != rotation["old_public_key"]
    assert SigningKey(home / "keys" / "checkpoint.key").public_hex() == rotation["new_public_key"]
    assert not (home / "keys" / "checkpoint.key.next").exists()
    record_something(home)
    code, latest = run_json(home, "checkpoint")
    assert latest["public_key"] == rotation["new_public_key"] and latest["size"] > rotation["size"]
    code, report = run_json(home, "verify", "--checkpoint", str(old))
    assert code == 0 and report["ok"] and report["key_rotations"] == 1, report["problems"]
    code, consistency = run_json(home, "prove", "--consistency", str(old))
    assert code == 0 and consistency["consistent"]


def test_the_retired_key_cannot_sign_past_its_hand_over(home: Path) -> None:
    retired = (home / "keys" / "checkpoint.key").read_bytes()
    code, rotation = run_json(home, "checkpoint", "--rotate-key")
    record_something(home)
    assert plaintrail(home, "checkpoint")[0] == 0
    stolen = home / "stolen.key"
    stolen.write_bytes(retired)
    tree = open_transparency(Settings.from_env(home))
    try:
        size = tree.store.head()[0]
        latest = tree.store.latest()
        assert latest is not None and latest.size == size > rotation["size"]
        # the retired key signs today's head: a checkpoint it must no longer be able to vouch for
        forged = SigningKey(stolen).sign(size, latest.root)
        with tree.store.transaction() as cursor:
            tree.store.execute(cursor, "UPDATE merkle_checkpoints SET signature = ?, public_key = ? "
                               "WHERE tree_size = ?", (forged.signature, forged.public_key, size))
    finally:
        tree.store.close()
    code, report = run_json(home, "verify")
    assert code == 1 and "forged checkpoint" in [p["kind"] for p in report["problems"]]


def test_a_hand_over_not_signed_by_the_chain_is_reported(home: Path) -> None:
    code, rotation = run_json(home, "checkpoint", "--rotate-key")
    tree = open_transparency(Settings.from_env(home))
    try:
        with tree.store.transaction() as cursor:
            tree.store.execute(cursor, "UPDATE merkle_key_rotations SET signature = ?",
                               (rotation["signature"][:-4] + ("AAA=" if not rotation["signature"].endswith("AAA=")
                                                              else "BBB="),))
    finally:
        tree.store.close()
    code, report = run_json(home, "verify")
    kinds = [p["kind"] for p in report["problems"]]
    assert code == 1 and "forged key rotation" in kinds and "forged checkpoint" in kinds  # old ones lost their voucher


def test_a_rotation_killed_after_storing_its_hand_over_is_completed_with_the_same_new_key(home: Path) -> None:
    tree = open_transparency(Settings.from_env(home))
    try:
        latest = tree.store.latest()
        assert latest is not None
        handed = tree.key.hand_over(latest.size, latest.root)
        tree.store.add_rotation(handed)  # killed here: the new key waits in checkpoint.key.next
    finally:
        tree.store.close()
    code, report = run_json(home, "verify")
    assert code == 0 and report["ok"], report["problems"]  # the old key still signs meanwhile
    code, rotation = run_json(home, "checkpoint", "--rotate-key")
    assert code == 0 and rotation["new_public_key"] == handed.new_public_key
    code, report = run_json(home, "verify")
    assert code == 0 and report["ok"] and report["key_rotations"] == 1, report["problems"]


def test_an_auditor_who_pinned_the_old_key_checks_proofs_across_the_rotation_with_the_hand_over(
        home: Path, tmp_path: Path) -> None:
    from tools.verify_proof import main as verify_proof

    old = tmp_path / "old.json"
    assert plaintrail(home, "checkpoint", "--export", str(old))[0] == 0
    pinned = json.loads(old.read_text())["public_key"]
    handover = tmp_path / "rotation.json"
    assert plaintrail(home, "checkpoint", "--rotate-key", "--export", str(handover))[0] == 0
    record_something(home)
    proofs = {}
    asked = {"inclusion": ["prove", "C-2024-0001"], "consistency": ["prove", "--consistency", str(old)]}
    for name, argv in asked.items():
        code, out = plaintrail(home, *argv, "--json")
        assert code == 0 and json.loads(out)["checkpoint"]["public_key"] != pinned  # signed by the new key
        proofs[name] = tmp_path / f"{name}.json"
        proofs[name].write_text(out, encoding="utf-8")
    for proof in proofs.values():
        assert verify_proof([str(proof), "--public-key", pinned]) == 1  # the new key alone is not trusted
        assert verify_proof([str(proof), "--public-key", pinned, "--rotation", str(handover)]) == 0
    forged = json.loads(handover.read_text())
    forged["new_public_key"] = forged["new_public_key"][::-1]  # another key than the old one signed over to
    (tmp_path / "forged.json").write_text(json.dumps(forged), encoding="utf-8")
    assert verify_proof([str(proofs["inclusion"]), "--public-key", pinned, "--rotation",
                         str(tmp_path / "forged.json")]) == 1
