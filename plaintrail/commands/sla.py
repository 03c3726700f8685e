"""`plaintrail sla --period P`: SLA verdicts summarised per unit and regime, and what is at risk now."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail import sla_rules
from plaintrail.as_of import parse_moment, read_models
from plaintrail.home import require_record
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
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
    parser.add_argument("--as-of", metavar="T", help="as the record stood at T (ISO 8601; without an offset, the "
                        "bank's time zone): folded afresh from the events recorded by T, judged at T")
    parser.add_argument("--watch", action="store_true", help="list open complaints at risk, paused or overdue")
    parser.add_argument("--appeals", action="store_true", help="the appeals filed in the period against assessment "
                        "entries, each with its deadline (policy: appeals.decide_within_days) and verdict")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", metavar="FILE", help="write the rows to a CSV file ('-' for stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    period = Period.parse(args.period)
    as_of = parse_moment(args.as_of, settings) if args.as_of else None
    now = as_of or datetime.now(UTC)
    with read_models(settings, as_of) as store:
        rows, watch = summary(store, period, args.level, settings.tz, now, sla_rules.load())
        filed = appeals.watch(store, Policy.load(DEFAULT), settings.tz, now, period) if args.appeals else []
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
        print(f"SLA {period} by {args.level}" + (" (open complaints to watch)" if args.watch else "")
              + (f" as the record stood at {args.as_of}" if args.as_of else ""))
        print_table(shown, ["complaint_id", "outlet", "state", "regime", "deadline", "verdict"] if args.watch
                    else ["unit", "regime", *VERDICTS[:6], "on_time_pct"])
    return 0
