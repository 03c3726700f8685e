"""`plaintrail timeline ID [--as-of T] [--at T]`: a complaint's record, as it stands, as it stood when recorded
by T (--as-of), or as much of it as had happened by T (--at)."""

from __future__ import annotations

import argparse
import sys

from plaintrail import sla_rules
from plaintrail.as_of import parse_moment
from plaintrail.home import require_record
from plaintrail.output import print_json, print_table
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.timeline import timeline


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "timeline", help="a complaint's timeline with both times, its state and SLA verdicts",
        description="Show every recorded action of a complaint: when it happened (at) and when it was "
        "recorded (recorded_at). With --as-of, only what had been recorded by then (recording time: what was "
        "known); with --at, only what had happened by then (business time, as recorded now); both may be given.")
    parser.add_argument("complaint_id")
    parser.add_argument("--as-of", help="recording time: ISO 8601 date-time; without an offset, the bank's time zone")
    parser.add_argument("--at", help="business time: what had happened by this ISO 8601 date-time")
    parser.add_argument("--json", action="store_true", help="print as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    as_of = parse_moment(args.as_of, settings) if args.as_of else None
    at = parse_moment(args.at, settings, "--at") if args.at else None
    doc = timeline(open_log(settings), args.complaint_id, settings.tz, as_of=as_of, rules=sla_rules.load(), at=at)
    for forged in doc.get("outside_log", []):  # said on stderr for the table and the JSON alike
        print(f"plaintrail timeline: WARNING: stored event {forged['event_type']} (version {forged['version']}, "
              f"action {forged['action_id']}) lies outside the log at notification id {forged['notification_id']}: "
              "left out; `plaintrail verify` reports it", file=sys.stderr)
    if args.json:
        print_json(doc)
        return 0
    print(f"complaint {doc['complaint_id']}  state: {doc['state']}"
          + (f"  (as recorded by {doc['as_of']})" if doc["as_of"] else "")
          + (f"  (what had happened by {doc['at']})" if doc["at"] else ""))
    rows = [dict(e, correction="annulled by " + e["annulled_by"] if e["annulled_by"] else "") for e in doc["events"]]
    print_table(rows, ["at", "recorded_at", "action", "actor", "action_id", "correction"])
    print()
    if "sla_problem" in doc:  # a stored time no deadline can be counted from (plaintrail verify lists it)
        print(doc["sla_problem"])
    else:
        print_table(doc["sla"], ["regime", "unit", "deadline", "met_at", "verdict"])
    return 0
