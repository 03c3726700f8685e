"""Appeals against assessment entries, as the SLA watch lists them: each with its own deadline (policy)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from domain import assessment
from domain.periods import Period
from domain.policy import Policy
from projections import queries
from projections.store import ReadModelStore


def watch(store: ReadModelStore, policy: Policy, tz: tzinfo, now: datetime, period: Period | None = None,
          ) -> list[dict[str, Any]]:
    """Every standing appeal (filed in `period`, when given): due date, decision, on time or not."""
    chart = queries.org_chart(store)
    start, end = (period.start(tz), period.end(tz)) if period else (None, None)
    rows = [assessment.appeal_row(a, chart, policy, tz, now) for facts in queries.assessed_facts(store)
            for a in assessment.appeals_of(facts)
            if start is None or end is None or start <= a.filed_at < end]
    return sorted(rows, key=lambda r: (r["due"] or "", r["complaint_id"], r["appeal_id"]))
