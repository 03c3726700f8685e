"""Fold problems: stored events the read side could not place, recorded instead of stopping it.

The events are the truth and nothing edits them, so an event that no fold can place (written before
dates were checked, or straight into the store around every check) would stop every fold that meets
it, for good. Each fold reports it here, in the transaction of the batch it came in, and goes on:
`plaintrail verify` lists them, `import` and `rebuild` say how many there are.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from projections.envelope import Envelope
from projections.store import ReadModelStore

INSERT = """INSERT INTO fold_problems (originator_id, version, position, complaint_id, event_type, reason)
    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (originator_id, version) DO NOTHING"""
REASON_LENGTH = 500

Problem = tuple[str, int, int, str | None, str, str]  # the INSERT's parameters


def problem(originator_id: Any, version: int, position: int, complaint_id: Any, event_type: str,
            error: BaseException | str) -> Problem:
    """One row: where the event is, whose it is, and why it could not be folded."""
    reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    try:  # as envelopes spell it, whatever the backend returned
        originator = str(originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id)))
    except ValueError:
        originator = str(originator_id)
    return (originator, int(version), int(position), None if complaint_id is None else str(complaint_id),
            event_type, reason[:REASON_LENGTH])


def unreadable(error: BaseException) -> str:
    """The reason for a stored state that does not even decode (a damaged or forged row)."""
    return f"cannot read the stored event: {type(error).__name__}: {error}"


def of_envelope(envelope: Envelope, error: BaseException | str) -> Problem:
    return problem(envelope.originator_id, envelope.version, envelope.notification_id, envelope.complaint_id,
                   envelope.event_type, error)


def listed(store: ReadModelStore, limit: int = 1000) -> list[dict[str, Any]]:
    """The problems in log order: position, complaint, originator, version, event type, reason."""
    rows = store.query("SELECT position, complaint_id, originator_id, version, event_type, reason "
                       "FROM fold_problems ORDER BY position, originator_id, version LIMIT ?", (limit,))
    return [{"position": p, "complaint_id": c, "originator_id": o, "version": v, "event_type": t, "reason": r}
            for p, c, o, v, t, r in rows]


def count(store: ReadModelStore) -> int:
    return int(store.query("SELECT COUNT(*) FROM fold_problems")[0][0])
