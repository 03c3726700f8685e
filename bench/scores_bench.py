"""Scores benchmark: a quarter's fines and points for HR on a big history, against reading it straight.

    python -m bench.scores_bench --workdir var/bench/rebuild   # 130k complaints, ~1.18M events, 15k outlets
    python -m bench.scores_bench --quick                       # 5,000 complaints, a smoke run

The store is the rebuild benchmark's (built once through the real import and kept under --workdir).
(a) baseline: the straight path the memo replaces, in the same run: read every complaint validated or
    received in the quarter from the read model, fold nothing, and apply the pure rules to the facts
    (`complaint_entries`, `evaluate`), with the same rare-GC setting;
(b0) the first scores after `plaintrail rebuild` (which keeps every quarter's scores before going live): HR's
    table (`scores --totals`: each person's sums) and the whole answer with every entry. Goal (issue 21): the
    table < 1 s;
(b) `plaintrail scores` worked out with nothing kept (after other SLA rules, policy or code);
(b1) the same with the liabilities memo filled but the scores not kept (after a new event in the quarter);
(c) the kept scores (every later query): HR's table, the whole answer, one person's evidence; medians.
    Goal: the table < 1 s;
(d) `plaintrail sla` for the same quarter, memo filled, median.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.rebuild_bench import build
from domain import scoring
from domain.periods import Period
from domain.policy import Policy
from domain.sla import evaluate
from plaintrail import sla_rules
from plaintrail.commands.scores import compute, evidence, totals
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models, rebuild
from projections import queries, sla_report
from projections.bulk import few_collections


def straight(settings: Settings, period: Period, policy: Policy, now: datetime) -> int:
    store = open_read_models(settings)
    rules = sla_rules.load()
    with few_collections():
        chart, count = queries.org_chart(store), 0
        for facts in queries.facts_validated_in(store, period):
            count += len(scoring.complaint_entries(facts, chart, policy, settings.tz))
        for facts in queries.facts_received_in(store, period):
            count += len(evaluate(facts, now, settings.tz, rules))
    store.close()
    return count


def timed(action: object, runs: int = 1) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scores_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=130_000)
    parser.add_argument("--outlets", type=int, default=15_000)
    parser.add_argument("--quick", action="store_true", help="5,000 complaints over 500 outlets")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--period", default="2024Q2")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="keeps the built store between runs (default: a temp dir)")
    parser.add_argument("--skip-rebuild", action="store_true", help="leave out (b0), the first scores after a rebuild")
    args = parser.parse_args(argv)
    complaints, outlets = (5_000, 500) if args.quick else (args.complaints, args.outlets)
    settings = build(args.workdir or Path(tempfile.mkdtemp(prefix="plaintrail-scores-")), complaints, outlets,
                     args.seed)
    started = time.perf_counter()
    folded = catch_up(settings, progress=True)
    print(f"read models caught up: {folded:,} events in {time.perf_counter() - started:.1f} s")
    period, policy, now = Period.parse(args.period), Policy.load(), datetime.now(UTC)
    store = open_read_models(settings)
    counts = store.query("SELECT COUNT(*), SUM(CASE WHEN effective = 1 THEN 1 ELSE 0 END) FROM complaint_facts")[0]
    print(f"history: {counts[0]:,} complaints, {counts[1]:,} effective; "
          f"{store.query('SELECT COUNT(*) FROM org_roles')[0][0]:,} dated roles; period {period}")

    base = timed(lambda: straight(settings, period, policy, now))
    print(f"(a) baseline, the rules over every history read straight: {base:6.2f} s")
    if not args.skip_rebuild:
        started = time.perf_counter()
        rebuilt = rebuild(settings)
        print(f"    plaintrail rebuild: {rebuilt.events:,} events in {time.perf_counter() - started:.1f} s")
        store.refresh(force=True)
        table = timed(lambda: totals(settings, period, policy, store))
        first = timed(lambda: compute(settings, period, policy, now=now))
        print(f"(b0) the first after the rebuild: HR's table {table:6.2f} s, the whole answer {first:6.2f} s "
              f"({base / first:.1f}x the baseline); goal, the table < 1 s: {'met' if table < 1 else 'NOT met'}")
    with store.transaction() as cursor:
        for table_name in ("liabilities", "score_rows", "score_memo"):
            store.execute(cursor, f"DELETE FROM {table_name}")
    rows: list[dict[str, object]] = []
    cold = timed(lambda: rows.extend(compute(settings, period, policy, now=now)[0]))
    print(f"(b) plaintrail scores, worked out with nothing kept: {cold:6.2f} s ({base / cold:.1f}x the baseline)")
    with store.transaction() as cursor:
        for table_name in ("score_rows", "score_memo"):
            store.execute(cursor, f"DELETE FROM {table_name}")
    memo = timed(lambda: compute(settings, period, policy, now=now))
    print(f"(b1) worked out with the liabilities memo filled, the scores not kept: {memo:6.2f} s")
    table = timed(lambda: totals(settings, period, policy, store), args.runs)
    warm = timed(lambda: compute(settings, period, policy, now=now), args.runs)
    someone = str(max(rows, key=lambda r: len(r["entries"]))["person"])  # type: ignore[arg-type]
    one = timed(lambda: evidence(settings, period, policy, store, someone), args.runs)
    fines = sum(float(str(r["fines_cny"])) for r in rows)
    print(f"(c) kept (median of {args.runs}): HR's table {table:6.2f} s, the whole answer {warm:6.2f} s, one "
          f"person's evidence {one * 1000:.0f} ms; goal, the table < 1 s: {'met' if table < 1 else 'NOT met'}")
    print(f"    {len(rows):,} people fined {fines:,.2f} yuan in {period}")
    sla = timed(lambda: sla_report.summary(store, period, "outlet", settings.tz, now, sla_rules.load()), args.runs)
    print(f"(d) plaintrail sla, memo filled (median of {args.runs}): {sla:6.2f} s")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
