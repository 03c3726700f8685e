"""Who looked at what: each timeline view and each export is an immutable `Access` event.

One small aggregate per access, so concurrent dashboard sessions never contend for a version.
Access events name their subject `subject` (not `complaint_id`), so complaint projections pass them by.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event


class Access(Aggregate):
    @event("Recorded")
    def __init__(self, user: str, role: str, action: str, subject: str, at: datetime, detail: dict[str, Any]) -> None:
        self.user = user
        self.role = role
        self.action = action  # e.g. "timeline.view", "scores.export"
        self.subject = subject
        self.at = at
        self.detail = detail
