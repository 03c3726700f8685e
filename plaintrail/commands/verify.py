"""`plaintrail verify` and `plaintrail seal`: prove the record was not altered."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plaintrail import integrity
from plaintrail.output import print_json
from plaintrail.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = sub.add_parser(
        "verify", help="check the integrity of the whole record (exit 1 if anything was altered)",
        description="Recompute the hash chain over every recorded event and check it against the stored links and "
        "every seal (HMAC with the key in HOME/keys/seal.key). Reports the first broken link with its complaint "
        "and event. Exit status 0: intact; 1: altered, deleted, inserted or reordered events, or a forged seal.")
    verify.add_argument("--json", action="store_true", help='print {"ok": bool, "events_checked": n, ...}')
    verify.add_argument("--seals", type=Path, help="check against an exported copy of the seals instead")
    verify.set_defaults(func=run_verify)
    seal = sub.add_parser("seal", help="link new events into the hash chain and seal its head",
                          description="Run after imports (import does it itself) or daily from cron.")
    seal.add_argument("--export", type=Path, help="also write every seal to this JSON Lines file for safekeeping")
    seal.add_argument("--json", action="store_true")
    seal.set_defaults(func=run_seal)


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    report = integrity.verify(settings, args.seals, progress=sys.stderr.isatty())
    if args.json:
        print_json(report)
    elif report["ok"]:
        print(f"intact: {report['events_checked']} events, {report['seals_checked']} seals checked "
              f"({report['unsealed_events']} events recorded since the last seal)")
    else:
        broken = report["first_broken"]
        print(f"ALTERED: {broken['kind']} at event {broken['notification_id']}"
              + (f" ({broken.get('event_type')} of complaint {broken.get('complaint_id')})"
                 if broken.get("event_type") else ""))
        for problem in report["problems"][1:]:
            print(f"  also: {problem['kind']} at event {problem['notification_id']}")
    return 0 if report["ok"] else 1


def run_seal(args: argparse.Namespace, settings: Settings) -> int:
    result = integrity.seal(settings, progress=sys.stderr.isatty())
    if args.export:
        result["exported"] = integrity.export_seals(settings, args.export)
    if args.json:
        print_json(result)
    else:
        print(f"sealed up to event {result.get('notification_id')} ({result['linked']} newly linked)"
              if result["sealed"] else f"not sealed: {result['reason']}")
    return 0
