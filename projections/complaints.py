"""Complaint read models: one `complaint_facts` row per complaint and the indicators per outlet
and period (month, quarter, year).

The indicators are kept as sums, moved by the difference between a complaint's contribution before
and after each batch. A contribution depends only on that complaint's own facts, so the sums come
out the same in any interleaving of different complaints (Kafka partitions reorder them freely).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from functools import lru_cache
from typing import Any

import orjson

from domain.facts import ASSESSED, ComplaintFacts

Key = tuple[str, str]  # (outlet, YYYY-MM of receipt in the bank's time zone)
Counts = tuple[int, int, int, int]  # work_orders, complaints, regulator_transferred, effective


@lru_cache(maxsize=65_536)
def month(moment: Any, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.year:04d}-{local.month:02d}"


def contribution(facts: ComplaintFacts, tz: tzinfo) -> tuple[Key, Counts]:
    """What one complaint adds to its outlet's month (the month it was received)."""
    complaint = facts.is_complaint
    return (facts.outlet, month(facts.received_at, tz)), (
        1, int(complaint), int(facts.regulator_transferred), int(complaint and facts.effective is True))


def facts_row(facts: ComplaintFacts, tz: tzinfo) -> tuple[Any, ...]:
    standing = facts.standing_validation
    validated = standing[1]["at"] if standing else None
    effective = facts.effective
    return (
        facts.complaint_id, facts.outlet, facts.received_at.astimezone(UTC).isoformat(),
        month(facts.received_at, tz), facts.kind, facts.via, facts.state,
        None if effective is None else int(effective),
        validated.astimezone(UTC).isoformat() if validated else None,
        month(validated, tz) if validated else None,
        sum(1 for h in facts.history.values() if h["action"] == "annulled"),
        sum(1 for h in facts.history.values() if h["action"] in ASSESSED),
        orjson.dumps(facts.to_json(), option=orjson.OPT_SORT_KEYS).decode(), facts.version,
    )


UPSERT_FACTS = """INSERT INTO complaint_facts (complaint_id, outlet, received_at, received_month, kind, via, state,
    effective, validated_at, validated_month, annulments, assessed, facts, version)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (complaint_id) DO UPDATE SET outlet = excluded.outlet, received_at = excluded.received_at,
    received_month = excluded.received_month, kind = excluded.kind, via = excluded.via, state = excluded.state,
    effective = excluded.effective, validated_at = excluded.validated_at,
    validated_month = excluded.validated_month, annulments = excluded.annulments, assessed = excluded.assessed,
    facts = excluded.facts,
    version = excluded.version"""

ADD_INDICATORS = """INSERT INTO indicators (unit, period, work_orders, complaints, regulator_transferred,
    effective) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (period, unit) DO UPDATE SET
    work_orders = indicators.work_orders + excluded.work_orders,
    complaints = indicators.complaints + excluded.complaints,
    regulator_transferred = indicators.regulator_transferred + excluded.regulator_transferred,
    effective = indicators.effective + excluded.effective"""


class IndicatorDeltas:
    """Net change of the monthly sums over one batch."""

    def __init__(self) -> None:
        self.sums: dict[Key, list[int]] = {}

    def add(self, key: Key, counts: Counts, sign: int) -> None:
        current = self.sums.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate(counts):
            current[i] += sign * value

    def merge(self, sums: dict[Key, list[int]]) -> None:
        """Add another range's sums (a rebuild's processes each keep their own)."""
        for key, counts in sums.items():
            current = self.sums.setdefault(key, [0, 0, 0, 0])
            for i, value in enumerate(counts):
                current[i] += value

    def rows(self) -> list[tuple[Any, ...]]:
        """Each month's change, and the same change to its quarter and its year."""
        total: dict[Key, list[int]] = {}
        for (unit, month_key), values in self.sums.items():
            year, number = month_key[:4], int(month_key[5:])
            for period in (month_key, f"{year}Q{(number + 2) // 3}", year):
                current = total.setdefault((unit, period), [0, 0, 0, 0])
                for i, value in enumerate(values):
                    current[i] += value
        return [(*key, *values) for key, values in sorted(total.items()) if any(values)]
