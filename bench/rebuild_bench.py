"""Rebuild benchmark: folding the whole event log into the read models, against reading it.

    python -m bench.rebuild_bench --complaints 130000 --outlets 15000   # ~1.07M events, 15k outlets
    python -m bench.rebuild_bench --quick                              # 5,000 complaints, a smoke run

The store is built once through the real import path (`import_file`: validation, the aggregate,
batched saves) and kept under --workdir, so later runs go straight to the measurements:
(a) baseline: read the notification log in batches and decode every event into its envelope, the
    least any projection must do (the library's recorder + transcoder, and our envelope);
(b) `plaintrail rebuild`: drop the read models and fold every event again (a), plus the folds and
    the SQL writes with their tracking position. The ratio is (b)'s rate over (a)'s.
(c) the leaderboard query (outlet level, a quarter, with its comparison quarter) over every outlet,
    median of repeated runs. Goals: (b) >= 50k events/s; (c) < 100 ms at 15,000 outlets.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from bench.synthetic import write_bank
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.commands.rebuild import rebuild
from plaintrail.importer import import_file
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.envelope import Envelope


def build(workdir: Path, complaints: int, outlets: int, seed: int) -> Settings:
    settings = Settings(home=workdir / "home")
    marker = workdir / f"built-{complaints}-{outlets}-{seed}"
    if marker.exists():
        return settings
    org, actions, count = write_bank(workdir / "data", complaints, seed, outlet_count=outlets)
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
    started = time.perf_counter()
    report = import_file(log, actions, "jsonl", settings.home, progress=True)
    print(f"built the store: {report.accepted:,} of {count:,} actions in {time.perf_counter() - started:.0f} s")
    marker.touch()
    return settings


def read_and_decode(settings: Settings) -> tuple[int, float]:
    log = open_log(settings)
    started, total, start = time.perf_counter(), 0, 1
    while batch := log.recorder.select_notifications(start, 5_000):
        total += len([Envelope.from_notification(n, log.mapper.transcoder) for n in batch])
        start = batch[-1].id + 1
    return total, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rebuild_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=130_000, help="complaints (~8.2 events each)")
    parser.add_argument("--outlets", type=int, default=15_000, help="outlets in the generated bank")
    parser.add_argument("--quick", action="store_true", help="5,000 complaints over 500 outlets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keeps the built store between runs (default: a temp dir)")
    args = parser.parse_args(argv)
    complaints, outlets = (5_000, 500) if args.quick else (args.complaints, args.outlets)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="plaintrail-rebuild-"))
    settings = build(workdir, complaints, outlets, args.seed)

    events, read_s = read_and_decode(settings)
    print(f"(a) read + decode the log:  {events:>9,} events in {read_s:6.1f} s = {events / read_s:>8,.0f} events/s")
    started = time.perf_counter()
    folded = rebuild(settings, progress=True)
    fold_s = time.perf_counter() - started
    print(f"(b) rebuild the read models: {folded:>9,} events in {fold_s:6.1f} s = {folded / fold_s:>8,.0f} events/s")
    print(f"    ratio (b)/(a) = {read_s / fold_s:.2f}; goal 50,000 events/s: "
          f"{'met' if folded / fold_s >= 50_000 else 'NOT met'}")

    timings = []
    for _ in range(7):
        started = time.perf_counter()
        rows = leaderboard(settings, Period.parse("2024Q2"), "outlet")
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings) * 1000
    print(f"(c) leaderboard over {len(rows):,} outlets (2024Q2 vs 2024Q1): median {median:.0f} ms of 7; "
          f"goal < 100 ms: {'met' if median < 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
