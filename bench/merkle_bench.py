"""Merkle tree benchmark: building the tree over 1M events and one proof, against raw hashing in the same run.

    python -m bench.merkle_bench                 # 1,000,000 synthetic events (~400-byte states)
    python -m bench.merkle_bench --events 50000  # a smoke run

(a) baseline: one raw `hashlib.sha256` over each event's leaf input (the bytes the leaf hashes), the rows made
    the same way as for (b) and (c);
(b) the tree in memory: leaf hashes plus frontier appends (every interior node), no storage;
(c) the tree stored as `plaintrail` stores it (TreeStore on SQLite, 10,000 leaves a transaction, its nodes,
    one signed checkpoint), fed by the same rows: what a first build costs beyond reading the events;
(d) one inclusion proof and one consistency proof from a freshly opened store (median of 25), against one
    indexed point read of a leaf row in the same store.
Memory: the process's own memory (RssAnon) after the build, to show the build streams (frontier, one batch).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from consumers.replay import own_memory_mb
from transparency import merkle
from transparency.events import Row
from transparency.log import TransparencyLog
from transparency.signing import Checkpoint, SigningKey
from transparency.store import TreeStore

TOPIC = "domain.complaint:Complaint.Received"


def rows(count: int) -> Iterator[Row]:
    """Synthetic stored events: ten per complaint, states the size of a real `received`."""
    for i in range(count):
        state = (b'{"timestamp":{"_type_":"datetime_iso","_data_":"2024-03-05T01:12:00.000000+00:00"},'
                 b'"complaint_id":"C-%09d","action_id":"A-%09d","outlet":"O-%05d","channel":"hotline","via":"pboc",'
                 b'"kind":"complaint","category":"cards and payments","customer_ref":"CUST-%08d","personal":{},'
                 b'"at":{"_type_":"datetime_iso","_data_":"2024-03-05T09:12:00+08:00"},"actor":"P-%06d"}'
                 % (i // 10, i, i % 15000, i // 7, i % 9000))
        yield i + 1, uuid.UUID(int=(i // 10) * 7919 + 1), i % 10 + 1, TOPIC, state


@dataclass
class Synthetic:
    count: int

    def rows(self, after: int | None = None) -> Iterator[Row]:
        return (row for row in rows(self.count) if after is None or row[0] > after)


def timed(label: str, seconds: float, base: float, count: int) -> None:
    print(f"{label:<42} {seconds:8.2f} s  {count / seconds:>10,.0f} events/s  x{seconds / base:5.2f} of (a)")


def median_ms(runs: list[float]) -> float:
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.events
    start = time.perf_counter()
    for row in rows(n):
        hashlib.sha256(merkle.event_leaf(*row)).digest()
    base = time.perf_counter() - start
    timed("(a) raw sha256 of each leaf input", base, base, n)

    start = time.perf_counter()
    frontier: list[bytes] = []
    for size, row in enumerate(rows(n)):
        merkle.append(frontier, size, merkle.leaf_hash(merkle.event_leaf(*row)))
    head = merkle.root(frontier)
    timed("(b) tree in memory (leaves + every node)", time.perf_counter() - start, base, n)

    with tempfile.TemporaryDirectory() as work:
        store = TreeStore.sqlite(Path(work) / "integrity.sqlite")
        log = TransparencyLog(store, Synthetic(n), SigningKey(Path(work) / "keys" / "checkpoint.key"))  # type: ignore[arg-type]
        memory = own_memory_mb()
        start = time.perf_counter()
        checkpoint = log.settle()
        built = time.perf_counter() - start
        assert checkpoint is not None and checkpoint.root == head.hex()
        timed("(c) tree stored on SQLite + signed", built, base, n)
        print(f"    own memory {memory:.0f} -> {own_memory_mb():.0f} MB; tree file "
              f"{sum(p.stat().st_size for p in Path(work).glob('integrity.sqlite*')) / 2**20:.0f} MB "
              f"({store.count('merkle_nodes'):,} interior nodes)")
        store.close()

        picks = random.Random(1).sample(range(n), 25)
        inclusion, consistency, point = [], [], []
        for leaf in picks:
            fresh = TreeStore.sqlite(Path(work) / "integrity.sqlite")
            tree = TransparencyLog(fresh, Synthetic(0), log.key)  # type: ignore[arg-type]
            started = time.perf_counter()
            fresh.query("SELECT hash FROM merkle_leaves WHERE leaf_index = ?", (leaf,))
            point.append(time.perf_counter() - started)
            started = time.perf_counter()
            def prove(node: merkle.Node, i: int = leaf) -> list[bytes]:
                return merkle.inclusion_path(i, n, node)

            path = prove(merkle.lookup(fresh.nodes(merkle.nodes_needed(prove))))
            inclusion.append(time.perf_counter() - started)
            leaf_hash = fresh.nodes([(0, leaf)])[(0, leaf)]
            assert merkle.inclusion_holds(leaf_hash, leaf, n, path, head)
            old = Checkpoint(leaf + 1, "", "", "", "")
            started = time.perf_counter()
            tree.prove_consistency(old)
            consistency.append(time.perf_counter() - started)
            fresh.close()
        print(f"(d) inclusion proof {median_ms(inclusion):.2f} ms ({len(path)} hashes), consistency proof "
              f"{median_ms(consistency):.2f} ms; one point read {median_ms(point):.3f} ms: "
              f"x{statistics.median(inclusion) / statistics.median(point):.1f} of a point read")


if __name__ == "__main__":
    main()
