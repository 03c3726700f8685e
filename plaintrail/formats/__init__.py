"""Importers of real complaint data: each format maps its rows to the contract's actions.

A format module has `units(records)` (the units its rows need, registered first, added to the
organisation without touching anything else) and `actions(records)` (one `Row` per action, or a `Row`
with the reason a source row cannot be mapped: it goes to the rejects file like any bad line).
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from tqdm import tqdm

from domain.application import ComplaintLog
from plaintrail.importer import ImportReport, Rejects, import_rows, rejects_path
from plaintrail.sources import Row


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line where the record starts, the record) for a CSV file, gzip or not, BOM or not."""
    with _open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        reader = csv.DictReader(text)
        line = 2
        for record in reader:
            yield line, {(k or "").strip(): (v or "").strip() for k, v in record.items() if k is not None}
            line = reader.line_num + 1


def formats() -> dict[str, ModuleType]:
    from plaintrail.formats import bpic2013, cfpb, servicenow

    return {"cfpb": cfpb, "servicenow": servicenow, "bpic2013": bpic2013}


def import_external(log: ComplaintLog, path: Path, fmt: str, home: Path, progress: bool = False,
                    batch_size: int = 2000) -> ImportReport:
    module = formats()[fmt]
    log.extend_organisation(module.units(record for _, record in records(path)))
    rejects = Rejects(rejects_path(home, path))
    with tqdm(unit=" rows", disable=not progress, desc=f"import {path.name}") as bar:
        def advance(rows: int) -> None:
            bar.update(rows)

        try:
            return import_rows(log, module.actions(records(path)), rejects, on_batch=advance, batch_size=batch_size)
        finally:
            rejects.close()


@lru_cache(maxsize=1 << 14)
def unit_id(prefix: str, name: str) -> str:
    """A stable unit id for an external name (companies, locations, teams); cached: names repeat on every row."""
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in name.upper()).strip("-")
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return f"{prefix}-{cleaned[:100]}" if cleaned else f"{prefix}-UNKNOWN"


def raw_line(record: dict[str, Any]) -> str:
    return ",".join(str(v) for v in record.values())


def stateful_rows(records: Iterable[tuple[int, dict[str, str]]], step: Callable[[dict[str, Any], dict[str, str]],
                  Iterable[dict[str, Any]]], source: str, cases: dict[str, Any] | None = None) -> Iterator[Row]:
    """Rows of actions from a log where each source row moves one case: `step` keeps the cases' state
    (in `cases`, when the caller needs to see it)."""
    cases = {} if cases is None else cases
    for line, record in records:
        raw = raw_line(record)
        try:
            found = list(step(cases, record))
        except (KeyError, ValueError) as error:
            yield Row(line, raw, error=f"cannot map this {source} row: {error}")
            continue
        yield from (Row(line, raw, data=a) for a in found)
