"""`plaintrail indicators --period P`: the secondary indicators beside the red/black list."""

from __future__ import annotations

import argparse

from domain.periods import Period
from plaintrail.home import require_record
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections.leaderboard import LEVELS
from projections.secondary import indicators

COLUMNS = ["unit", "complaints", "callback_coverage_pct", "satisfaction_pct", "mediations", "mediation_success_pct",
           "mediation_amount_cny", "repeat_pct", "handovers"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "indicators", help="callback coverage, satisfaction, mediation, repeat complaints, hand-overs per unit",
        description="Secondary indicators of the complaints received in the period: callback coverage (回访率), "
        "satisfaction (满意度), mediation count, success rate and amounts, repeat-complaint rate (same customer "
        "and category within --repeat-days), first-responder hand-overs (首问负责).")
    parser.add_argument("--period", required=True)
    parser.add_argument("--level", choices=LEVELS, default="outlet")
    parser.add_argument("--repeat-days", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", metavar="FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store)
        rows = indicators(store, Period.parse(args.period), args.level, args.repeat_days)
    finally:
        store.close()
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        print_table(rows, COLUMNS)
    return 0
