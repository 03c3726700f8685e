"""Linking, sealing and verifying the record (see `domain.integrity`): superseded by the Merkle tree and its
signed checkpoints (`transparency/`). Kept to check seals exported before the upgrade (`verify --seals`) and
the old chain before the first tree is built over an existing store.

Links and seals live in their own tables (HOME/integrity.sqlite, or the PostgreSQL database), apart
from the events; the seal key lives in HOME/keys/seal.key (or PLAINTRAIL_SEAL_KEY_FILE), never in a
database. Seals can be exported to JSON Lines for safekeeping elsewhere and checked from that copy.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from domain import integrity
from domain.application import ComplaintLog
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.store import SqlStore

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS integrity_links (notification_id BIGINT PRIMARY KEY, hash TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS integrity_seals (notification_id BIGINT PRIMARY KEY, hash TEXT NOT NULL,
        sealed_at TEXT NOT NULL, mac TEXT NOT NULL)""",
)
BATCH = 10_000


def key_path(settings: Settings) -> Path:
    return Path(os.environ.get("PLAINTRAIL_SEAL_KEY_FILE") or settings.home / "keys" / "seal.key")


def seal_key(settings: Settings, create: bool = False) -> bytes | None:
    path = key_path(settings)
    if not path.exists():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return bytes.fromhex(path.read_text(encoding="utf-8").strip())


class IntegrityStore(SqlStore):
    """The chain's links and seals, apart from the events (a separate file, or tables of their own)."""

    _sealing: Any = None  # the open lock file while this store seals (SQLite)

    def create(self) -> None:
        for statement in SCHEMA:
            self.connection.execute(statement)

    def lock_sealing(self) -> None:
        """One sealer at a time (two imports that finish together would both link from the same head),
        waited for; held until `close`, and let go by the database or the system if the process dies."""
        if self.dialect == "postgres":
            self.query("SELECT pg_advisory_lock(hashtext('plaintrail.seal'))")  # a session lock: ends with it
            return
        self._sealing = open(f"{self.path}.seal-lock", "a")  # noqa: SIM115 (closed by close())
        fcntl.flock(self._sealing, fcntl.LOCK_EX)

    def close(self) -> None:
        if self._sealing is not None:
            self._sealing.close()  # lets the lock go
        super().close()


def open_store(settings: Settings) -> IntegrityStore:
    if settings.database_url:
        return IntegrityStore.postgres(settings.database_url)
    return IntegrityStore.sqlite(settings.home / "integrity.sqlite")


def notifications(log: ComplaintLog, after: int = 0) -> Iterator[Any]:
    start = after + 1
    while batch := log.recorder.select_notifications(start, BATCH):
        yield from batch
        start = batch[-1].id + 1


def _link(previous: bytes, note: Any) -> bytes:
    return integrity.link(previous, note.id, str(note.originator_id), note.originator_version, note.topic, note.state)


def seal(settings: Settings, progress: bool = False) -> dict[str, Any]:
    """Link every event recorded since the last link, then seal the head of the chain."""
    log, store = open_log(settings), open_store(settings)
    try:
        store.lock_sealing()
        last = store.query("SELECT notification_id, hash FROM integrity_links ORDER BY notification_id DESC LIMIT 1")
        after, head = (int(last[0][0]), bytes.fromhex(last[0][1])) if last else (0, integrity.GENESIS)
        total = (log.recorder.max_notification_id() or 0) - after
        rows: list[tuple[int, str]] = []
        with tqdm(total=total, unit="event", disable=not progress, desc="linking") as bar:
            for note in notifications(log, after):
                head = _link(head, note)
                rows.append((note.id, head.hex()))
                after = note.id
                if len(rows) >= BATCH:
                    _save_links(store, rows)
                    bar.update(len(rows))
                    rows = []
            _save_links(store, rows)
            bar.update(len(rows))
        if after == 0:
            return {"sealed": False, "linked": 0, "reason": "nothing recorded yet"}
        key = seal_key(settings, create=True)
        assert key is not None
        sealed_at = datetime.now(UTC).isoformat()
        mac = integrity.seal(key, after, head, sealed_at)
        with store.transaction() as cursor:
            store.execute(cursor, "INSERT INTO integrity_seals (notification_id, hash, sealed_at, mac) VALUES "
                          "(?, ?, ?, ?) ON CONFLICT (notification_id) DO NOTHING", (after, head.hex(), sealed_at, mac))
        return {"sealed": True, "notification_id": after, "hash": head.hex(), "sealed_at": sealed_at, "linked": total}
    finally:
        store.close()


