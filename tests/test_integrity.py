"""Tamper evidence: rows altered, deleted, inserted or reordered directly in the database are all detected."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from plaintrail import integrity
from plaintrail.cli import main
from plaintrail.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def recorded(settings: Settings) -> Settings:
    home = str(settings.home)
    env = {"PLAINTRAIL_DATABASE_URL": settings.database_url} if settings.database_url else {}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        main(["--home", home, "org", "load", str(EXAMPLES / "bank.yaml")])
        main(["--home", home, "import", str(EXAMPLES / "actions.jsonl")])  # imports seal what they record
    return settings


class Raw:
    """Direct SQL on the event store's own table, as an intruder with database access would do it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if settings.database_url:
            import psycopg

            self.connection: Any = psycopg.connect(settings.database_url, autocommit=True)
            self.table, self.id, self.mark = "plaintrail_events", "notification_id", "%s"
        else:
            import sqlite3

            self.connection = sqlite3.connect(settings.home / "events.sqlite", isolation_level=None)
            self.table, self.id, self.mark = "stored_events", "rowid", "?"

    def run(self, sql: str, *params: Any) -> list[Any]:
        cursor = self.connection.cursor()
        cursor.execute(sql.format(t=self.table, id=self.id).replace("?", self.mark), params)
        return cursor.fetchall() if cursor.description else []

    def state(self, n: int) -> bytes:
        return bytes(self.run("SELECT state FROM {t} WHERE {id} = ?", n)[0][0])


def alter(raw: Raw) -> int:
    state = raw.state(5).replace(b"hotline", b"app") if b"hotline" in raw.state(5) else raw.state(5) + b" "
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", state, 5)
    return 5


def delete(raw: Raw) -> int:
    raw.run("DELETE FROM {t} WHERE {id} = ?", 7)
    return 7


def reorder(raw: Raw) -> int:
    a, b = raw.state(9), raw.state(10)
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", b, 9)
    raw.run("UPDATE {t} SET state = ? WHERE {id} = ?", a, 10)
    return 9


def delete_last(raw: Raw) -> int:
    last = raw.run("SELECT MAX({id}) FROM {t}")[0][0]
    raw.run("DELETE FROM {t} WHERE {id} = ?", last)
    return int(last)


def insert(raw: Raw) -> int:
    row = raw.run("SELECT originator_id, originator_version, topic, state FROM {t} WHERE {id} = ?", 3)[0]
    if raw.settings.database_url:
        raw.run("DELETE FROM {t} WHERE {id} = ?", 4)
        raw.run("INSERT INTO {t} (notification_id, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)", 4, row[0], 999, row[2], row[3])
    else:
        raw.run("DELETE FROM {t} WHERE {id} = ?", 4)
        raw.run("INSERT INTO {t} (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
                4, row[0], 999, row[2], row[3])
    return 4


@pytest.mark.parametrize("tamper", [alter, delete, reorder, delete_last, insert])
def test_every_kind_of_tampering_is_detected(settings: Settings, tamper: Callable[[Raw], int]) -> None:
    recorded(settings)
    before = integrity.verify(settings)
    assert before["ok"] and before["events_checked"] > 20 and before["seals_checked"] >= 1
    where = tamper(Raw(settings))
    after = integrity.verify(settings)
    assert not after["ok"]
    assert after["first_broken"]["notification_id"] == where, after["problems"]


def test_rewriting_the_links_too_is_caught_by_the_seal(tmp_path: Path) -> None:
    settings = recorded(Settings(home=tmp_path))
    raw = Raw(settings)
    alter(raw)
    store = integrity.open_store(settings)  # the intruder recomputes the whole chain after the change...
    with store.transaction() as cursor:
        cursor.execute("DELETE FROM integrity_links")
    store.close()
    integrity.seal(settings)
    report = integrity.verify(settings)
    assert not report["ok"] and report["first_broken"]["kind"] in ("seal mismatch", "altered")


def test_forged_seals_and_exported_copies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = recorded(Settings(home=tmp_path))
    copy = tmp_path / "seals.jsonl"
    assert main(["--home", str(tmp_path), "seal", "--export", str(copy)]) == 0
    capsys.readouterr()
    assert main(["--home", str(tmp_path), "verify", "--json", "--seals", str(copy)]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    forged = [dict(json.loads(line), mac="0" * 64) for line in copy.read_text().splitlines()]
    copy.write_text("".join(json.dumps(s) + "\n" for s in forged))
    assert main(["--home", str(tmp_path), "verify", "--seals", str(copy)]) == 1
    assert "forged seal" in capsys.readouterr().out
    assert integrity.verify(settings)["ok"]  # the store's own seals still hold
