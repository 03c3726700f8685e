"""`plaintrail verify`: every stored row against the tree, the tree against every signed checkpoint.

Leaves are recomputed from the rows as stored and folded into the tree again, so a row changed together
with its leaf and nodes still fails at the first signed root that covered it. Rows outside the
notification sequence (id <= 0, duplicates, an id the tree skipped) and rows the tree does not cover
yet are problems too: the rebuild and the proofs read only what this checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from transparency import merkle
from transparency.events import Row
from transparency.log import TransparencyLog, complaint_of
from transparency.signing import Checkpoint, key_chain

Leaf = tuple[int, int, bytes]


def audit(log: TransparencyLog, gaps_allowed: bool, extra: list[Checkpoint] | None = None,
          progress: bool = False) -> dict[str, Any]:
    """The verify report; `gaps_allowed` on PostgreSQL, whose ids skip a value when a transaction rolls back."""
    store, problems = log.store, Problems()
    checkpoints = store.checkpoints()
    key = log.key.public_hex() if log.key.exists() else None
    rotations = store.rotations()
    signers, unchained = key_chain(key, rotations) if key else ({}, [])
    # a hand-over from today's key whose new key is not in place yet: a rotation killed half-way, which the next
    # `checkpoint --rotate-key` completes; today's key still signs, nothing is broken
    unchained = [r for r in unchained if not (r.old_public_key == key and r.holds())]
    signed = {c.size: c for c in checkpoints}
    handed_over = {r.size: r for r in rotations}
    outside = {c.size: c for c in extra or []}
    leaves: Iterator[Leaf] = store.leaves()
    leaf = next(leaves, None)
    tree_missing = leaf is None
    frontier: list[bytes] = []
    size = checked = beyond = 0
    previous_row: int | None = None
    previous_leaf = 0

    def fold(digest: bytes, current: Leaf) -> None:
        nonlocal size, previous_leaf
        index, nid = current[0], current[1]
        if index != size or nid <= previous_leaf or (not gaps_allowed and nid != previous_leaf + 1):
            problems.add("gap" if nid > previous_leaf + 1 and index == size else "tree out of order", nid)
        merkle.append(frontier, size, digest)
        size, previous_leaf = size + 1, nid
        for found, where in ((signed.get(size), "checkpoint mismatch"), (outside.get(size), "exported checkpoint"),
                             (handed_over.get(size), "key rotation mismatch")):
            if found is not None and found.root != merkle.root(frontier).hex():
                problems.add(where, nid, note=f"the signed root of size {size} is not the tree's")

    for row in tqdm(log.events.rows(), unit="event", disable=not progress, desc="verifying"):
        checked += 1
        nid = row[0]
        if nid <= 0 or nid == previous_row:
            problems.add("outside the sequence" if nid <= 0 else "duplicate", nid, row)
            continue
        previous_row = nid
        while leaf is not None and leaf[1] < nid:  # its row is gone
            problems.add("deleted", leaf[1])
            fold(leaf[2], leaf)
            leaf = next(leaves, None)
        if leaf is not None and leaf[1] == nid:
            digest = merkle.leaf_hash(merkle.event_leaf(*row))
            if digest != leaf[2]:
                problems.add("altered", nid, row)
            fold(digest, leaf)
            leaf = next(leaves, None)
        elif leaf is not None or size and nid < previous_leaf:
            problems.add("inserted", nid, row)
        else:
            beyond += 1
    while leaf is not None:
        problems.add("deleted", leaf[1])
        fold(leaf[2], leaf)
        leaf = next(leaves, None)

    latest = checkpoints[-1] if checkpoints else None
    if key is None:
        problems.first("signing key missing", note=f"{log.key.path} is gone: checkpoints can no longer be signed")
    if checked and tree_missing:
        problems.first("tree missing", note="no Merkle tree over the log: " + (
            "integrity.sqlite or the merkle_* tables are gone" if key or checkpoints else
            "a store from before the tree gets it from `plaintrail checkpoint` once the old chain verifies"))
    if checked and latest is None and not tree_missing:
        problems.add("no checkpoint", None, note="no signed checkpoint of the tree")
    if beyond and not tree_missing:
        problems.add("not covered", None, note=f"{beyond} events are in no tree and no signed checkpoint")
    if latest is not None and latest.size != size:
        problems.add("not covered" if latest.size < size else "checkpoint beyond the tree", None,
                     note=f"the latest checkpoint signs {latest.size} leaves, the tree has {size}")
    for rotation in unchained:
        problems.add("forged key rotation", None, note=f"the hand-over of size {rotation.size} to key "
                     f"{rotation.new_public_key[:16]}… is not signed by a key of the log's chain")
    for checkpoint in checkpoints + (extra or []):
        if (not checkpoint.holds(key)) if key is None else (
                not checkpoint.holds() or checkpoint.size > signers.get(checkpoint.public_key, -1)):
            problems.add("forged checkpoint", None, note=f"the checkpoint of size {checkpoint.size} is not signed "
                         "by the log's key" + (" (or a key it took over from, before the hand-over)" if rotations
                                               else ""))
        elif checkpoint.size > size:
            problems.add("checkpoint beyond the tree", None, note=f"a checkpoint signs {checkpoint.size} leaves")
    wanted = merkle.frontier_nodes(size)
    if size and [store.nodes(wanted).get(node) for node in wanted] != frontier:
        problems.add("tree nodes altered", None, note="the stored nodes do not fold to the recomputed tree")
    return {"ok": not problems.found, "events_checked": checked, "tree_size": size,
            "checkpoints_checked": len(checkpoints) + len(extra or []), "unsealed_events": beyond,
            "signing_key": "present" if key else "missing", "public_key": key, "key_rotations": len(rotations),
            "checkpoint": latest.as_json() if latest else None,
            "first_broken": problems.found[0] if problems.found else None, "problems": problems.found[:20]}


class Problems:
    """What verify found, the first of each kind at each place (a broken root breaks every later one)."""

    def __init__(self) -> None:
        self.found: list[dict[str, Any]] = []
        self._kinds: set[str] = set()

    def add(self, kind: str, nid: int | None, row: Row | None = None, note: str | None = None) -> None:
        if kind in ("checkpoint mismatch", "exported checkpoint", "forged checkpoint", "gap",
                    "tree out of order") and kind in self._kinds:
            return
        self._kinds.add(kind)
        found: dict[str, Any] = {"kind": kind, "notification_id": nid}
        if note:
            found["note"] = note
        if row is not None:
            found.update(event_type=row[3].rsplit(":", 1)[-1], version=row[2], originator_id=str(row[1]),
                         complaint_id=complaint_of(row[4]))
        self.found.append(found)

    def first(self, kind: str, note: str) -> None:
        """A problem that makes every other moot: it leads the list."""
        self.found.insert(0, {"kind": kind, "notification_id": None, "note": note})
        self._kinds.add(kind)