def _save_links(store: IntegrityStore, rows: list[tuple[int, str]]) -> None:
    if rows:
        with store.transaction() as cursor:
            store.executemany(cursor, "INSERT INTO integrity_links (notification_id, hash) VALUES (?, ?)", rows)


def export_seals(settings: Settings, target: Path) -> int:
    store = open_store(settings)
    try:
        rows = store.query("SELECT notification_id, hash, sealed_at, mac FROM integrity_seals ORDER BY notification_id")
    finally:
        store.close()
    with target.open("w", encoding="utf-8") as out:
        for n, h, at, mac in rows:
            out.write(json.dumps({"notification_id": int(n), "hash": h, "sealed_at": at, "mac": mac}) + "\n")
    return len(rows)


def verify(settings: Settings, seals_file: Path | None = None, progress: bool = False) -> dict[str, Any]:
    """Recompute the chain from the first event; check it against the stored links and every seal."""
    log, store = open_log(settings), open_store(settings)
    try:
        links = dict(store.query("SELECT notification_id, hash FROM integrity_links"))
        seal_rows = store.query("SELECT notification_id, hash, sealed_at, mac FROM integrity_seals")
    finally:
        store.close()
    if seals_file is not None:
        seal_rows = [(s["notification_id"], s["hash"], s["sealed_at"], s["mac"]) for s in
                     map(json.loads, seals_file.read_text(encoding="utf-8").splitlines())]
    seals = {int(n): (h, at, mac) for n, h, at, mac in seal_rows}
    key = seal_key(settings)
    problems: list[dict[str, Any]] = []
    head, checked, seen, previous_id = integrity.GENESIS, 0, set(), 0
    linked = sorted(int(n) for n in links)
    cursor = 0  # into `linked`: every linked id below the current event must have been seen
    total = log.recorder.max_notification_id() or 0
    with tqdm(total=total, unit="event", disable=not progress, desc="verifying") as bar:
        for note in notifications(log):
            head = _link(head, note)
            checked += 1
            seen.add(note.id)
            while cursor < len(linked) and linked[cursor] < note.id:
                if linked[cursor] > previous_id and not problems:
                    problems.append(_problem("deleted", linked[cursor], None))
                cursor += 1
            if cursor < len(linked) and linked[cursor] == note.id:
                cursor += 1
            stored = links.get(note.id)
            if stored is None and note.id <= max(links, default=0) and not problems:
                problems.append(_problem("inserted", note.id, note))
            elif stored is not None and stored != head.hex() and not problems:
                problems.append(_problem("altered", note.id, note))
            if note.id in seals:
                h, at, mac = seals[note.id]
                if h != head.hex() and not any(p["kind"] != "seal" for p in problems):
                    problems.append(_problem("seal mismatch", note.id, note))
                if key is not None and not integrity.seal_holds(key, note.id, bytes.fromhex(h), at, mac):
                    problems.append(_problem("forged seal", note.id, note))
            previous_id = note.id
            if checked % BATCH == 0:
                bar.update(BATCH)
    gone = sorted(n for n in links if n not in seen and n > previous_id) + sorted(n for n in seals if n not in seen)
    if gone:
        problems.append(_problem("deleted", int(gone[0]), None))
    sealed = [n for n in seals if n in seen]
    return {"ok": not problems, "events_checked": checked, "linked": len(links), "seals_checked": len(sealed),
            "unsealed_events": sum(1 for n in seen if n > max(seals, default=0)),
            "seal_key": "present" if key is not None else "missing: seals could not be checked",
            "first_broken": problems[0] if problems else None, "problems": problems[:20]}


def _problem(kind: str, notification_id: int, note: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"kind": kind, "notification_id": int(notification_id)}
    if note is not None:
        found.update(event_type=note.topic.rsplit(":", 1)[-1], version=note.originator_version,
                     originator_id=str(note.originator_id))
        try:
            found["complaint_id"] = json.loads(note.state).get("complaint_id")
        except ValueError:
            found["complaint_id"] = None
    return found
