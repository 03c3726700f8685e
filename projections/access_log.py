"""The access log as auditors read it: who viewed or exported what, and when (`Access` events, newest last).

Read straight from the event store, like the timeline: the record itself. The store filters on the event's
topic; it has no index on it, so a read scans the log (a second or two per million events on SQLite).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain.access_log import Access
from domain.application import ComplaintLog
from projections.envelope import Envelope

TOPIC = get_topic(Access.Recorded)  # type: ignore[attr-defined]  # made by the @event decorator
BATCH = 5_000
COLUMNS = ["notification_id", "at", "user", "role", "action", "subject", "detail"]


def entries(log: ComplaintLog, user: str | None = None, since: datetime | None = None,
            action: str | None = None) -> list[dict[str, Any]]:
    """Every access recorded (of `user`, at or after `since`, of `action` or actions starting `action.`)."""
    found: list[dict[str, Any]] = []
    start = 1
    while True:
        notifications = log.recorder.select_notifications(start, BATCH, topics=[TOPIC])
        if not notifications:
            return found
        start = notifications[-1].id + 1
        for n in notifications:
            payload = Envelope.from_notification(n).payload
            at = datetime.fromisoformat(payload["at"])
            if user is not None and payload["user"] != user:
                continue
            if since is not None and at < since:
                continue
            if action is not None and payload["action"] != action and not payload["action"].startswith(
                    f"{action}."):
                continue
            found.append({"notification_id": n.id, "at": at.isoformat(), "user": payload["user"],
                          "role": payload["role"], "action": payload["action"], "subject": payload["subject"],
                          "detail": payload.get("detail") or {}})
