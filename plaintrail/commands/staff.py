"""`plaintrail staff --period 2024-03`: the complaint staff's service-quality ranking (客服人员服务质量考核表及排名)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail import sla_rules
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections import staff


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "staff", help="the monthly service-quality ranking of complaint handlers",
        description="Per handler (the complaint's last assignee, else its first responder), the complaints "
        "received in the period they handled, the on-time rate under the bank's SLA regimes (the policy's "
        "sla_regimes), callbacks and satisfaction, repeat complaints, and a rank: on-time rate, then "
        "satisfaction, then fewer repeats, then more complaints handled.")
    parser.add_argument("--period", required=True, help="2024-03 (the monthly table), or 2024Q1, 2024")
    parser.add_argument("--policy", type=Path, help="rank under this policy file's regimes instead")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", metavar="FILE", help="write the rows to a CSV file ('-' for stdout)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    period = Period.parse(args.period)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store, progress=sys.stderr.isatty())
        rows = staff.ranking(store, period, Policy.load(args.policy or DEFAULT), settings.tz, datetime.now(UTC),
                             sla_rules.load())
    finally:
        store.close()
    if args.csv:
        write_csv([dict(r, outlets=" ".join(r["outlets"]), regimes=" ".join(r["regimes"])) for r in rows], args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        print(f"complaint staff {period}: service-quality ranking")
        print_table(rows, ["rank", "handler", "name", "handled_count", "on_time_pct", "callbacks", "satisfaction_pct",
                           "repeats"])
    return 0
