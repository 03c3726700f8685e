"""The organisation read model: units, people and dated roles, folded from Organisation events."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.organisation import role_key
from domain.orgchart import OrgChart
from projections.envelope import Envelope


def statements(envelope: Envelope) -> list[tuple[str, tuple[Any, ...]]]:
    """The SQL that applies one organisation event (upserts, so a replay lands in the same rows)."""
    p = envelope.payload
    kind = envelope.event_type.rsplit(".", 1)[-1]
    if kind == "UnitRegistered":
        return [("""INSERT INTO org_units (unit, name, kind, parent, customers) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (unit) DO UPDATE SET name = excluded.name, kind = excluded.kind,
                 parent = excluded.parent, customers = excluded.customers""",
                 (p["unit"], p["name"], p["kind"], p["parent"], p["customers"]))]
    if kind == "PersonRegistered":
        return [("""INSERT INTO org_people (person, name) VALUES (?, ?)
                 ON CONFLICT (person) DO UPDATE SET name = excluded.name""", (p["person"], p["name"]))]
    if kind == "RoleAssigned":
        key = role_key(p["person"], p["role"], p["unit"], date.fromisoformat(p["start"]))
        return [("""INSERT INTO org_roles (key, person, role, unit, start, "end") VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (key) DO UPDATE SET "end" = excluded."end" """,
                 (key, p["person"], p["role"], p["unit"], p["start"], p["end"]))]
    if kind == "RoleRevoked":
        key = role_key(p["person"], p["role"], p["unit"], date.fromisoformat(p["start"]))
        return [("DELETE FROM org_roles WHERE key = ?", (key,))]
    return []



def rollup_rows(units: list[tuple[str, str, str | None]]) -> list[tuple[str, str | None, str | None]]:
    """(outlet, its sub-branch, its branch) for every outlet, from (unit, kind, parent) rows."""
    chart = OrgChart({u: {"unit": u, "kind": k, "parent": p} for u, k, p in units})
    return [(u, chart.ancestor_of_kind(u, "sub_branch"), chart.ancestor_of_kind(u, "branch"))
            for u, k, _ in units if k == "outlet"]
