"""Importers of real complaint data: each format maps its rows to the contract's actions.

A format module has `units(records)` (the units its rows need, registered first, added to the
organisation without touching anything else) and `actions(records)` (one `Row` per action, or a `Row`
with the reason a source row cannot be mapped: it goes to the rejects file like any bad line), and may
have `starts_record(record)`, which tells a row of its export from a line of multi-line free text.
"""

from __future__ import annotations

import gzip
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from tqdm import tqdm

from domain.application import ComplaintLog
from plaintrail.importer import ImportReport, Rejects, import_rows, rejects_path
from plaintrail.sources import Row, csv_rows


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def records(path: Path, damaged: deque[Row] | None = None,
            starts_record: Callable[[dict[str, str]], bool] | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """(line where the record starts, the record) for a CSV file, gzip or not, BOM or not.

    A damaged record (an unclosed quote, more cells than the header) goes to `damaged`, if given, with its
    line and reason; `starts_record` tells a row of this export from a line of free text (see `csv_rows`).
    """
    with _open(path) as raw:
        for row in csv_rows(raw, lenient=True, starts_record=starts_record):
            if row.data is not None:
                yield row.line, row.data
            elif damaged is not None:
                damaged.append(row)


def formats() -> dict[str, ModuleType]:
    from plaintrail.formats import bpic2013, cfpb, servicenow

    return {"cfpb": cfpb, "servicenow": servicenow, "bpic2013": bpic2013}


def import_external(log: ComplaintLog, path: Path, fmt: str, home: Path, progress: bool = False,
                    batch_size: int = 2000) -> ImportReport:
    module = formats()[fmt]
    starts_record = getattr(module, "starts_record", None)
    log.extend_organisation(module.units(record for _, record in records(path, starts_record=starts_record)))
    damaged: deque[Row] = deque()
    action_rows = with_damaged(module.actions(records(path, damaged, starts_record)), damaged)
    rejects = Rejects(rejects_path(home, path))
    with tqdm(unit=" rows", disable=not progress, desc=f"import {path.name}") as bar:
        def advance(rows: int) -> None:
            bar.update(rows)

        try:
            return import_rows(log, action_rows, rejects, on_batch=advance, batch_size=batch_size)
        finally:
            rejects.close()


def with_damaged(rows: Iterable[Row], damaged: deque[Row]) -> Iterator[Row]:
    """The rows of actions, each damaged record read on the way put in its place among them."""
    for row in rows:
        while damaged:
            yield damaged.popleft()
        yield row
    yield from damaged


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
