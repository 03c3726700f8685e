"""Where the tree lives: its leaves, its perfect nodes and its signed checkpoints, in SQL tables.

HOME/integrity.sqlite on SQLite, or tables beside the events on PostgreSQL. Appending writes each batch
of leaves with the nodes they complete in one transaction, so a process killed mid-way leaves a whole
prefix that the next run extends; one process extends at a time (`lock`).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from projections.store import SqlStore
from transparency.signing import Checkpoint, KeyRotation

SCHEMA = (  # SQLite: the leaf index is the rowid (no second index)
    """CREATE TABLE IF NOT EXISTS merkle_leaves (leaf_index INTEGER PRIMARY KEY,
        notification_id BIGINT NOT NULL UNIQUE, hash BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS merkle_nodes (level INTEGER NOT NULL, node_index BIGINT NOT NULL,
        hash BLOB NOT NULL, PRIMARY KEY (level, node_index)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS merkle_checkpoints (tree_size BIGINT PRIMARY KEY, root TEXT NOT NULL,
        timestamp TEXT NOT NULL, signature TEXT NOT NULL, public_key TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS merkle_key_rotations (new_public_key TEXT PRIMARY KEY, tree_size BIGINT NOT NULL,
        root TEXT NOT NULL, timestamp TEXT NOT NULL, old_public_key TEXT NOT NULL, signature TEXT NOT NULL)""",
)
PAGE = 10_000
LOCK = "plaintrail.merkle"


class TreeStore(SqlStore):
    """The Merkle tree's tables, with a lock for the one process that extends it."""

    def create(self) -> None:
        for statement in SCHEMA:
            if self.dialect == "postgres":
                statement = statement.replace("BLOB", "BYTEA").replace("WITHOUT ROWID", "") \
                    .replace("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY")
            self.connection.execute(statement)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held while extending: flock beside the SQLite file, an advisory lock on PostgreSQL; both let go by
        the operating system or the server when the process dies."""
        if self.dialect == "postgres":
            self.query("SELECT pg_advisory_lock(hashtext(?))", (LOCK,))
            try:
                yield
            finally:
                self.query("SELECT pg_advisory_unlock(hashtext(?))", (LOCK,))
            return
        with open(f"{self.path}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def head(self) -> tuple[int, int]:
        """(size, notification id of the last leaf); (0, 0) for an empty tree."""
        rows = self.query("SELECT leaf_index, notification_id FROM merkle_leaves ORDER BY leaf_index DESC LIMIT 1")
        return (int(rows[0][0]) + 1, int(rows[0][1])) if rows else (0, 0)

    def nodes(self, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """Perfect nodes by (level, index); level 0 is the leaves."""
        coords = list(wanted)
        found: dict[tuple[int, int], bytes] = {}
        leaves = [index for level, index in coords if level == 0]
        for start in range(0, len(leaves), 500):
            part = leaves[start:start + 500]
            found.update(((0, int(i)), bytes(h)) for i, h in self.query(
                f"SELECT leaf_index, hash FROM merkle_leaves WHERE leaf_index IN ({','.join('?' * len(part))})",
                part))
        inner = [(level, index) for level, index in coords if level > 0]
        for start in range(0, len(inner), 250):
            pairs = inner[start:start + 250]
            found.update(((int(lv), int(i)), bytes(h)) for lv, i, h in self.query(
                "SELECT level, node_index, hash FROM merkle_nodes WHERE "
                + " OR ".join(["(level = ? AND node_index = ?)"] * len(pairs)), [x for pair in pairs for x in pair]))
        return found

    def append(self, leaves: Sequence[tuple[int, int, bytes]], nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Leaves (index, notification id, hash) and the nodes they complete, in one transaction."""
        with self.transaction() as cursor:
            self.executemany(cursor, "INSERT INTO merkle_leaves (leaf_index, notification_id, hash) VALUES (?, ?, ?)",
                             leaves)
            self.executemany(cursor, "INSERT INTO merkle_nodes (level, node_index, hash) VALUES (?, ?, ?)", nodes)

    def leaves(self) -> Iterator[tuple[int, int, bytes]]:
        """Every leaf (index, notification id, hash) by index, a page at a time."""
        after = -1
        while page := self.query("SELECT leaf_index, notification_id, hash FROM merkle_leaves WHERE leaf_index > ? "
                                 "ORDER BY leaf_index LIMIT ?", (after, PAGE)):
            for index, nid, digest in page:
                yield int(index), int(nid), bytes(digest)
            after = int(page[-1][0])

    def leaves_of(self, notification_ids: Sequence[int]) -> dict[int, tuple[int, bytes]]:
        """notification id -> (leaf index, hash), for those in the tree."""
        found: dict[int, tuple[int, bytes]] = {}
        for start in range(0, len(notification_ids), 500):
            part = list(notification_ids[start:start + 500])
            found.update((int(n), (int(i), bytes(h))) for i, n, h in self.query(
                "SELECT leaf_index, notification_id, hash FROM merkle_leaves "
                f"WHERE notification_id IN ({','.join('?' * len(part))})", part))
        return found

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        with self.transaction() as cursor:
            self.execute(cursor, "INSERT INTO merkle_checkpoints (tree_size, root, timestamp, signature, public_key) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
                         (checkpoint.size, checkpoint.root, checkpoint.timestamp, checkpoint.signature,
                          checkpoint.public_key))

    def checkpoints(self, latest_only: bool = False) -> list[Checkpoint]:
        """By size, smallest first (only the largest when `latest_only`)."""
        rows = self.query("SELECT tree_size, root, timestamp, signature, public_key FROM merkle_checkpoints "
                          "ORDER BY tree_size" + (" DESC LIMIT 1" if latest_only else ""))
        return [Checkpoint(int(size), root, at, signature, key) for size, root, at, signature, key in rows]

    def add_rotation(self, rotation: KeyRotation) -> None:
        with self.transaction() as cursor:
            self.execute(cursor, "INSERT INTO merkle_key_rotations (new_public_key, tree_size, root, timestamp, "
                         "old_public_key, signature) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (new_public_key) DO NOTHING",
                         (rotation.new_public_key, rotation.size, rotation.root, rotation.timestamp,
                          rotation.old_public_key, rotation.signature))

    def rotations(self) -> list[KeyRotation]:
        """Every key hand-over, oldest first."""
        rows = self.query("SELECT tree_size, root, timestamp, old_public_key, new_public_key, signature "
                          "FROM merkle_key_rotations ORDER BY timestamp")
        return [KeyRotation(int(size), root, at, old, new, signature) for size, root, at, old, new, signature in rows]

    def latest(self) -> Checkpoint | None:
        found = self.checkpoints(latest_only=True)
        return found[0] if found else None

    def count(self, table: str) -> int:
        return int(self.query(f"SELECT COUNT(*) FROM {table}")[0][0])


