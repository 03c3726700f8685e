"""The transparency log: extend the tree over new events, sign checkpoints, prove inclusion and consistency."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from math import inf
from typing import Any
from uuid import UUID

from tqdm import tqdm

from transparency import merkle
from transparency.events import EventTable, Row
from transparency.signing import Checkpoint, KeyRotation, SigningKey, key_chain
from transparency.store import TreeStore

BATCH = 10_000


class TreeProblem(ValueError):
    """The tree or its key cannot be trusted as it is: nothing is extended or signed over it."""


@dataclass
class TransparencyLog:
    store: TreeStore
    events: EventTable
    key: SigningKey
    _threads: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one connection, many threads

    def settle(self, first_build_check: Callable[[], None] | None = None, progress: bool = False) -> Checkpoint | None:
        """Extend the tree over every event not in it yet and sign a checkpoint of it (none while empty).

        A first build over an existing log runs `first_build_check` first (the old hash chain), and its key
        becomes the key only with the first checkpoint. A tree that is gone while its key remains, or a key
        that is gone while a tree or checkpoints remain, is refused, not rebuilt: that would sign whatever the
        database now holds."""
        with self._threads, self.store.lock():
            size, last = self.store.head()
            first = not self.key.exists()
            if first and not self.key.pending.is_file():
                if size or self.store.latest() is not None:
                    raise TreeProblem(f"the signing key {self.key.path} is missing: restore it (a new key would "
                                      "not match the checkpoints auditors hold)")
                if first_build_check is not None and next(self.events.rows(after=0), None) is not None:
                    first_build_check()
            elif not first and size == 0 and next(self.events.rows(after=0), None) is not None:
                raise TreeProblem("the Merkle tree is missing but its signing key remains: restore integrity.sqlite "
                                  "(or the merkle_* tables) from a backup")
            if first:
                self.key.begin()
            size = self._extend(size, last, progress)
            latest = self.store.latest()
            if size == 0:
                return None
            if latest is None or latest.size != size:
                frontier = self.store.nodes(merkle.frontier_nodes(size))
                head = merkle.root([frontier[node] for node in merkle.frontier_nodes(size)])
                latest = self.key.sign(size, head.hex())
                self.store.add_checkpoint(latest)
            if first:
                self.key.commit()
            return latest

    def rotate_key(self) -> KeyRotation:
        """Hand signing over to a new key: the tree is settled and signed by the old key first, which then signs
        its hand-over to the new one (stored beside the checkpoints) before the new key replaces it. A rotation
        killed before that is completed by the next one (the same new key, not a third)."""
        if not self.key.exists():
            raise TreeProblem("no signing key yet: the first `plaintrail checkpoint` makes one")
        latest = self.settle()
        if latest is None:
            raise TreeProblem("nothing recorded yet: there is no key to rotate")
        with self._threads, self.store.lock():
            if self.key.successor.is_file():
                waiting = SigningKey(self.key.successor).public_hex()
                stored = next((r for r in self.store.rotations() if r.new_public_key == waiting), None)
                if stored is not None:  # killed between storing the hand-over and putting the key in place
                    self.key.retire()
                    return stored
            rotation = self.key.hand_over(latest.size, latest.root)
            self.store.add_rotation(rotation)
            self.key.retire()
            return rotation

    def signers(self) -> dict[str, float]:
        """The keys whose checkpoints hold, and up to which tree size (signing.key_chain)."""
        return key_chain(self.key.public_hex(), self.store.rotations())[0] if self.key.exists() else {}

    def _extend(self, size: int, last: int, progress: bool = False) -> int:
        wanted = merkle.frontier_nodes(size)
        stored = self.store.nodes(wanted)
        if len(stored) != len(wanted):
            raise TreeProblem(f"the tree's nodes for its {size} leaves are incomplete")
        frontier = [stored[node] for node in wanted]
        leaves: list[tuple[int, int, bytes]] = []
        nodes: list[tuple[int, int, bytes]] = []
        for row in tqdm(self.events.rows(after=last), unit="event", disable=not progress, desc="extending the tree"):
            leaf = merkle.leaf_hash(merkle.event_leaf(*row))
            nodes.extend(merkle.append(frontier, size, leaf))
            leaves.append((size, row[0], leaf))
            size += 1
            if len(leaves) >= BATCH:
                self.store.append(leaves, nodes)
                leaves, nodes = [], []
        self.store.append(leaves, nodes)
        return size

    # -- proofs ----------------------------------------------------------------------------------

    def prove(self, originator_id: UUID) -> dict[str, Any]:
        """Every stored event of one aggregate, with its leaf and its inclusion proof in the latest checkpoint."""
        checkpoint = self.store.latest()
        if checkpoint is None:
            raise TreeProblem("no checkpoint yet: run `plaintrail checkpoint`")
        rows = self.events.of_originator(originator_id)
        leaves = self.store.leaves_of([row[0] for row in rows])
        covered = [(row, *leaves[row[0]]) for row in rows if row[0] in leaves and leaves[row[0]][0] < checkpoint.size]
        paths = [lambda node, i=index: merkle.inclusion_path(i, checkpoint.size, node) for _, index, _ in covered]
        node = merkle.lookup(self.store.nodes(set().union(*(merkle.nodes_needed(path) for path in paths))))
        return {"checkpoint": checkpoint.as_json(),
                "events": [dict(index=index, leaf_hash=digest.hex(), proof=[h.hex() for h in path(node)], **stored(row))
                           for (row, index, digest), path in zip(covered, paths, strict=True)],
                "not_yet_covered": [row[0] for row in rows if row not in [c[0] for c in covered]]}

    def prove_consistency(self, old: Checkpoint) -> dict[str, Any]:
        """The RFC 9162 proof that the latest checkpoint's tree extends `old`'s unchanged."""
        checkpoint = self.store.latest()
        if checkpoint is None:
            raise TreeProblem("no checkpoint yet: run `plaintrail checkpoint`")
        if old.size > checkpoint.size:
            raise TreeProblem(f"the old checkpoint's size {old.size} is beyond today's tree of {checkpoint.size}")

        def prove(node: merkle.Node) -> list[bytes]:
            return merkle.consistency_path(old.size, checkpoint.size, node)

        wanted = merkle.nodes_needed(prove) | set(merkle.frontier_nodes(old.size))
        nodes = self.store.nodes(wanted)
        ours = merkle.root([nodes[node] for node in merkle.frontier_nodes(old.size)])
        return {"old": old.as_json(), "checkpoint": checkpoint.as_json(),
                "proof": [h.hex() for h in prove(merkle.lookup(nodes))],
                "consistent": ours.hex() == old.root and old.holds()
                and old.size <= (self.signers() or {checkpoint.public_key: inf}).get(old.public_key, -1)}


def included(proof: dict[str, Any]) -> list[bool]:
    """Whether each event of a `prove` document hashes to its leaf and its path leads to the signed root."""
    size, head = proof["checkpoint"]["size"], bytes.fromhex(proof["checkpoint"]["root"])
    return [merkle.leaf_hash(merkle.event_leaf(e["notification_id"], e["originator_id"], e["originator_version"],
                                               e["topic"], base64.b64decode(e["state"]))).hex() == e["leaf_hash"]
            and merkle.inclusion_holds(bytes.fromhex(e["leaf_hash"]), e["index"], size,
                                       [bytes.fromhex(p) for p in e["proof"]], head) for e in proof["events"]]


def stored(row: Row) -> dict[str, Any]:
    """An event as stored, enough for an outsider to recompute its leaf hash (docs/transparency.md)."""
    nid, originator, version, topic, state = row
    return {"notification_id": nid, "originator_id": str(UUID(str(originator))), "originator_version": version,
            "topic": topic, "event_type": topic.rsplit(":", 1)[-1], "state": base64.b64encode(state).decode()}


def complaint_of(state: bytes) -> str | None:
    try:
        found = json.loads(state).get("complaint_id")
        return None if found is None else str(found)
    except (ValueError, AttributeError):
        return None
