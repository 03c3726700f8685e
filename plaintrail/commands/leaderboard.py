"""`plaintrail leaderboard --period P --level L`: the red/black list (红黑榜) with the change since before."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from domain.periods import Period
from domain.policy import DEFAULT, ListSize, Policy
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections import queries
from projections.leaderboard import LEVELS, Lists, ranked

COLUMNS = ["rank", "tied_rank", "list", "unit", "name", "work_orders", "complaints", "regulator_transferred",
           "effective", "regulator_transferred_per_10k", "complaints_per_10k", "previous_tied_rank", "tied_rank_change",
           "complaints_change_pct"]
WITHIN_COLUMNS = [*COLUMNS[:3], "bank_rank", "bank_tied_rank", "bank_list", *COLUMNS[3:]]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "leaderboard", help="the red/black list of outlets, sub-branches or branches for a period",
        description="Rank units on regulator-transferred complaints, their rate per 10k customers, the complaint "
        "rate and complaint count (ascending, best first); units equal on all four share a tied_rank. Red list: "
        "the first N, black list: the last N with at least one regulator-transferred complaint (at most half the "
        "units); units tied with the N-th are on the list too unless the policy says ties = \"exclude\". N per "
        "level comes from the policy file's [version.lists]. Each row also shows the comparison period's rank "
        "and counts. The table shows the two lists (--all: every unit); --json and --csv hold every unit.")
    parser.add_argument("--period", required=True, help="2024-03 (month), 2024Q1 (quarter) or 2024 (year)")
    parser.add_argument("--level", choices=LEVELS, default="outlet", help="which units to rank (default outlet)")
    parser.add_argument("--size", help="list size N for this query: a count (10) or a share of the units (10%%); "
                        "default: the policy's for the level")
    parser.add_argument("--within", metavar="UNIT", help="rank only the units under UNIT (their own lists); "
                        "each row keeps its bank-wide bank_rank, bank_tied_rank and bank_list")
    parser.add_argument("--policy", type=Path, help="the policy file whose [version.lists] draws the lists "
                        "(default: plaintrail/policies/default.toml)")
    parser.add_argument("--compare", choices=["previous", "year_ago"], default="previous",
                        help="compare with the previous period (default) or the same period a year before")
    parser.add_argument("--all", action="store_true", help="the table shows every unit, not only the lists")
    parser.add_argument("--json", action="store_true", help="print the rows (every unit) as JSON")
    parser.add_argument("--csv", metavar="FILE", help="also write the rows (every unit) to a CSV file ('-' for stdout)")
    parser.set_defaults(func=run)


def compared_with(period: Period, how: str) -> Period:
    return period.previous if how == "previous" else Period(period.year - 1, period.first_month, period.months_count)


def leaderboard(settings: Settings, period: Period, level: str, size: str | int | None = None,
                compare: str = "previous", within: str | None = None, policy: Policy | None = None,
                ) -> list[dict[str, Any]]:
    """Every unit's row (or every unit under `within`), its lists drawn on the policy's terms for the period."""
    if size is not None:
        ListSize.parse(size)  # a bad --size is refused before anything is read
    lists = Lists.of(policy or Policy.load(DEFAULT), period, level, size)
    store = open_read_models(settings)
    try:
        catch_up(settings, progress=sys.stderr.isatty(), store=store)
        inside = queries.units_under(store, within, level) if within else None
        return ranked(queries.ranked_lines(store, period, level, compared_with(period, compare)), lists, level,
                      inside)
    finally:
        store.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    period = Period.parse(args.period)
    policy = Policy.load(args.policy) if args.policy else None
    rows = leaderboard(settings, period, args.level, args.size, args.compare, args.within, policy)
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        table(rows, args, period, settings)
    return 0


def table(rows: list[dict[str, Any]], args: argparse.Namespace, period: Period, settings: Settings) -> None:
    """For people: the red list, then the black list (or every unit with --all), and what drew them."""
    where = ""
    if args.within:
        store = open_read_models(settings)
        try:
            where = f"  within {args.within} {queries.unit_name(store, args.within)}"
        finally:
            store.close()
    print(f"red/black list  {args.level}  {period}{where}  (compared with {compared_with(period, args.compare)})")
    if not rows:
        print(f"no {args.level.replace('_', '-')} to rank")
        return
    print(rows[0]["list_note"])
    columns = WITHIN_COLUMNS if args.within else COLUMNS
    if args.all:
        print_table(rows, columns)
        return
    for title, name in (("red list 红榜", "red"), ("black list 黑榜", "black")):
        listed = [r for r in rows if r["list"] == name]
        print(f"\n{title}: {len(listed)}")
        if listed:
            print_table(listed, [c for c in columns if c != "list"])
    print(f"\n{len(rows)} ranked; --all shows every one, --json and --csv hold every one")
    if counted := sum(1 for row in rows if row["ranked_on"] == "counts"):
        print(f"{counted} of {len(rows)} units have no customer base: ranked on counts, without rates")
