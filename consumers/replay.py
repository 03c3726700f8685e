"""The rebuild: every complaint's whole history folded at once, ranges of complaints side by side.

Following the log (consumers/local.py) reads events in recording order, so one complaint's events
lie scattered over the whole log: its facts stay in memory (or are read back) and are rewritten in
every batch that touches them. A rebuild starts from nothing, so it reads the event table in its
primary-key order instead, (originator_id, originator_version): each complaint's events come
together, are folded once, written once and forgotten. Memory stays flat however long the log, and
disjoint ranges of originator ids fold in separate processes that share nothing but the final sums.

Only events up to the last notification id seen at the start are folded, and that id becomes the
tracking position, so events recorded meanwhile are left to the incremental path, exactly once.
An event no fold can place is reported in `fold_problems` and skipped, like the incremental path does:
one stored event never leaves the read models empty.
A marker in `readmodel_meta` says a rebuild is under way: a crash leaves it behind, and the next
catch-up rebuilds again rather than fold on top of half a rebuild (`plaintrail.wiring.catch_up`).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tqdm import tqdm

from consumers.lifeline import die_with
from consumers.local import SOURCE  # the embedded runner carries on from the rebuild's position
from domain.facts import ComplaintFacts
from domain.sla import SlaRules
from monitoring.rebuild_progress import RebuildProgress
from projections import complaints, liabilities, problems
from projections.envelope import Envelope, decode
from projections.runner import PROJECTION, UPSERT_TRACKING, Projector, folded
from projections.store import ReadModelStore

WRITE_EVERY = 2_000  # complaints per facts transaction
REPORT_EVERY = 20_000  # events between progress reports
ALONE_BELOW = 100_000  # events: fewer than this fold in this process (starting others costs ~1 s)


@dataclass(frozen=True)
class Stores:
    """Where the events and the read models are, as plain strings a spawned process can open."""

    events: str  # the SQLite file, or a postgresql:// URL
    table: str  # the library's events table
    readmodels: str  # the first version's SQLite file (its folder holds the others), or the same postgresql:// URL
    tz: str
    version: str = ""  # one version of the read models (a rebuild's); "" follows the live one
    rules: SlaRules | None = None  # with them, the rebuild fills the liabilities memo of what HR scores read

    @property
    def postgres(self) -> bool:
        return self.events.startswith("postgres")

    @property
    def home(self) -> Path:
        return Path(self.readmodels).parent

    def open_readmodels(self) -> ReadModelStore:
        if self.postgres:
            return ReadModelStore.live_postgres(self.readmodels, self.version or None)
        if self.version:
            return ReadModelStore.version_sqlite(self.home, self.version)
        return ReadModelStore.live_sqlite(self.home)


def own_memory_mb() -> float:
    """This process's own memory (RssAnon: heap and stacks, not mapped files), in MB; 0 where unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Part:
    """What one range of originators folded: events, the indicator sums, the organisation's envelopes."""

    events: int = 0
    peak_mb: float = 0.0  # the most own memory seen while folding (sampled at each progress report)
    sums: dict[complaints.Key, list[int]] = field(default_factory=dict)
    organisation: list[Envelope] = field(default_factory=list)


def bounds(parts: int) -> list[tuple[str, str | None]]:
    """`parts` equal ranges of originator ids, as 32 hex digits (ids are UUIDs: uniform in that space)."""
    cuts = [f"{(i << 128) // parts:032x}" for i in range(parts)]
    return list(zip(cuts, [*cuts[1:], None], strict=True))


