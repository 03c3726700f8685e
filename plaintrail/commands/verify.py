"""`plaintrail verify`, `checkpoint` and `prove`: the record's tamper evidence, checkable from outside.

`seal` (the HMAC-sealed hash chain) is superseded by `checkpoint` and kept as its alias.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from domain.complaint import complaint_uuid
from plaintrail.home import has_tree, require_record
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import audit_record, catch_up, open_read_models, open_transparency, settle
from projections import problems
from transparency.log import TreeProblem
from transparency.signing import Checkpoint

VERIFY = """Recompute the leaf of every stored event (docs/transparency.md) and check it against the Merkle tree
(RFC 9162) and the tree against every Ed25519-signed checkpoint. Exit status 0: intact; 1: an event altered,
deleted or inserted, a row outside the notification sequence (id <= 0, a gap, a duplicate), events no
checkpoint covers, the tree, its checkpoints or the signing key missing, a checkpoint that does not hold, or
stored events the read models could not fold (a date no fold can place, a forged row: listed); 70: internal
error."""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    verify = sub.add_parser("verify", help="check the integrity of the whole record (exit 1 if anything was "
                            "altered)", description=VERIFY)
    verify.add_argument("--json", action="store_true", help='print {"ok": bool, "events_checked": n, ..., '
                        '"intact": bool, "fold_problems": [...], "fold_problems_total": n}')
    verify.add_argument("--checkpoint", type=Path, action="append", default=[], metavar="FILE",
                        help="also check a checkpoint exported earlier (plaintrail checkpoint --export): the log "
                        "must still hold the tree it signed (repeatable)")
    verify.add_argument("--seals", type=Path, help="also check an exported copy of the old HMAC seals (superseded "
                        "by checkpoints; for copies taken before the upgrade)")
    verify.set_defaults(func=run_verify)
    checkpoint = sub.add_parser(
        "checkpoint", help="extend the Merkle tree over new events and print its latest signed checkpoint",
        description="Every command that records events does this itself; run it to get the checkpoint (size, "
        "root, time, Ed25519 signature, public key) and keep a copy elsewhere: `prove --consistency` and "
        "`verify --checkpoint` show later that the log still extends it unchanged.")
    checkpoint.add_argument("--export", type=Path, metavar="FILE", help="write the checkpoint as JSON to FILE")
    checkpoint.add_argument("--json", action="store_true")
    checkpoint.add_argument("--rotate-key", action="store_true",
                            help="hand signing over to a new key: the old key signs the tree as it stands and the "
                            "hand-over to the new one, which signs from then on; old checkpoints stay verifiable. "
                            "Give auditors the new public key (printed)")
    checkpoint.set_defaults(func=run_checkpoint)
    seal = sub.add_parser("seal", help="superseded by `checkpoint` (kept as its alias)",
                          description="The HMAC seals are superseded by signed checkpoints: this runs "
                          "`plaintrail checkpoint`. `verify --seals` still checks seals exported earlier.")
    seal.add_argument("--export", type=Path, metavar="FILE", help="write the checkpoint as JSON to FILE")
    seal.add_argument("--json", action="store_true")
    seal.set_defaults(func=run_checkpoint)
    prove = sub.add_parser(
        "prove", help="inclusion proofs of a complaint's events, or the consistency of an old checkpoint",
        description="With COMPLAINT_ID: each of its stored events, its leaf hash and its RFC 9162 inclusion "
        "proof in the latest signed checkpoint. With --consistency OLD.json: the proof that today's tree "
        "extends the old checkpoint's unchanged (exit 1 if it does not). Check either with "
        "tools/verify_proof.py and the public key alone.")
    prove.add_argument("complaint_id", nargs="?")
    prove.add_argument("--consistency", type=Path, metavar="OLD.json", help="a checkpoint exported earlier")
    prove.add_argument("--json", action="store_true")
    prove.set_defaults(func=run_prove)


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    if not has_tree(settings):
        require_record(settings)  # neither events nor a tree: the wrong --home, most often (exit 2, said so)
    report = audit_record(settings, args.seals, [read_checkpoint(path) for path in args.checkpoint],
                          progress=sys.stderr.isatty())
    listed, total = unfolded_events(settings)
    report["intact"] = report["ok"]  # the record alone: tree, checkpoints (and seals given)
    report["fold_problems"], report["fold_problems_total"] = listed, total
    report["ok"] = report["intact"] and not total
    if args.json:
        print_json(report)
    elif report["intact"]:
        latest = report["checkpoint"]["size"] if report["checkpoint"] else 0
        print(f"intact: {report['events_checked']} events in the Merkle tree, {report['checkpoints_checked']} "
              f"signed checkpoints checked (latest: size {latest})")
    else:
        for n, problem in enumerate(report["problems"]):
            where = f" at event {problem['notification_id']}" if problem["notification_id"] is not None else ""
            what = f" ({problem['event_type']} of complaint {problem.get('complaint_id')})" \
                if problem.get("event_type") else ""
            note = f": {problem['note']}" if problem.get("note") else ""
            print(f"{'ALTERED' if n == 0 else '  also'}: {problem['kind']}{where}{what}{note}")
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


def run_checkpoint(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "rotate_key", False):
        return rotate_key(args, settings)
    checkpoint = settle(settings, progress=sys.stderr.isatty())
    if checkpoint is None:
        raise TreeProblem("nothing recorded yet: no checkpoint to sign")
    doc = checkpoint.as_json()
    if args.export:
        args.export.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print_json(doc)
    else:
        print(f"checkpoint: {doc['size']} events, root {doc['root']}, signed {doc['timestamp']}\n"
              f"public key: {doc['public_key']}" + (f"\nwritten to {args.export}" if args.export else ""))
    return 0


def rotate_key(args: argparse.Namespace, settings: Settings) -> int:
    tree = open_transparency(settings)
    try:
        rotation = tree.rotate_key().as_json()
    finally:
        tree.store.close()
    if args.export:
        args.export.write_text(json.dumps(rotation, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print_json(rotation)
    else:
        print(f"key rotated at {rotation['size']} events (root {rotation['root']})\n"
              f"old public key: {rotation['old_public_key']}\nnew public key: {rotation['new_public_key']}\n"
              "the old key signed the hand-over; give auditors the new public key"
              + (f"\nwritten to {args.export}" if args.export else ""))
    return 0


def run_prove(args: argparse.Namespace, settings: Settings) -> int:
    if (args.complaint_id is None) == (args.consistency is None):
        raise ValueError("give a COMPLAINT_ID or --consistency OLD.json (one of them)")
    tree = open_transparency(settings)
    try:
        if args.consistency is not None:
            doc = tree.prove_consistency(read_checkpoint(args.consistency))
        else:
            doc = {"complaint_id": args.complaint_id, **tree.prove(complaint_uuid(args.complaint_id))}
            if not doc["events"] and not doc["not_yet_covered"]:
                raise LookupError(f"no complaint {args.complaint_id}")
    finally:
        tree.store.close()
    if args.json:
        print_json(doc)
    else:
        print_summary(doc)
    return 1 if doc.get("consistent") is False else 0


def print_summary(doc: dict[str, Any]) -> None:
    size = doc["checkpoint"]["size"]
    if "old" in doc:
        print(f"the tree of {size} events {'extends' if doc['consistent'] else 'DOES NOT extend'} the old "
              f"checkpoint of {doc['old']['size']} ({len(doc['proof'])} hashes in the proof)")
        return
    for event in doc["events"]:
        print(f"leaf {event['index']}: {event['event_type']} (event {event['notification_id']}), "
              f"{len(event['proof'])} hashes to the root of {size}")
    if doc["not_yet_covered"]:
        print(f"not in a checkpoint yet: events {doc['not_yet_covered']}")


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Checkpoint.from_json(doc.get("checkpoint", doc))  # a checkpoint, or a proof that holds one
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"{path} is not a checkpoint: {error!r}") from error
