#!/usr/bin/env python3
"""Check a plaintrail proof with nothing but the public key: standard library plus `cryptography`.

    python tools/verify_proof.py PROOF.json [--public-key HEX_OR_BASE64_OR_FILE] [--rotation HANDOVER.json ...]

PROOF.json is the output of `plaintrail prove COMPLAINT_ID --json` (inclusion: each event's leaf is in the
signed tree) or of `plaintrail prove --consistency OLD.json --json` (the signed tree extends the old one
unchanged). Without --public-key the key inside the proof is used (pin the key you were given instead: a
forger can sign with a key of his own). Exit status 0: the proof holds; 1: it does not; 2: unreadable.
The leaf hash, the checkpoint's signed text and the algorithms (RFC 9162) are in docs/transparency.md.
This file imports nothing of plaintrail, on purpose: an auditor can read all of it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf_hash(event: dict[str, Any]) -> bytes:
    """SHA-256(0x00 || id (8 bytes) || originator UUID (16) || version (8) || len(topic) (4) || topic || state)."""
    topic = event["topic"].encode()
    data = b"".join((int(event["notification_id"]).to_bytes(8, "big"), UUID(event["originator_id"]).bytes,
                     int(event["originator_version"]).to_bytes(8, "big"), len(topic).to_bytes(4, "big"), topic,
                     base64.b64decode(event["state"], validate=True)))
    return hashlib.sha256(b"\x00" + data).digest()


def signed_text(checkpoint: dict[str, Any]) -> bytes:
    return f"plaintrail checkpoint\n{int(checkpoint['size'])}\n{checkpoint['root']}\n{checkpoint['timestamp']}\n" \
        .encode()


def public_key(text: str) -> bytes:
    text = text.strip()
    if Path(text).is_file():
        text = Path(text).read_text(encoding="utf-8").strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return raw


def signature_holds(checkpoint: dict[str, Any], key: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(base64.b64decode(checkpoint["signature"], validate=True),
                                                       signed_text(checkpoint))
        return True
    except (InvalidSignature, ValueError, binascii.Error):
        return False


def inclusion_holds(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_holds(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 section 2.1.4.2 (an empty old tree is extended by every tree)."""
    if first == 0:
        return not path
    if first > second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first & (first - 1) == 0:
        path = [first_root, *path]
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root


def rotation_text(rotation: dict[str, Any]) -> bytes:
    return (f"plaintrail key rotation\n{int(rotation['size'])}\n{rotation['root']}\n{rotation['timestamp']}\n"
            f"{rotation['new_public_key']}\n").encode()


def signers(pinned: bytes, rotations: list[dict[str, Any]], failures: list[str]) -> dict[bytes, float]:
    """The keys trusted from the pinned one on, each retired key up to the size of its hand-over: a hand-over
    (`plaintrail checkpoint --rotate-key --json`) counts when a key already trusted signed it."""
    trusted: dict[bytes, float] = {pinned: float("inf")}
    for rotation in sorted(rotations, key=lambda r: int(r["size"])):
        old, new = public_key(rotation["old_public_key"]), public_key(rotation["new_public_key"])
        try:
            Ed25519PublicKey.from_public_bytes(old).verify(base64.b64decode(rotation["signature"], validate=True),
                                                           rotation_text(rotation))
            holds = old in trusted
        except (InvalidSignature, ValueError, binascii.Error):
            holds = False
        if not holds:
            failures.append(f"the hand-over of size {rotation['size']} is not signed by a key you trust")
            continue
        trusted[old] = min(trusted[old], int(rotation["size"]))
        trusted.setdefault(new, float("inf"))
    return trusted


def check(proof: dict[str, Any], pinned: bytes | None, rotations: list[dict[str, Any]] | None = None) -> list[str]:
    """Every reason the proof fails; empty when it holds."""
    failures: list[str] = []
    trusted = signers(pinned, rotations or [], failures) if pinned else {}

    def signer(signed: dict[str, Any], what: str) -> bytes:
        named = public_key(signed.get("public_key", proof["checkpoint"]["public_key"]))
        if pinned and named not in trusted:
            failures.append(f"the {what} names another public key than the one given")
            return pinned
        if pinned and int(signed["size"]) > trusted[named]:
            failures.append(f"the {what} of size {signed['size']} is signed by a key retired before it")
        return named

    checkpoint = proof["checkpoint"]
    key = signer(checkpoint, "checkpoint")
    if not signature_holds(checkpoint, key):
        failures.append(f"the signature of the checkpoint of size {checkpoint['size']} does not hold")
    size, root = int(checkpoint["size"]), bytes.fromhex(checkpoint["root"])
    for event in proof.get("events", []):
        leaf = bytes.fromhex(event["leaf_hash"])
        if "state" in event and event_leaf_hash(event) != leaf:
            failures.append(f"leaf {event['index']}: the event's stored bytes do not hash to its leaf_hash")
        if not inclusion_holds(leaf, int(event["index"]), size, [bytes.fromhex(p) for p in event["proof"]], root):
            failures.append(f"leaf {event['index']}: not included in the checkpoint of size {size}")
    if "old" in proof:
        old = proof["old"]
        if not signature_holds(old, signer(old, "old checkpoint")):
            failures.append(f"the signature of the old checkpoint of size {old['size']} does not hold")
        if not consistency_holds(int(old["size"]), size, bytes.fromhex(old["root"]), root,
                                 [bytes.fromhex(p) for p in proof["proof"]]):
            failures.append(f"the checkpoint of size {size} does not extend the old one of size {old['size']}")
    elif "events" not in proof:
        failures.append("neither events nor an old checkpoint: nothing to check")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("proof", help="the JSON of plaintrail prove (- for standard input)")
    parser.add_argument("--public-key", help="the log's Ed25519 public key: hex, base64, or a file holding it")
    parser.add_argument("--rotation", action="append", default=[], metavar="FILE",
                        help="a key hand-over (plaintrail checkpoint --rotate-key --export FILE): with --public-key "
                        "the old key, the new key it signed over to is trusted too (the old one only up to then)")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.proof == "-" else Path(args.proof).read_text(encoding="utf-8")
        proof = json.loads(text)
        rotations = [json.loads(Path(path).read_text(encoding="utf-8")) for path in args.rotation]
        failures = check(proof, public_key(args.public_key) if args.public_key else None, rotations)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as error:
        print(f"verify_proof: cannot read the proof: {error!r}", file=sys.stderr)
        return 2
    for failure in failures:
        print(f"REJECTED: {failure}")
    if not failures:
        what = f"{len(proof.get('events', []))} events included" if "events" in proof else \
            f"size {proof['old']['size']} extended unchanged"
        print(f"OK: {what} in the signed checkpoint of size {proof['checkpoint']['size']}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
