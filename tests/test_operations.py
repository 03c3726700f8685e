"""The README's operations, done as it says: back up a home (SQLite's backup API, tools/backup_home.py) or a
PostgreSQL database (pg_dump / pg_restore), restore it elsewhere, and find it verifying and answering as before."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.make_store import ANSWERS, ROOT, STORE, answers, plaintrail

EXPECTED: dict[str, Any] = json.loads(ANSWERS.read_text(encoding="utf-8"))
BACKUP = ROOT / "tools" / "backup_home.py"


@pytest.fixture(autouse=True)
def default_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("PLAINTRAIL_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(STORE, copy)
    (copy / "keys" / "checkpoint.key").chmod(0o600)  # as plaintrail writes it (a git checkout keeps no such mode)
    return copy


def back_up(home: Path, target: Path) -> None:
    done = subprocess.run([sys.executable, str(BACKUP), str(home), str(target)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def verify(home: Path) -> tuple[int, dict[str, Any]]:
    code, out = plaintrail(home, "verify", "--json")
    return code, json.loads(out)


def test_a_home_backed_up_restores_elsewhere_verifies_and_answers_as_before(home: Path, tmp_path: Path) -> None:
    back_up(home, tmp_path / "backup")
    assert (tmp_path / "backup" / "keys" / "checkpoint.key").stat().st_mode & 0o077 == 0  # still private
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "backup", restored)
    assert plaintrail(restored, "checkpoint")[0] == 0
    code, report = verify(restored)
    assert code == 0 and report["ok"], report["problems"]
    assert answers(restored) == EXPECTED


def test_a_backup_after_rebuilds_copies_the_live_read_models_and_not_an_abandoned_version(home: Path,
                                                                                          tmp_path: Path) -> None:
    assert plaintrail(home, "rebuild")[0] == 0  # the live version is now readmodels-v2.sqlite
    live = (home / "readmodels.live").read_text(encoding="utf-8").strip()
    assert live != "readmodels.sqlite" and not (home / "readmodels.sqlite").exists()
    shutil.copy(home / live, home / "readmodels-v9.sqlite")  # as a rebuild killed half-way would leave one
    back_up(home, tmp_path / "backup")
    copied = sorted(p.name for p in (tmp_path / "backup").glob("readmodels*"))
    assert copied == sorted([live, "readmodels.live"])
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "backup", restored)
    assert answers(restored) == EXPECTED


def test_a_backup_taken_while_an_import_records_restores_and_verifies(home: Path, tmp_path: Path) -> None:
    """Whatever the backup's copies met of a running import (none of it, some batches, all), the restored home
    verifies once `checkpoint` has covered the events copied after the tree."""
    data = tmp_path / "demo"
    assert plaintrail(tmp_path / "scratch", "demo-data", "--seed", "3", "--outlets", "6", "--out", str(data))[0] == 0
    actions = next(p for p in data.iterdir() if p.name.startswith("actions"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINTRAIL_")}
    env["PYTHONPATH"] = str(ROOT)
    org = next(p for p in data.iterdir() if p.suffix == ".yaml")
    assert plaintrail(home, "org", "load", str(org))[0] == 0
    writer = subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "--home", str(home), "import", str(actions)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        back_up(home, tmp_path / "backup")
    finally:
        _, errors = writer.communicate(timeout=300)
    assert writer.returncode in (0, 1), errors
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "backup", restored)
    assert plaintrail(restored, "checkpoint")[0] == 0
    code, report = verify(restored)
    assert code == 0 and report["ok"], report["problems"]


def test_a_home_restored_without_its_keys_does_not_verify(home: Path, tmp_path: Path) -> None:
    back_up(home, tmp_path / "backup")
    shutil.rmtree(tmp_path / "backup" / "keys")
    code, report = verify(tmp_path / "backup")
    assert code == 1 and report["signing_key"] == "missing"


@pytest.fixture
def restored_database(postgres_server: str) -> Iterator[str]:
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_server.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_postgres_database_dumped_and_restored_with_the_homes_keys_verifies_and_answers_as_before(
        postgres_url: str, restored_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.fail("pg_dump and pg_restore are needed (infra/postgres.sh installs them with the server)")
    home = tmp_path / "home"
    monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", postgres_url)
    assert plaintrail(home, "org", "load", str(ROOT / "examples" / "bank.yaml"))[0] == 0
    assert plaintrail(home, "import", str(ROOT / "examples" / "actions.jsonl"))[0] == 1  # 3 lines rejected
    assert plaintrail(home, "checkpoint", "--rotate-key")[0] == 0  # the hand-over is in the database too
    assert plaintrail(home, "publish", "--period", "2024Q1", "--level", "outlet", "--by", "auditor")[0] == 0
    before = answers(home)
    dump = tmp_path / "plaintrail.dump"
    done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", f"--dbname={postgres_url}"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    done = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_database}", str(dump)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(home / "keys", elsewhere / "keys")  # the checkpoint key and the personal-data vault
    monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", restored_database)
    code, report = verify(elsewhere)
    assert code == 0 and report["ok"] and report["key_rotations"] == 1, report["problems"]
    assert answers(elsewhere) == before
