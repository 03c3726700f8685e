"""`plaintrail verify` and `plaintrail seal`: prove the record was not altered."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plaintrail import integrity
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections import problems


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = sub.add_parser(
        "verify", help="check the integrity of the whole record (exit 1 if anything was altered)",
        description="Recompute the hash chain over every recorded event and check it against the stored links and "
        "every seal (HMAC with the key in HOME/keys/seal.key). Reports the first broken link with its complaint "
        "and event, and lists the stored events the read models could not fold (a date no fold can place, a "
        "forged row). Exit status 0: intact and all folded; 1: altered, deleted, inserted or reordered events, "
        "a forged seal, or events that could not be folded; 70: internal error.")
    verify.add_argument("--json", action="store_true",
                        help='print {"ok": bool, "events_checked": n, ..., "intact": bool, "fold_problems": [...]}')
    verify.add_argument("--seals", type=Path, help="check against an exported copy of the seals instead")
    verify.set_defaults(func=run_verify)
    seal = sub.add_parser("seal", help="link new events into the hash chain and seal its head",
                          description="Run after imports (import does it itself) or daily from cron.")
    seal.add_argument("--export", type=Path, help="also write every seal to this JSON Lines file for safekeeping")
    seal.add_argument("--json", action="store_true")
    seal.set_defaults(func=run_seal)


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    report = integrity.verify(settings, args.seals, progress=sys.stderr.isatty())
    listed, total = unfolded_events(settings)
    report["intact"] = report["ok"]  # the chain and the seals alone
    report["fold_problems"], report["fold_problems_total"] = listed, total
    report["ok"] = report["intact"] and not total
    if args.json:
        print_json(report)
    elif report["intact"]:
        print(f"intact: {report['events_checked']} events, {report['seals_checked']} seals checked "
              f"({report['unsealed_events']} events recorded since the last seal)")
    else:
        broken = report["first_broken"]
        print(f"ALTERED: {broken['kind']} at event {broken['notification_id']}"
              + (f" ({broken.get('event_type')} of complaint {broken.get('complaint_id')})"
                 if broken.get("event_type") else ""))
        for problem in report["problems"][1:]:
            print(f"  also: {problem['kind']} at event {problem['notification_id']}")
    if total and not args.json:
        print(f"NOT FOLDED: {total} event{'s' if total != 1 else ''} the read models could not place (left out "
              "of every count)" + (f"; the first {len(listed)}:" if total > len(listed) else ":"))
        for p in listed:
            print(f"  event {p['position']} ({p['event_type']} of complaint {p['complaint_id']}): {p['reason']}")
    return 0 if report["ok"] else 1


def unfolded_events(settings: Settings) -> tuple[list[dict[str, object]], int]:
    """The stored events no fold could place (the first 1,000) and how many, once the read models are up to
    date (embedded mode)."""
    catch_up(settings)
    store = open_read_models(settings)
    try:
        return problems.listed(store), problems.count(store)
    finally:
        store.close()


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
