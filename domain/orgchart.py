"""The organisation as it stands: units, dated roles, and who answers for an outlet on a given day.

Pure data and questions, shared by the `Organisation` aggregate (write side) and the read side's
org read model, so both resolve responsibility with the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

FINED_ROLES = ("head", "supervising_vp", "president")


@dataclass
class OrgChart:
    units: dict[str, dict[str, Any]] = field(default_factory=dict)  # unit -> {unit, name, kind, parent, customers}
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> {person, role, unit, start, end}

    _terms: dict[tuple[str, str], list[dict[str, Any]]] | None = field(default=None, init=False, repr=False,
                                                                        compare=False)
    _chains: dict[str, tuple[str, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def holders(self, role: str, unit: str, on: date) -> list[str]:
        """Who held `role` at `unit` on day `on` (both ends of the term inclusive)."""
        if self._terms is None:  # indexed once per chart: a chart is a snapshot, built afresh after any change
            self._terms = {}
            for r in self.roles.values():
                self._terms.setdefault((r["role"], r["unit"]), []).append(r)
        found = [r["person"] for r in self._terms.get((role, unit), ())
                 if r["start"] <= on and (r["end"] is None or on <= r["end"])]
        return sorted(found) if len(found) > 1 else found

    def ancestors(self, unit: str) -> list[str]:
        """The units above `unit`, nearest first."""
        if (known := self._chains.get(unit)) is not None:  # a snapshot, like _terms
            return list(known)
        chain: list[str] = []
        parent = self.units.get(unit, {}).get("parent")
        while parent is not None and parent not in chain:
            chain.append(parent)
            parent = self.units.get(parent, {}).get("parent")
        self._chains[unit] = tuple(chain)
        return chain

    def ancestor_of_kind(self, unit: str, kind: str) -> str | None:
        """The unit itself or the nearest unit above it of `kind` (e.g. an outlet's sub-branch)."""
        for candidate in [unit, *self.ancestors(unit)]:
            if self.units.get(candidate, {}).get("kind") == kind:
                return candidate
        return None

    def responsible(self, outlet: str, on: date) -> dict[str, list[str]]:
        """The people fined for a complaint at `outlet` received on `on`: the outlet's head, and the
        supervising VP and president of the nearest unit above the outlet that has one."""
        found = {"head": self.holders("head", outlet, on), "supervising_vp": [], "president": []}
        chain = self.ancestors(outlet)
        for role in ("supervising_vp", "president"):
            for unit in chain:
                if holders := self.holders(role, unit, on):
                    found[role] = holders
                    break
        return found
