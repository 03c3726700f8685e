"""`plaintrail report --period P --unit U`: the monthly analysis (全量工单月度分析) as HTML and PDF."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.periods import Period
from domain.policy import Policy
from plaintrail import hot, report, sla_rules
from plaintrail.home import require_record
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections.monthly import figures


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "report", help="the monthly report for the committee (HTML and PDF with charts)",
        description="A committee paper for one unit's subtree, as of the period's end: headline figures with "
        "month-on-month and year-on-year change, the three core indicators by sub-branch, the red/black lists, SLA "
        "by the regimes the bank applies, callbacks, satisfaction, mediation and repeats, the hot issues of the "
        "period with their ledgers, every fined person, and a written analysis; HTML and a paged PDF.")
    parser.add_argument("--period", required=True, help="2024-03 (or a quarter or year)")
    parser.add_argument("--unit", required=True, help="the unit whose subtree the report covers (e.g. SH)")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh")
    parser.add_argument("--json", action="store_true", help="print the report's figures as JSON instead of writing")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder to write (default ./reports)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    period = Period.parse(args.period)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store)
        generated = datetime.now(settings.tz)
        end = period.end(settings.tz)
        as_of = min(generated, end - timedelta(microseconds=1))  # the period's end: overdue is counted there
        known = hot.register(open_log(settings)).issues.values()
        issues = hot.issues_in(known, period.start(settings.tz), end, settings.tz)
        data = figures(store, period, args.unit, settings.tz, as_of.astimezone(UTC), Policy.load(),
                       sla_rules.load(), issues)
    finally:
        store.close()
    data["generated"] = generated.strftime("%Y-%m-%d %H:%M %Z")
    data["as_of"] = as_of.strftime("%Y-%m-%d %H:%M %Z")
    if args.json:
        print_json(data)
        return 0
    html_path, pdf_path = report.write(data, args.out, args.lang)
    print(f"wrote {html_path} and {pdf_path}")
    return 0
