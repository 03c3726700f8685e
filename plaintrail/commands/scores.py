"""`plaintrail scores --period P`: fines and points per person (HR), with the evidence behind each."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail import hot, sla_rules, workbook
from plaintrail.as_of import parse_moment, read_models
from plaintrail.home import require_record
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections import queries, scores
from projections.bulk import few_collections
from projections.store import ReadModelStore


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "scores", help="fines and points per person (or per outlet) for a period, with the evidence",
        description="Each person fined for effective complaints validated in the period (head, supervising VP, "
        "president as held when the complaint was received), with every entry's rule, policy version and the "
        "action ids behind it. --policy FILE recomputes under another policy (what-if) without touching anything.")
    parser.add_argument("--period", required=True, help="2024Q1 (quarter), 2024-03 (month), 2024H1 (half-year) or "
                        "2024 (year: the sum of its quarters, each shown beside the total)")
    parser.add_argument("--policy", type=Path, help="what-if: score under this policy file instead")
    parser.add_argument("--diff", action="store_true", help="with --policy: per person, in force vs what-if")
    parser.add_argument("--as-of", metavar="T", help="as the record stood at T (ISO 8601; without an offset, the "
                        "bank's time zone): folded afresh from the events recorded by T, judged at T")
    parser.add_argument("--units", action="store_true", help="outlet points instead of people")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--csv", metavar="FILE", help="write one line per entry to a CSV file ('-' for stdout)")
    parser.add_argument("--xlsx", metavar="FILE", help="write the HR workbook: people, entries with their evidence, "
                        "units and corrections, numbers as numbers")
    parser.set_defaults(func=run)


def compute(settings: Settings, period: Period, policy: Policy, units: bool = False,
            now: datetime | None = None, store: ReadModelStore | None = None, as_of: datetime | None = None,
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows, corrections) for the period under `policy`, from `store` (default: the live read models);
    `as_of`: the hot-issue ledgers and the clock as they stood then (with a store of the record as of then)."""
    if store is None:
        with read_models(settings) as live:
            return compute(settings, period, policy, units, now, live, as_of)
    register = hot.register(open_log(settings), as_of)
    with few_collections():
        found, corrections = scores.entries(store, period, policy, settings.tz, now or as_of or datetime.now(UTC),
                                            sla_rules.load(), register.issues.values(), hot.rules().overdue_points,
                                            outlets=units)
        if units:
            return scores.unit_rows(found, store), corrections
        return scores.person_rows(found, corrections, queries.people(store)), corrections


def flat(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """One line per entry, for a spreadsheet."""
    return [{key: r[key], "name": r["name"], **{k: v for k, v in e.items() if k != "events"},
             "events": " ".join(e["events"])} for r in rows for e in r["entries"]]


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    as_of = parse_moment(args.as_of, settings) if args.as_of else None
    with read_models(settings, as_of) as store:
        return answer(args, settings, store, as_of)


def answer(args: argparse.Namespace, settings: Settings, store: ReadModelStore, as_of: datetime | None) -> int:
    period = Period.parse(args.period)

    def compute_in(period: Period, policy: Policy, units: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return compute(settings, period, policy, units, store=store, as_of=as_of)

    key = "unit" if args.units else "person"
    recorded, corrections = compute_in(period, Policy.load(DEFAULT), args.units)
    recorded = scores.graded(recorded, period, Policy.load(DEFAULT), settings.tz, key)
    rows = recorded
    policy = Policy.load(args.policy) if args.policy else Policy.load(DEFAULT)
    if args.policy:
        rows, corrections = compute_in(period, policy, args.units)
        rows = scores.graded(rows, period, policy, settings.tz, key)
        if args.diff:
            rows = scores.diff(recorded, rows)
    inside = scores.quarters(period) if period.months_count > 3 and not args.diff else []
    if inside:
        rows = scores.with_quarters(rows, {str(q): compute_in(q, policy, args.units)[0] for q in inside}, key)
    if args.csv:
        write_csv(rows if args.diff else flat(rows, key), args.csv)
    if args.xlsx:
        units = None if args.units or args.diff else compute_in(period, policy, True)[0]
        workbook.write(Path(args.xlsx), rows, units, corrections, key)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        graded = ["grade"] if period.months_count == 12 else []
        columns = (["person", "name", "fines_cny", "fines_cny_whatif", "fines_change_cny", "points", "points_whatif",
                    *(["grade", "grade_whatif"] if graded else [])]
                   if args.diff else [key, "name", "points", "positive_points", "negative_points", *graded]
                   if args.units else
                   ["person", "name", "fines_cny", "points", "positive_points", "negative_points", *graded,
                    "complaints"])
        table = [dict(r, complaints=len({e["complaint_id"] for e in r.get("entries", [])}),
                      **{f"{q}": (f"{v['fines_cny']} / {v['points']}" if key == "person" else v["points"])
                         for q, v in r.get("quarters", {}).items()}) for r in rows]
        columns += [str(q) for q in inside]
        print(f"scores {period}" + (f" under {args.policy}" if args.policy else "")
              + (f" as the record stood at {args.as_of}" if args.as_of else "")
              + (" (each quarter: fines / points)" if inside and key == "person" else ""))
        print_table(table, columns)
        if corrections:
            print(f"\ncorrections in {period}:")
            print_table(corrections, ["complaint_id", "annulment", "annulled_action", "annulled", "reason"])
    return 0
