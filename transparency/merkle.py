"""RFC 9162 (Certificate Transparency 2.0) Merkle tree math: pure, no I/O.

Hashes are SHA-256 with a 0x00 prefix on leaves and 0x01 on interior nodes, so a leaf can never pass
for a node. The tree is kept as its *perfect* subtrees: node (level, index) is the root of leaves
[index * 2**level, (index + 1) * 2**level); level 0 is the leaves. Every subtree hash a proof needs is
a fold of at most log2(n) of them, so a store that keeps them answers a proof in O(log n) reads, and
appending needs only the frontier (the perfect subtrees of the current size, one per set bit).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from uuid import UUID

Node = Callable[[int, int], bytes]  # (level, index) -> the hash of that perfect subtree
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def event_leaf(notification_id: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The leaf input of a stored event (docs/transparency.md): its position, originator and stored bytes."""
    if isinstance(originator_id, UUID):
        originator = originator_id.bytes
    elif len(originator_id) == 32:  # SQLite stores the 32 hex digits: parsed without building a UUID
        originator = bytes.fromhex(originator_id)
    else:
        originator = UUID(originator_id).bytes
    name = topic.encode()
    return b"".join((notification_id.to_bytes(8, "big"), originator, version.to_bytes(8, "big"),
                     len(name).to_bytes(4, "big"), name, state))


def append(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[int, int, bytes]]:
    """Add leaf number `size` to `frontier` (in place); returns the perfect nodes it completed (level >= 1)."""
    node, level, index, done = leaf, 0, size, []
    while index & 1:
        node = node_hash(frontier.pop(), node)
        level, index = level + 1, index >> 1
        done.append((level, index, node))
    frontier.append(node)
    return done


def frontier_nodes(size: int) -> list[tuple[int, int]]:
    """The (level, index) of the perfect subtrees that make up a tree of `size` leaves, largest first."""
    return [(level, (size >> level) - 1) for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]


def root(frontier: Sequence[bytes]) -> bytes:
    """The tree's head (MTH) from its frontier, largest subtree first."""
    if not frontier:
        return EMPTY_ROOT
    head = frontier[-1]
    for left in reversed(frontier[:-1]):
        head = node_hash(left, head)
    return head


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree(start: int, end: int, node: Node) -> bytes:
    """MTH(D[start:end]) from perfect subtrees; for the ranges RFC 9162 proofs use, O(log n) of them."""
    width = end - start
    if width & (width - 1) == 0 and start % width == 0:
        return node(width.bit_length() - 1, start // width)
    k = _split(width)
    return node_hash(subtree(start, start + k, node), subtree(start + k, end, node))


def inclusion_path(index: int, size: int, node: Node, start: int = 0) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 section 2.1.3.1: sibling hashes from the leaf up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    if size == 1:
        return []
    k = _split(size)
    if index < k:
        return [*inclusion_path(index, k, node, start), subtree(start + k, start + size, node)]
    return [*inclusion_path(index - k, size - k, node, start + k), subtree(start, start + k, node)]


def consistency_path(old: int, size: int, node: Node) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 section 2.1.4.1 (empty when m is 0 or m == n)."""
    if not 0 <= old <= size:
        raise ValueError(f"a tree of {size} cannot extend one of {old}")
    return [] if old == 0 else _subproof(old, 0, size, True, node)


def _subproof(m: int, start: int, n: int, whole: bool, node: Node) -> list[bytes]:
    if m == n:
        return [] if whole else [subtree(start, start + n, node)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, start, k, whole, node), subtree(start + k, start + n, node)]
    return [*_subproof(m - k, start + k, n - k, False, node), subtree(start, start + k, node)]


def lookup(nodes: Mapping[tuple[int, int], bytes]) -> Node:
    """A `Node` reading from fetched nodes."""
    return lambda level, index: nodes[(level, index)]


def nodes_needed(prove: Callable[[Node], object]) -> set[tuple[int, int]]:
    """Which perfect nodes a proof reads (its shape does not depend on the hashes): fetch them in one go."""
    wanted: set[tuple[int, int]] = set()

    def record(level: int, index: int) -> bytes:
        wanted.add((level, index))
        return EMPTY_ROOT

    prove(record)
    return wanted


def inclusion_holds(leaf: bytes, index: int, size: int, path: Iterable[bytes], head: bytes) -> bool:
    """RFC 9162 section 2.1.3.2 (the standalone tools/verify_proof.py carries its own copy)."""
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
    return sn == 0 and r == head
