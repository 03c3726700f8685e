"""Import a file of actions: validate each line, record the valid ones in batches, explain the rest.

Every rejected line goes to a rejects file (JSON Lines: line number, reason, the raw line), so
nothing is lost silently and the valid lines around a bad one are all kept.
"""

from __future__ import annotations

import gc
import gzip
import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

from tqdm import tqdm

from domain.actions import Action, InvalidAction, parse_action
from domain.application import ComplaintLog
from plaintrail.sources import READERS, Row

BATCH_SIZE = 2000
GZIP_MAGIC = b"\x1f\x8b"  # a gzipped export is read as it is, whatever its name


@dataclass
class ImportReport:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects_file: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected,
                "rejects_file": self.rejects_file}


def rejects_path(home: Path, source: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return home / "rejects" / f"{source.name}.{stamp}.rejects.jsonl"


class Rejects:
    """The rejects file, written as rejects happen so that a crash keeps what was already explained."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("w", encoding="utf-8")

    def add(self, line: int, reason: str, raw: str) -> None:
        self._file.write(json.dumps({"line": line, "reason": reason, "raw": raw}, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._file.close()


def import_rows(log: ComplaintLog, rows: Iterable[Row], rejects: Rejects,
                on_batch: Callable[[int], None] | None = None, batch_size: int = BATCH_SIZE) -> ImportReport:
    """Validate and record rows in batches; each batch is one transaction in the event store."""
    report = ImportReport(rejects_file=str(rejects.path))
    raws: dict[int, str] = {}
    batch: list[tuple[int, Action]] = []

    def flush() -> None:
        outcome = log.record(batch)
        report.accepted += outcome.accepted
        report.duplicates += outcome.duplicates
        for line, reason in outcome.rejected:
            rejects.add(line, reason, raws[line])
        report.rejected += len(outcome.rejected)
        if on_batch:
            on_batch(len(batch))
        batch.clear()
        raws.clear()

    for row in rows:
        if row.error is not None or row.data is None:
            rejects.add(row.line, row.error or "empty", row.raw)
            report.rejected += 1
            continue
        try:
            action = parse_action(row.data)
        except InvalidAction as error:
            rejects.add(row.line, str(error), row.raw)
            report.rejected += 1
            continue
        batch.append((row.line, action))
        raws[row.line] = row.raw
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return report


@contextmanager
def rare_full_collections() -> Iterator[None]:
    """Collect the oldest generation rarely while importing.

    An import keeps tens of thousands of complaints cached, millions of long-lived objects that hold
    no cycles; Python's full collections walked all of them again and again and took a quarter of the
    import's time. Young generations are still collected (less often), and the settings come back after.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 20_000), before[1], max(before[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*before)


def import_file(log: ComplaintLog, path: Path, fmt: str, home: Path, progress: bool = False,
                batch_size: int = BATCH_SIZE) -> ImportReport:
    reader = READERS[fmt]
    rejects = Rejects(rejects_path(home, path))
    size = os.path.getsize(path)
    with path.open("rb") as file, rare_full_collections(), tqdm(
            total=size, unit="B", unit_scale=True, disable=not progress, desc=f"import {path.name}") as bar:
        stream = cast(IO[bytes], gzip.GzipFile(fileobj=file) if file.read(2) == GZIP_MAGIC else file)
        file.seek(0)

        def advance(_: int) -> None:
            if not file.closed:
                bar.update(file.tell() - bar.n)  # compressed bytes read, against the file's size

        try:
            return import_rows(log, until_damage(reader(stream)), rejects, on_batch=advance, batch_size=batch_size)
        finally:
            rejects.close()


def until_damage(rows: Iterator[Row]) -> Iterator[Row]:
    """A truncated or corrupt gzip file: every line before the damage is kept, the damage is one reject."""
    last = 0
    try:
        for row in rows:
            last = row.line
            yield row
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        yield Row(last + 1, "", error=f"damaged gzip data from here on: {error}")
