"""`plaintrail leaderboard --period P --level L`: the red/black list (红黑榜) with the change since before."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from domain.periods import Period
from domain.policy import DEFAULT, ListSize, Policy
from plaintrail import publication
from plaintrail.as_of import parse_moment, read_models
from plaintrail.home import require_record
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import open_read_models
from projections import board_memo, queries
from projections.leaderboard import LEVELS, Lists, ranked
from projections.store import ReadModelStore

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
    parser.add_argument("--as-of", metavar="T", help="the board as the record stood at T (ISO 8601; without an "
                        "offset, the bank's time zone): folded afresh from the events recorded by T")
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--published", action="store_true", help="the list as last posted (plaintrail publish): "
                       "who, when, the policy version, N, the digest and the rows")
    shown.add_argument("--diff-published", action="store_true", help="what changed since the last posting: each "
                       "unit whose place, list or counts moved, and the events recorded since that moved it")
    parser.add_argument("--all", action="store_true", help="the table shows every unit, not only the lists")
    parser.add_argument("--json", action="store_true", help="print the rows (every unit) as JSON")
    parser.add_argument("--csv", metavar="FILE", help="also write the rows (every unit) to a CSV file ('-' for stdout)")
    parser.set_defaults(func=run)


def compared_with(period: Period, how: str) -> Period:
    return period.previous if how == "previous" else Period(period.year - 1, period.first_month, period.months_count)


def leaderboard(settings: Settings, period: Period, level: str, size: str | int | None = None,
                compare: str = "previous", within: str | None = None, policy: Policy | None = None,
                as_of: datetime | None = None) -> list[dict[str, Any]]:
    """Every unit's row (or every unit under `within`), its lists drawn on the policy's terms for the period;
    with `as_of`, from the events recorded by then."""
    if size is not None:
        ListSize.parse(size)  # a bad --size is refused before anything is read
    lists = Lists.of(policy or Policy.load(DEFAULT), period, level, size)
    with read_models(settings, as_of) as store:
        return board(store, period, level, lists, compare, within, keep=as_of is None)


def board(store: ReadModelStore, period: Period, level: str, lists: Lists, compare: str = "previous",
          within: str | None = None, keep: bool = True) -> list[dict[str, Any]]:
    """The rows; the bank-wide board from its kept order (`keep`: the live read models), a unit's own board
    ranked afresh among its units."""
    against = compared_with(period, compare)
    if within is None and keep:
        return board_memo.rows(store, period, level, against, lists)
    inside = queries.units_under(store, within, level) if within else None
    return ranked(queries.ranked_lines(store, period, level, against), lists, level, inside)


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    period = Period.parse(args.period)
    policy = Policy.load(args.policy) if args.policy else None
    if args.published or args.diff_published:
        if args.as_of:
            raise ValueError("--as-of goes with the board, not with --published or --diff-published (a posting "
                             "is already the board as it stood when it was published)")
        return posted(args, period, settings)
    as_of = parse_moment(args.as_of, settings) if args.as_of else None
    rows = leaderboard(settings, period, args.level, args.size, args.compare, args.within, policy, as_of)
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        table(rows, args, period, settings)
    return 0


def posted(args: argparse.Namespace, period: Period, settings: Settings) -> int:
    """`--published` and `--diff-published`."""
    if args.diff_published:
        doc = publication.changes_since(settings, period, args.level, args.within,
                                        Policy.load(args.policy) if args.policy else None)
        if args.json:
            print_json(doc)
            return 0
        shown = doc["publication"]
        print(f"since posting {shown['publication']} of the {args.level.replace('_', '-')} list of {period} "
              f"(by {shown['published_by']} at {shown['published_at']}, digest {shown['digest'][:23]}...):")
        if not doc["changed"]:
            print("nothing changed")
        for row in doc["changed"]:
            moved = ", ".join(f"{k} {v['then']} -> {v['now']}" for k, v in row["changes"].items())
            print(f"  {row['unit']} {row['name'] or ''}: {moved}"
                  + (f"  (events: {', '.join(map(str, row['events']))})" if row["events"] else ""))
        if doc["events"]:
            print("\nevents recorded since the posting:")
            print_table([dict(e, units=" ".join(e["units"])) for e in doc["events"]],
                        ["notification_id", "recorded_at", "event_type", "complaint_id", "action_id",
                         "target_action_id", "units"])
        return 0
    doc = publication.published(settings, period, args.level, args.within)
    if args.json:
        print_json(doc)
    elif args.csv:
        write_csv(doc["rows"], args.csv)
    if not args.json and args.csv != "-":
        print(f"posting {doc['publication']} of {doc['postings']}: the {args.level.replace('_', '-')} list of "
              f"{period} as published by {doc['published_by']} at {doc['published_at']}, policy "
              f"{doc['policy_version']}, N = {doc['size']}")
        print(f"digest {doc['digest']} ({'holds' if doc['digest_holds'] else 'DOES NOT HOLD'} for the rows below)")
        print(doc["note"])
        rows = doc["rows"] if args.all else [r for r in doc["rows"] if r["list"]]
        print_table(rows, [c for c in publication.POSTED if c not in ("tied_with", "ranked_on")])
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
    print(f"red/black list  {args.level}  {period}{where}  (compared with {compared_with(period, args.compare)})"
          + (f"  as the record stood at {args.as_of}" if args.as_of else ""))
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
