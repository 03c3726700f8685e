"""`plaintrail leaderboard --period P --level L`: the red/black list (红黑榜) with the change since before."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from domain.periods import Period
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections import queries
from projections.leaderboard import DEFAULT_SIZE, LEVELS, rows_of

COLUMNS = ["rank", "list", "unit", "name", "work_orders", "complaints", "regulator_transferred", "effective",
           "regulator_transferred_per_10k", "complaints_per_10k", "previous_rank", "rank_change",
           "complaints_change_pct"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "leaderboard", help="the red/black list of outlets, sub-branches or branches for a period",
        description="Rank units on regulator-transferred complaints, their rate per 10k customers, the complaint "
        "rate and complaint count (ascending, best first). Red list: the first N; black list: the last N with at "
        "least one regulator-transferred complaint. Each row also shows the comparison period's rank and counts.")
    parser.add_argument("--period", required=True, help="2024-03 (month), 2024Q1 (quarter) or 2024 (year)")
    parser.add_argument("--level", choices=LEVELS, default="outlet", help="which units to rank (default outlet)")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help=f"list size N (default {DEFAULT_SIZE})")
    parser.add_argument("--compare", choices=["previous", "year_ago"], default="previous",
                        help="compare with the previous period (default) or the same period a year before")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--csv", metavar="FILE", help="also write the rows to a CSV file ('-' for stdout)")
    parser.set_defaults(func=run)


def compared_with(period: Period, how: str) -> Period:
    return period.previous if how == "previous" else Period(period.year - 1, period.first_month, period.months_count)


def leaderboard(settings: Settings, period: Period, level: str, size: int = DEFAULT_SIZE,
                compare: str = "previous") -> list[dict[str, Any]]:
    if size < 0:
        raise ValueError("--size must be 0 or more")
    store = open_read_models(settings)
    try:
        catch_up(settings, progress=sys.stderr.isatty(), store=store)
        return rows_of(queries.ranked_lines(store, period, level, compared_with(period, compare)), size)
    finally:
        store.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    period = Period.parse(args.period)
    rows = leaderboard(settings, period, args.level, args.size, args.compare)
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        print(f"red/black list  {args.level}  {period}  (compared with {compared_with(period, args.compare)})")
        print_table(rows, COLUMNS)
        if counted := sum(1 for row in rows if row["ranked_on"] == "counts"):
            print(f"{counted} of {len(rows)} units have no customer base: ranked on counts, without rates")
    return 0
