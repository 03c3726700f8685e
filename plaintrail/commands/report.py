"""`plaintrail report --period P --unit U`: the monthly analysis (全量工单月度分析) as HTML and PDF."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from domain.periods import Period
from domain.policy import Policy
from plaintrail import hot, report, sla_rules
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections.monthly import figures


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "report", help="the monthly report for the committee (HTML and PDF with charts)",
        description="Volumes by channel and category, the three core indicators and their trends, the red/black "
        "list, SLA breaches by regime, hot issues and ledgers, fines and points by person, for one unit's subtree.")
    parser.add_argument("--period", required=True, help="2024-03 (or a quarter or year)")
    parser.add_argument("--unit", required=True, help="the unit whose subtree the report covers (e.g. SH)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder to write (default ./reports)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    period = Period.parse(args.period)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store)
        issues = hot.issues_of(open_log(settings), datetime.now(settings.tz).date())
        data = figures(store, period, args.unit, settings.tz, datetime.now(UTC), Policy.load(), sla_rules.load(),
                       issues)
    finally:
        store.close()
    html_path, pdf_path = report.write(data, args.out, args.lang)
    print(f"wrote {html_path} and {pdf_path}")
    return 0
