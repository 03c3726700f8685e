"""`plaintrail sla --period P`: SLA verdicts summarised per unit and regime, and what is at risk now."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail import sla_rules
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections import appeals
from projections.leaderboard import LEVELS
from projections.sla_report import VERDICTS, summary


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "sla", help="SLA verdicts per unit and regime for the complaints received in a period",
        description="Evaluate every complaint received in the period under each regime at once (same-day, "
        "CBIRC 15/30/60 days with extensions and appraisal pauses, CFPB 15/60, FCA 8 weeks, 3-business-day "
        "summary resolution, payment services 15 business days) and count verdicts per unit.")
    parser.add_argument("--period", required=True, help="2024-03, 2024Q1 or 2024")
    parser.add_argument("--level", choices=LEVELS, default="outlet")
    parser.add_argument("--watch", action="store_true", help="list open complaints at risk, paused or overdue")
    parser.add_argument("--appeals", action="store_true", help="the appeals filed in the period against assessment "
                        "entries, each with its deadline (policy: appeals.decide_within_days) and verdict")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", metavar="FILE", help="write the rows to a CSV file ('-' for stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    period = Period.parse(args.period)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store, progress=sys.stderr.isatty())
        rows, watch = summary(store, period, args.level, settings.tz, datetime.now(UTC), sla_rules.load())
        filed = appeals.watch(store, Policy.load(DEFAULT), settings.tz, datetime.now(UTC), period) \
            if args.appeals else []
    finally:
        store.close()
    shown = filed if args.appeals else watch if args.watch else rows
    if args.csv:
        write_csv(shown, args.csv)
    if args.json:
        print_json(shown)
    elif args.csv != "-":
        if args.appeals:
            print(f"appeals filed in {period}")
            print_table(shown, ["complaint_id", "appeal_id", "subject", "rule", "filed_at", "due", "decision",
                                "verdict"])
            return 0
        print(f"SLA {period} by {args.level}" + (" (open complaints to watch)" if args.watch else ""))
        print_table(shown, ["complaint_id", "outlet", "state", "regime", "deadline", "verdict"] if args.watch
                    else ["unit", "regime", *VERDICTS[:6], "on_time_pct"])
    return 0
