"""Import benchmark: plaintrail's import against the raw batched eventsourcing save of the same events.

    python -m bench.import_bench --complaints 100000 --seed 1      # ~820k events
    python -m bench.import_bench --quick                           # 5,000 complaints, a smoke run

(a) plaintrail: `plaintrail.importer.import_file` of a generated JSONL file into a fresh store that
    holds only the organisation: reading, JSON, pydantic validation, the Complaint aggregate's
    decisions, idempotency checks, batched saves.
(b) baseline: the very events (a) recorded, read back from (a)'s notification log and decoded into
    the same domain event objects (untimed), then `Application.save(*events)` into another fresh store
    in batches of the same size. That is the library's own save path (the mapper transcodes each
    event, the recorder inserts the batch in one transaction under the same constraints): the work any
    eventsourcing application must do to persist these events, and nothing of ours. (b) / (a) in time,
    i.e. (a)'s rate over (b)'s, is the ratio; the goal is >= 0.9 (issue 21; 0.8 before it).
(c) for reference only: `recorder.insert_events` of the already-serialised stored events, the
    database's share of (b).

Runs on SQLite under a temporary folder; on PostgreSQL too when PLAINTRAIL_DATABASE_URL is set
(each store in its own throwaway schema, dropped afterwards).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from eventsourcing.persistence import StoredEvent

from bench.synthetic import write_bank
from domain.application import ComplaintLog
from domain.organisation import OrganisationSpec
from plaintrail.importer import BATCH_SIZE, import_file
from plaintrail.settings import Settings

QUICK_COMPLAINTS = 5_000


@dataclass
class Timing:
    label: str
    events: int
    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else float("inf")

    def line(self) -> str:
        return (f"  {self.label:<34} {self.events:>9,} events  {self.seconds:8.2f} s  "
                f"{self.rate:>9,.0f} events/s  (cpu {self.cpu:.2f} s)")


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yields a list that holds [wall seconds, cpu seconds] once the block ends."""
    result: list[float] = []
    wall, cpu = time.perf_counter(), time.process_time()
    yield result
    result.extend([time.perf_counter() - wall, time.process_time() - cpu])


class Stores:
    """Fresh, empty event stores for one backend; removed when the run ends."""

    def __init__(self, workdir: Path, database_url: str | None) -> None:
        self.workdir, self.database_url = workdir, database_url
        self.schemas: list[str] = []
        self.stamp = f"{os.getpid()}_{int(time.time())}"
        self.backend = "postgresql" if database_url else "sqlite"

    def env(self, name: str, fresh: bool = True) -> dict[str, str]:
        """The settings of store `name`: new and empty, or (fresh=False) the one made earlier."""
        settings = Settings(home=self.workdir / name, database_url=self.database_url)
        env = settings.event_store_env()
        if self.database_url:
            schema = f"bench_{name}_{self.stamp}"
            if fresh:
                self._sql(f'CREATE SCHEMA "{schema}"')
                self.schemas.append(schema)
            env["POSTGRES_SCHEMA"] = schema
        return env

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.database_url or "", autocommit=True) as conn:
            conn.execute(statement.encode())

    def close(self) -> None:
        for schema in self.schemas:
            self._sql(f'DROP SCHEMA "{schema}" CASCADE')


def load_org(log: ComplaintLog, org_path: Path) -> None:
    log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org_path.read_text(encoding="utf-8"))))


def measure_import(log: ComplaintLog, actions: Path, home: Path, size: int,
                   profile: Path | None) -> tuple[Timing, Any]:
    profiler = cProfile.Profile() if profile else None
    gc.collect()
    with stopwatch() as took:
        if profiler:
            profiler.enable()
        report = import_file(log, actions, "jsonl", home, batch_size=size)
        if profiler:
            profiler.disable()
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return Timing("(a) plaintrail import", report.accepted, *took), report