def stored_events(stores: Stores, low: str, high: str | None, last: int) -> Iterator[tuple[Any, ...]]:
    """(notification id, originator id, version, topic, state) of one range, in primary-key order: only rows in
    the notification sequence (ids 1 to `last`, what verify checks), never a row slipped in at id <= 0."""
    columns = "originator_id, originator_version, topic, state"
    if stores.postgres:
        import psycopg

        with psycopg.connect(stores.events) as connection, connection.cursor(name="replay") as cursor:
            cursor.itersize = 5_000
            upper = "AND originator_id < %s " if high else ""
            cursor.execute(f"SELECT notification_id, {columns} FROM {stores.table} WHERE originator_id >= %s "
                           f"{upper}AND notification_id BETWEEN 1 AND %s ORDER BY originator_id, originator_version",
                           [UUID(low), *([UUID(high)] if high else []), last])
            yield from cursor
        return
    lite = sqlite3.connect(f"file:{stores.events}?mode=ro", uri=True)
    # Pages read in key order jump about the file: mapped, they cost no read() each (1.5x faster). Mapped
    # pages count in RSS but are the file's, shared and reclaimable; `own_memory_mb` leaves them out.
    lite.execute("PRAGMA mmap_size = 17179869184")
    try:
        yield from lite.execute(
            f"SELECT rowid, {columns} FROM {stores.table} WHERE originator_id >= ? AND originator_id < ? "
            "AND rowid BETWEEN 1 AND ? ORDER BY originator_id, originator_version", (low, high or "g", last))
    finally:
        lite.close()


def fold_part(stores: Stores, low: str, high: str | None, last: int, report: Any = None) -> Part:
    """Fold every complaint whose originator id is in [low, high) and write its facts row."""
    tz, part, pending = ZoneInfo(stores.tz), Part(), 0
    rows: list[tuple[Any, ...]] = []
    refused: list[problems.Problem] = []  # events no fold can place: reported with the rows, never fatal
    memo: list[tuple[Any, ...]] = []
    deltas = complaints.IndicatorDeltas()
    store = stores.open_readmodels()
    rules = stores.rules
    rules_key = liabilities.rules_key(rules, tz) if rules is not None else None

    def write() -> None:
        with store.transaction() as cursor:
            store.executemany(cursor, problems.INSERT, refused)
            store.executemany(cursor, complaints.UPSERT_FACTS, rows)
            store.executemany(cursor, liabilities.UPSERT, memo)
        rows.clear()
        refused.clear()
        memo.clear()

    try:
        for _, events in groupby(stored_events(stores, low, high, last), key=itemgetter(1)):
            facts: ComplaintFacts | None = None
            placed: tuple[Any, int, int, str] = ("", 0, 0, "")  # the last event folded: where a problem points
            for notification_id, originator_id, version, topic, state in events:
                event_type = topic[topic.rfind(":") + 1:]
                if not event_type.startswith(("Complaint.", "Organisation.")):
                    continue
                try:
                    recorded, payload = decode(state, topic)
                except Exception as error:
                    refused.append(problems.problem(originator_id, version, notification_id, None, event_type,
                                                    problems.unreadable(error)))
                    continue
                try:
                    if event_type.startswith("Complaint."):  # no envelope: nothing but the fold sees it
                        facts, applied = folded(facts, version, event_type, recorded, payload)
                        part.events += applied
                        pending += applied
                        placed = (originator_id, version, notification_id, event_type)
                    else:
                        part.organisation.append(
                            Envelope.from_stored(notification_id, originator_id, version, topic, bytes(state)))
                except Exception as error:
                    refused.append(problems.problem(originator_id, version, notification_id,
                                                    payload.get("complaint_id"), event_type, error))
            if facts is not None:
                try:
                    counts, row = complaints.contribution(facts, tz), complaints.facts_row(facts, tz)
                except Exception as error:
                    originator, at_version, position, event_type = placed
                    refused.append(problems.problem(originator, at_version, position, facts.complaint_id, event_type,
                                                    error))
                else:
                    deltas.add(*counts, +1)
                    rows.append(row)
                    if rules is not None and rules_key is not None and liabilities.scored(row):
                        memo.extend(liabilities.memo_row(facts, tz, rules, rules_key))
                if len(rows) + len(refused) >= WRITE_EVERY:
                    write()
            elif len(refused) >= WRITE_EVERY:
                write()
            if pending >= REPORT_EVERY:
                part.peak_mb = max(part.peak_mb, own_memory_mb())
                if report is not None:
                    report.put(("progress", pending))
                pending = 0
        if rows or refused:
            write()
        if report is not None and pending:
            report.put(("progress", pending))
    finally:
        store.close()
    part.sums = deltas.sums
    part.peak_mb = max(part.peak_mb, own_memory_mb())
    return part


