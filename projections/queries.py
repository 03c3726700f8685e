"""The questions the CLI and the dashboard ask of the read models."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import orjson

from domain.facts import ComplaintFacts
from domain.orgchart import OrgChart
from domain.periods import Period
from projections.store import ReadModelStore


def org_chart(store: ReadModelStore) -> OrgChart:
    units = {unit: {"unit": unit, "name": name, "kind": kind, "parent": parent, "customers": customers}
             for unit, name, kind, parent, customers in store.query(
                 "SELECT unit, name, kind, parent, customers FROM org_units")}
    roles = {key: {"person": person, "role": role, "unit": unit, "start": date.fromisoformat(start),
                   "end": date.fromisoformat(end) if end else None}
             for key, person, role, unit, start, end in store.query(
                 'SELECT key, person, role, unit, start, "end" FROM org_roles')}
    return OrgChart(units, roles)


def people(store: ReadModelStore) -> dict[str, str]:
    return dict(store.query("SELECT person, name FROM org_people"))  # type: ignore[arg-type]


def outlets(store: ReadModelStore) -> list[dict[str, Any]]:
    return [{"unit": u, "name": n, "parent": p, "customers": c} for u, n, p, c in store.query(
        "SELECT unit, name, parent, customers FROM org_units WHERE kind = 'outlet' ORDER BY unit")]


def _facts(store: ReadModelStore, where: str, params: list[Any]) -> Iterator[ComplaintFacts]:
    for (text,) in store.query(f"SELECT facts FROM complaint_facts WHERE {where} ORDER BY complaint_id", params):
        yield ComplaintFacts.from_json(orjson.loads(text))


def _in_months(column: str, period: Period) -> tuple[str, list[Any]]:
    return f"{column} IN ({', '.join('?' * len(period.months))})", list(period.months)


def facts_validated_in(store: ReadModelStore, period: Period) -> Iterator[ComplaintFacts]:
    """Complaints whose standing validation happened in the period (where fines fall)."""
    return _facts(store, *_in_months("validated_month", period))


def facts_received_in(store: ReadModelStore, period: Period) -> Iterator[ComplaintFacts]:
    """Complaints received in the period (where indicators count)."""
    return _facts(store, *_in_months("received_month", period))


def facts_of(store: ReadModelStore, complaint_ids: Iterable[str]) -> dict[str, ComplaintFacts]:
    found: dict[str, ComplaintFacts] = {}
    ids = list(complaint_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for facts in _facts(store, f"complaint_id IN ({', '.join('?' * len(chunk))})", chunk):
            found[facts.complaint_id] = facts
    return found


def monthly_indicators(store: ReadModelStore, period: Period) -> dict[str, tuple[int, int, int, int]]:
    """Per outlet, the period's sums of work orders, complaints, regulator-transferred and effective."""
    where, params = _in_months("month", period)
    rows = store.query("SELECT unit, SUM(work_orders), SUM(complaints), SUM(regulator_transferred), "
                       f"SUM(effective) FROM monthly_indicators WHERE {where} GROUP BY unit", params)
    return {unit: (int(w), int(c), int(r), int(e)) for unit, w, c, r, e in rows}


def indicator_trend(store: ReadModelStore) -> list[dict[str, Any]]:
    """Bank-wide monthly totals, oldest first: the trend line management watches."""
    rows = store.query("SELECT month, SUM(work_orders), SUM(complaints), SUM(regulator_transferred), "
                       "SUM(effective) FROM monthly_indicators GROUP BY month ORDER BY month")
    return [{"month": m, "work_orders": int(w), "complaints": int(c), "regulator_transferred": int(r),
             "effective": int(e)} for m, w, c, r, e in rows]


def unit_lines(store: ReadModelStore, period: Period, level: str) -> list[tuple[str, str, int, int, int, int, int]]:
    """Every unit of `level` (zero-complaint ones too): unit, name, customers and the period's four counts,
    its outlets' sums (roll-up through `org_rollup`, aggregated in SQL)."""
    if level not in ("outlet", "sub_branch", "branch"):
        raise ValueError(f"unknown level {level!r}; use outlet, sub_branch or branch")
    where, params = _in_months("m.month", period)
    rows = store.query(f"""
        WITH sums AS (
            SELECT r.{level} AS unit, SUM(m.work_orders) AS w, SUM(m.complaints) AS c,
                   SUM(m.regulator_transferred) AS t, SUM(m.effective) AS e
            FROM monthly_indicators m JOIN org_rollup r ON r.outlet = m.unit
            WHERE {where} GROUP BY r.{level}),
        base AS (
            SELECT r.{level} AS unit, SUM(COALESCE(o.customers, 0)) AS customers
            FROM org_rollup r JOIN org_units o ON o.unit = r.outlet GROUP BY r.{level})
        SELECT u.unit, u.name, COALESCE(b.customers, 0), COALESCE(s.w, 0), COALESCE(s.c, 0), COALESCE(s.t, 0),
               COALESCE(s.e, 0)
        FROM org_units u LEFT JOIN sums s ON s.unit = u.unit LEFT JOIN base b ON b.unit = u.unit
        WHERE u.kind = ?""", [*params, level])
    return [(u, n, int(cu), int(w), int(c), int(t), int(e)) for u, n, cu, w, c, t, e in rows]
