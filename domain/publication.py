"""Publishing a red/black list (张榜) is an act of record: who posted which list, when, under which policy
version and N, with the rows as posted and a digest of them.

One aggregate per board (period, level and the unit it is drawn within), one `Posted` event per posting:
a board posted again (after a correction, say) keeps every earlier posting in its history. The event holds
the rows, so what was posted can be shown, and compared with the board of today, long after the read
models have moved on; saved through the log, it is in the Merkle tree and its signed checkpoints.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import DomainError

PUBLICATION_NAMESPACE = uuid5(NAMESPACE_URL, "plaintrail:publication")


class NothingToPublish(DomainError):
    """A board without a unit on it: there is no list to post."""


class DigestMismatch(DomainError):
    """The digest given is not that of the rows: what is recorded as posted must be what was posted."""


def board_id(period: str, level: str, within: str | None) -> UUID:
    return uuid5(PUBLICATION_NAMESPACE, f"{period}|{level}|{within or ''}")


def digest(rows: list[dict[str, Any]]) -> str:
    """SHA-256 of the rows as canonical JSON (keys sorted, no spaces, UTF-8): anyone can recompute it."""
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class Publication(Aggregate):
    """The postings of one board, oldest first; the last is what is on the wall now."""

    @staticmethod
    def create_id(period: str, level: str, within: str | None) -> UUID:  # type: ignore[override]
        return board_id(period, level, within)

    @event("Opened")
    def __init__(self, period: str, level: str, within: str | None) -> None:
        self.period, self.level, self.within = period, level, within
        self.postings: list[dict[str, Any]] = []

    def publish(self, published_by: str, published_at: datetime, policy_version: str, size: int, note: str,
                size_asked: str | None, position: int, rows: list[dict[str, Any]], row_digest: str) -> None:
        """Post the board's rows (every unit, as ranked) as of log `position`; refused without rows or with a
        digest not theirs."""
        self.check_publishable(rows, row_digest)
        self.post(published_by=published_by, published_at=published_at, policy_version=policy_version,
                  size=size, note=note, size_asked=size_asked, position=position, rows=rows, digest=row_digest)

    def check_publishable(self, rows: list[dict[str, Any]], row_digest: str) -> None:
        if not rows:
            raise NothingToPublish(f"no {self.level.replace('_', '-')} to rank in {self.period}"
                                   + (f" within {self.within}" if self.within else "") + ": nothing to publish")
        if digest(rows) != row_digest:
            raise DigestMismatch(f"the digest {row_digest} is not that of the rows ({digest(rows)})")

    @event("Posted")
    def post(self, published_by: str, published_at: datetime, policy_version: str, size: int, note: str,
             size_asked: str | None, position: int, rows: list[dict[str, Any]], digest: str) -> None:
        self.postings.append({
            "published_by": published_by, "published_at": published_at, "policy_version": policy_version,
            "size": size, "note": note, "size_asked": size_asked, "position": position, "digest": digest, "rows": rows,
        })

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.postings[-1] if self.postings else None
