"""`plaintrail access-log [--user U] [--since T]`: who viewed or exported what in the dashboard, and when."""

from __future__ import annotations

import argparse
import json

from plaintrail.as_of import parse_moment
from plaintrail.output import print_json, print_table, write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.access_log import COLUMNS, entries


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "access-log", help="who viewed or exported what, and when (the dashboard's access events)",
        description="List the access events: every timeline view, every export (scores, red/black list, "
        "proofs, this log) and every verification made in the dashboard, oldest first, each an immutable event.")
    parser.add_argument("--user", help="only this user's")
    parser.add_argument("--since", metavar="T", help="only from T on (ISO 8601; without an offset, the bank's "
                        "time zone; a date means its start)")
    parser.add_argument("--action", help="only this action (e.g. timeline.view) or kind (e.g. export... : "
                        "`scores` matches scores.export)")
    parser.add_argument("--json", action="store_true", help="print the entries as JSON")
    parser.add_argument("--csv", metavar="FILE", nargs="?", const="-", help="write CSV (to stdout without FILE)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    since = parse_moment(args.since + ("T00:00:00" if len(args.since) == 10 else ""), settings, "--since") \
        if args.since else None
    rows = entries(open_log(settings), args.user, since, args.action)
    if args.csv:
        write_csv([dict(r, detail=json.dumps(r["detail"], ensure_ascii=False, sort_keys=True)) for r in rows],
                  args.csv)
    if args.json:
        print_json(rows)
    elif args.csv != "-":
        print_table([dict(r, detail=json.dumps(r["detail"], ensure_ascii=False, sort_keys=True)) for r in rows],
                    COLUMNS)
        print(f"\n{len(rows)} accesses" + (f" by {args.user}" if args.user else "")
              + (f" since {since.isoformat()}" if since else ""))
    return 0
