"""`plaintrail hot ...`: hot issues (热点问题) and their remediation ledgers (整改台账)."""

from __future__ import annotations

import argparse
from datetime import date, datetime

from plaintrail import hot
from plaintrail.output import print_json, print_table
from plaintrail.settings import Settings
from plaintrail.wiring import open_log


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("hot", help="hot issues and their remediation ledgers",
                            description="Detect clusters of complaints (policy: plaintrail/policies/hot_issues.toml) "
                            "and run each hot issue's ledger. Every step is an event.")
    actions = parser.add_subparsers(dest="hot_action", metavar="ACTION", required=True)
    detect = actions.add_parser("detect", help="open a hot issue for every threshold crossing not yet covered")
    detect.set_defaults(func=run_detect)
    listing = actions.add_parser("list", help="hot issues with their ledgers")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)
    by_hand = actions.add_parser("open", help="open a hot issue by hand")
    by_hand.add_argument("issue", help="its id, e.g. HI-2024-07")
    by_hand.add_argument("--kind", choices=["category", "outlet", "product"], required=True)
    by_hand.add_argument("--subject", required=True)
    by_hand.add_argument("--executive", required=True, help="the owning executive (包案高管), a person id")
    by_hand.add_argument("--unit", help="the unit that answers for its ledger")
    by_hand.add_argument("--customers", default="", help="comma-separated customer refs (一户一册)")
    by_hand.add_argument("--reason", default="opened by hand")
    by_hand.set_defaults(func=run_open)
    add = actions.add_parser("add-item", help="add a ledger item")
    add.add_argument("issue")
    add.add_argument("item")
    add.add_argument("--title", required=True)
    add.add_argument("--owner", required=True)
    add.add_argument("--due", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    add.add_argument("--unit", help="the unit whose points an overdue item costs")
    add.set_defaults(func=run_add)
    for name, text in (("close-item", "close a ledger item with its evidence"), ("reopen-item", "reopen an item")):
        item = actions.add_parser(name, help=text)
        item.add_argument("issue")
        item.add_argument("item")
        item.add_argument("--evidence" if name == "close-item" else "--reason", required=True)
        item.set_defaults(func=run_item)
    close = actions.add_parser("close", help="close a hot issue (every item must be closed)")
    close.add_argument("issue")
    close.set_defaults(func=run_close)


def run_detect(args: argparse.Namespace, settings: Settings) -> int:
    opened = hot.detect(settings)
    print(f"opened {len(opened)} hot issue(s)" + (": " + ", ".join(opened) if opened else ""))
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = hot.issues(settings)
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["issue_id", "kind", "subject", "opened_at", "executive", "items_open", "items_overdue",
                           "closed_at"])
    return 0


def _change(settings: Settings, change: str, *values: object) -> int:
    log = open_log(settings)
    register = hot.register(log)
    getattr(register, change)(*values)
    log.save(register)
    return 0


def run_open(args: argparse.Namespace, settings: Settings) -> int:
    customers = [c.strip() for c in args.customers.split(",") if c.strip()]
    return _change(settings, "open", args.issue, args.kind, args.subject, datetime.now(settings.tz), args.executive,
                   args.unit, customers, [], args.reason)


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    return _change(settings, "add_item", args.issue, args.item, args.title, args.owner, args.due, args.unit)


def run_item(args: argparse.Namespace, settings: Settings) -> int:
    now = datetime.now(settings.tz)
    if args.hot_action == "close-item":
        return _change(settings, "close_item", args.issue, args.item, now, args.evidence)
    return _change(settings, "reopen_item", args.issue, args.item, now, args.reason)


def run_close(args: argparse.Namespace, settings: Settings) -> int:
    return _change(settings, "close", args.issue, datetime.now(settings.tz))
