"""`plaintrail scores --period P`: fines and points per person (HR), with the evidence behind each."""

from __future__ import annotations

import argparse
import multiprocessing
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from consumers.lifeline import die_with
from consumers.replay import Stores
from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail import hot, sla_rules, workbook
from plaintrail.as_of import parse_moment, read_models
from plaintrail.home import require_record
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections import liabilities, queries, score_memo, scores
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
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--totals", action="store_true", help="each person's sums only (fines, points, positive and "
                       "negative points, rewards, complaints and entries counted): read from the kept scores, fast "
                       "at any scale; the evidence per person with --person")
    shown.add_argument("--person", metavar="ID", help="one person's row with every entry and the events behind it")
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
    if units or as_of is not None:  # the units' SLA verdicts move with the clock; a past record is folded afresh
        return _worked_out(settings, period, policy, units, now, store, as_of)
    key, basis, months = _kept_on(settings, period, policy, store)  # the basis before the answer's reads
    kept = score_memo.read(store, period, key, basis)
    if kept is not None:
        return kept
    rows, corrections = _worked_out(settings, period, policy, units, now, store, as_of)
    score_memo.write(store, period, key, basis, rows, corrections, months)
    return rows, corrections


def _key(settings: Settings, policy: Policy) -> str:
    return score_memo.key(policy, liabilities.rules_key(sla_rules.load(), settings.tz))


def kept_as(settings: Settings, period: Period, policy: Policy, store: ReadModelStore) -> tuple[str, str]:
    """(key, basis) of the period's kept scores under `policy` and the SLA rules in force."""
    key, basis, _ = _kept_on(settings, period, policy, store)
    return key, basis


def _kept_on(settings: Settings, period: Period, policy: Policy, store: ReadModelStore,
             ) -> tuple[str, str, list[str]]:
    """`kept_as`, and the months the answer reads (its basis is theirs)."""
    months = score_memo.months_read(period, policy, settings.tz)
    return _key(settings, policy), score_memo.basis(store, months), months


def totals(settings: Settings, period: Period, policy: Policy, store: ReadModelStore,
           as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Each person's sums (`score_memo.summary`), read from the kept scores: HR's table of a quarter at 1M
    complaints in well under a second. Worked out (and kept) first when missing; as of a past moment, afresh."""
    if as_of is None:
        found = score_memo.totals(store, period, *kept_as(settings, period, policy, store))
        if found is not None:
            return found
    return [score_memo.summary(r) for r in compute(settings, period, policy, store=store, as_of=as_of)[0]]


def evidence(settings: Settings, period: Period, policy: Policy, store: ReadModelStore, person: str,
             as_of: datetime | None = None) -> dict[str, Any]:
    """One person's row with every entry and the events behind it (zero where nothing fell on them)."""
    named = store.query("SELECT name FROM org_people WHERE person = ?", (person,))
    if not named:
        raise LookupError(f"no person {person} in the organisation (plaintrail staff lists them)")
    found = score_memo.one(store, period, *kept_as(settings, period, policy, store), person) if as_of is None else None
    if found is None:
        rows = compute(settings, period, policy, store=store, as_of=as_of)[0]
        found = next((r for r in rows if r["person"] == person), {})
    return found or {"person": person, "name": named[0][0], "fines_cny": "0.00", "points": 0, "entries": [],
                     "corrections": [], "positive_points": 0, "negative_points": 0, "rewards_cny": "0.00",
                     "overturned": []}


def _worked_out(settings: Settings, period: Period, policy: Policy, units: bool, now: datetime | None,
                store: ReadModelStore, as_of: datetime | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    register = hot.register(open_log(settings), as_of)
    with few_collections():
        found, corrections = scores.entries(store, period, policy, settings.tz, now or as_of or datetime.now(UTC),
                                            sla_rules.load(), register.issues.values(), hot.rules().overdue_points,
                                            outlets=units)
        if units:
            return scores.unit_rows(found, store), corrections
        return scores.person_rows(found, corrections, queries.people(store)), corrections


def fill(settings: Settings, store: ReadModelStore, where: Stores | None = None, workers: int = 1) -> int:
    """Work out and keep HR's scores of every quarter in which a complaint was received or validated, under the
    policy and SLA rules in force: the rebuild does this before its version goes live, so the first scores after
    it are read, not worked out. With `where` (the version's stores) and `workers` > 1, quarters are worked out
    side by side in processes of their own. Returns the quarters kept; files that cannot be read leave it to
    the first query, which says what is wrong (a rebuild never fails on them)."""
    try:
        policy = Policy.load(DEFAULT)
        sla_rules.load()
    except Exception:  # noqa: BLE001 - see the docstring
        return 0
    months = store.query("SELECT DISTINCT received_month FROM complaint_facts UNION "
                         "SELECT DISTINCT validated_month FROM complaint_facts WHERE validated_month IS NOT NULL")
    quarters = sorted({f"{m[:4]}Q{(int(m[5:7]) - 1) // 3 + 1}" for m, in months})
    if where is None or workers < 2 or len(quarters) < 2:
        return sum(keep_quarter(settings, store, quarter, policy) for quarter in quarters)
    context = multiprocessing.get_context("spawn")  # no inherited connections or locks
    with context.Pool(min(workers, len(quarters)), initializer=die_with, initargs=(os.getpid(),)) as pool:
        return sum(pool.starmap(_keep_apart, [(settings, where, quarter) for quarter in quarters]))


def keep_quarter(settings: Settings, store: ReadModelStore, quarter: str, policy: Policy) -> bool:
    try:
        compute(settings, Period.parse(quarter), policy, store=store)
    except Exception:  # noqa: BLE001 - left to the first query, which reports it with the complaint at fault
        return False
    return True


def _keep_apart(settings: Settings, where: Stores, quarter: str) -> bool:
    store = where.open_readmodels()
    try:
        return keep_quarter(settings, store, quarter, Policy.load(DEFAULT))
    finally:
        store.close()


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
    if args.totals or args.person:
        return kept_view(args, settings, store, as_of, period)
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


def kept_view(args: argparse.Namespace, settings: Settings, store: ReadModelStore, as_of: datetime | None,
              period: Period) -> int:
    """`--totals` and `--person`: HR's table without the evidence, or one person's evidence."""
    if args.units or args.diff or args.xlsx:
        raise ValueError("--totals and --person go with people's scores, not with --units, --diff or --xlsx")
    policy = Policy.load(args.policy) if args.policy else Policy.load(DEFAULT)
    if args.person:
        row = scores.graded([evidence(settings, period, policy, store, args.person, as_of)], period, policy,
                            settings.tz)[0]
        if args.csv:
            write_csv(flat([row], "person"), args.csv)
        if args.json:
            print_json(row)
        elif args.csv != "-":
            print(f"{row['person']} {row['name']}, {period}: fines {row['fines_cny']} yuan, points {row['points']} "
                  f"({row['positive_points']} / {row['negative_points']}), rewards {row['rewards_cny']} yuan")
            print_table(flat([row], "person"), ["rule", "policy_version", "complaint_id", "amount", "points",
                                                "events"])
        return 0
    rows = scores.graded(totals(settings, period, policy, store, as_of), period, policy, settings.tz)
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        print(f"scores {period} (totals; the evidence of one person: --person ID)")
        print_table(rows, ["person", "name", "fines_cny", "points", "positive_points", "negative_points",
                           "rewards_cny", *(["grade"] if period.months_count == 12 else []), "complaints",
                           "entry_count"])
    return 0