def _child(stores: Stores, low: str, high: str | None, last: int, report: Any, parent: int) -> None:
    die_with(parent)  # a parent killed mid-rebuild takes its children with it (consumers/lifeline.py)
    try:
        report.put(("done", fold_part(stores, low, high, last, report)))
    except BaseException as error:  # the parent turns it into an error of its own
        report.put(("failed", f"{type(error).__name__}: {error}"))
        raise


@dataclass(frozen=True)
class Rebuilt:
    events: int
    workers: int
    peak_mb: float  # the largest own memory (RssAnon) of any folding process


def rebuild(stores: Stores, store: ReadModelStore, last: int, workers: int, progress: bool = False,
            home: Path | None = None) -> Rebuilt:
    """Drop the read models and fold events 1..`last` in `workers` processes; with `home`, the progress is
    kept where `status` and the metrics ports see it (monitoring/rebuild_progress.py).

    The caller holds the store's rebuild lock."""
    store.drop()
    store.begin_rebuild()
    workers = 1 if last < ALONE_BELOW else max(1, workers)
    bar = tqdm(total=last, unit="event", desc="rebuilding", unit_scale=True) if progress else None
    watch = RebuildProgress(home, store.version, last, bar) if home is not None else Shown(bar)
    try:
        parts = [fold_part(stores, "0" * 32, None, last, Reported(watch))] if workers == 1 else \
            _in_processes(stores, last, workers, watch)
    finally:
        watch.close()
    total = complaints.IndicatorDeltas()
    for part in parts:
        total.merge(part.sums)
    organisation = sorted((e for part in parts for e in part.organisation), key=lambda e: e.version)
    projector = Projector(store, ZoneInfo(stores.tz))
    with store.transaction() as cursor:
        folded_org = projector.fold_organisation(cursor, organisation)
        store.executemany(cursor, complaints.ADD_INDICATORS, total.rows())
        store.execute(cursor, UPSERT_TRACKING, (PROJECTION, SOURCE, 0, last))
        store.end_rebuild(cursor)
    return Rebuilt(sum(part.events for part in parts) + folded_org, len(parts), max(p.peak_mb for p in parts))


class Shown:
    """Progress on the terminal only (a bar, or nothing)."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def update(self, events: int) -> None:
        if self.bar is not None:
            self.bar.update(events)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Reported:
    """What a folding process reports, taken in this process (the rebuild of a single part)."""

    def __init__(self, watch: RebuildProgress | Shown) -> None:
        self.watch = watch

    def put(self, message: tuple[str, int]) -> None:
        if message[0] == "progress":
            self.watch.update(message[1])


def _in_processes(stores: Stores, last: int, workers: int, watch: RebuildProgress | Shown) -> list[Part]:
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    report = context.Queue()
    children = [context.Process(target=_child, args=(stores, low, high, last, report, os.getpid()), daemon=True)
                for low, high in bounds(workers)]
    for child in children:
        child.start()
    parts: list[Part] = []
    try:
        while len(parts) < len(children):
            try:
                kind, value = report.get(timeout=1)
            except queue.Empty:
                if any(c.exitcode not in (None, 0) for c in children):
                    raise RuntimeError("a rebuild process died; run the rebuild again") from None
                continue
            if kind == "progress":
                watch.update(value)
            elif kind == "failed":
                raise RuntimeError(f"a rebuild process failed: {value}")
            elif kind == "done":
                parts.append(value)
    finally:
        for child in children:
            if child.is_alive() and len(parts) < len(children):
                child.terminate()
            child.join()
    return parts