def recorded_batches(log: ComplaintLog, after: int, size: int) -> Iterator[list[Any]]:
    """(a)'s notifications after the organisation, `size` at a time, as the recorder returned them."""
    start = after + 1
    while True:
        batch = log.recorder.select_notifications(start, size)
        if not batch:
            return
        yield list(batch)
        start = batch[-1].id + 1


def measure_save(source: ComplaintLog, after: int, env: dict[str, str], size: int) -> Timing:
    """(b): the same domain events, saved by the library in batches of the import's size."""
    target = ComplaintLog(env=env)
    gc.collect()
    wall = cpu = 0.0
    count = 0
    for batch in recorded_batches(source, after, size):
        events = [source.mapper.to_domain_event(n) for n in batch]
        with stopwatch() as took:
            target.save(*events)
        wall, cpu, count = wall + took[0], cpu + took[1], count + len(events)
    target.close()
    return Timing("(b) eventsourcing app.save", count, wall, cpu)


def measure_insert(source: ComplaintLog, after: int, env: dict[str, str], size: int) -> Timing:
    """(c): the database's share: already-serialised stored events inserted batch by batch."""
    target = ComplaintLog(env=env)
    gc.collect()
    wall = cpu = 0.0
    count = 0
    for batch in recorded_batches(source, after, size):
        stored = [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in batch]
        with stopwatch() as took:
            target.recorder.insert_events(stored)
        wall, cpu, count = wall + took[0], cpu + took[1], count + len(stored)
    target.close()
    return Timing("(c) recorder.insert_events only", count, wall, cpu)


def run_backend(stores: Stores, org: Path, actions: Path, expected: int, size: int,
                profile: Path | None) -> float:
    log = ComplaintLog(env=stores.env("import"))
    load_org(log, org)
    after = log.recorder.max_notification_id() or 0
    imported, report = measure_import(log, actions, stores.workdir / "import", size, profile)
    if report.accepted != expected or report.rejected or report.duplicates:
        print(f"  WARNING: expected {expected} accepted, got {report.as_json()}")
    log.close()  # drop (a)'s cache, so the baseline runs on a heap as lean as the import started on
    source = ComplaintLog(env=stores.env("import", fresh=False))
    saved = measure_save(source, after, stores.env("save"), size)
    inserted = measure_insert(source, after, stores.env("insert"), size)
    source.close()
    ratio = imported.rate / saved.rate
    print(f"{stores.backend}:")
    for timing in (imported, saved, inserted):
        print(timing.line())
    print(f"  ratio (a)/(b) events/s: {ratio:.2f}  (goal >= 0.9: {'met' if ratio >= 0.9 else 'NOT met'});"
          f"  cpu ratio {saved.cpu / imported.cpu:.2f}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_bench",
        description="Import a generated bank's year of complaints and compare the rate with the raw "
        "batched eventsourcing save of the same events, measured in the same run.")
    parser.add_argument("--complaints", type=int, default=100_000, help="complaints to generate (~8 events each)")
    parser.add_argument("--quick", action="store_true", help=f"a small run: {QUICK_COMPLAINTS:,} complaints")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="actions per transaction")
    parser.add_argument("--workdir", type=Path, help="where files and SQLite stores go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the workdir afterwards")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the import (a) to this file")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL even when it is configured")
    args = parser.parse_args(argv)
    complaints = QUICK_COMPLAINTS if args.quick else args.complaints
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="plaintrail-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        with stopwatch() as took:
            org, actions, count = write_bank(workdir / "data", complaints, args.seed)
        print(f"generated {complaints:,} complaints, {count:,} actions ({actions.stat().st_size / 1e6:.0f} MB) "
              f"in {took[0]:.1f} s; batch size {args.batch_size}")
        backends: list[str | None] = [None]
        database_url = Settings.from_env().database_url
        if database_url and not args.sqlite_only:
            backends.append(database_url)
        for url in backends:
            stores = Stores(workdir / ("pg" if url else "sqlite"), url)
            try:
                run_backend(stores, org, actions, count, args.batch_size, args.profile)
            finally:
                stores.close()
        return 0
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
