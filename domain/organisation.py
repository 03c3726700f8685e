"""The organisation: units and people with dated roles, recorded as events.

Loading a new organisation file records only what changed, so "who was head of outlet O-001 on
2024-03-05" stays answerable from history after any later reorganisation.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from domain.errors import InvalidOrganisation
from domain.orgchart import OrgChart

ORGANISATION_ID = uuid5(NAMESPACE_URL, "plaintrail:organisation")
UnitKind = Literal["hq", "branch", "sub_branch", "outlet", "department"]
Role = Literal["president", "supervising_vp", "head", "handler"]
ROLE_DATES = (date(1900, 1, 1), date(2999, 12, 31))  # a term's ends: a typo beyond these is refused
PARENT_KINDS: dict[str, set[str]] = {
    "hq": set(), "branch": {"hq"}, "sub_branch": {"branch"}, "outlet": {"sub_branch", "branch"},
    # a department (部室, e.g. retail banking, cards) of the head office, a branch or a sub-branch: the 对口部门
    # that answer for a complaint by their share of responsibility
    "department": {"hq", "branch", "sub_branch"},
}


class UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, max_length=128)
    name: str = ""
    kind: UnitKind
    parent: str | None = None
    customers: int | None = Field(default=None, ge=0)


class RoleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    role: Role
    unit: str
    from_: date = Field(alias="from")
    to: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> RoleSpec:
        for name, day in (("from", self.from_), ("to", self.to)):
            if day is not None and not ROLE_DATES[0] <= day <= ROLE_DATES[1]:
                raise ValueError(f"role {self.role} at {self.unit}: '{name}' {day} is outside the plausible "
                                 f"{ROLE_DATES[0]} .. {ROLE_DATES[1]} (leave 'to' out for a term not ended)")
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"role {self.role} at {self.unit}: 'to' {self.to} is before 'from' {self.from_}")
        return self


class PersonSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(min_length=1, max_length=128)
    name: str = ""
    roles: list[RoleSpec] = []


class OrganisationSpec(BaseModel):
    """An organisation file as written by the bank; `check` adds the rules that span records."""

    model_config = ConfigDict(extra="forbid")
    units: list[UnitSpec] = []
    people: list[PersonSpec] = []

    @classmethod
    def parse(cls, data: Any) -> OrganisationSpec:
        try:
            spec = cls.model_validate(data)
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)]
            raise InvalidOrganisation("; ".join(problems)) from None
        spec.check()
        return spec

    def check(self) -> None:
        problems: list[str] = []
        kinds = {}
        for unit in self.units:
            if unit.id in kinds:
                problems.append(f"unit {unit.id} is listed twice")
            kinds[unit.id] = unit.kind
        for unit in self.units:
            if unit.parent is None:
                if unit.kind != "hq" and PARENT_KINDS[unit.kind] - {"hq"}:
                    problems.append(f"unit {unit.id} ({unit.kind}) needs a parent")
            elif unit.parent not in kinds:
                problems.append(f"unit {unit.id}: parent {unit.parent} is not a listed unit")
            elif kinds[unit.parent] not in PARENT_KINDS[unit.kind]:
                problems.append(f"unit {unit.id} ({unit.kind}) cannot sit under {unit.parent} ({kinds[unit.parent]})")
        seen_people = set()
        for person in self.people:
            if person.id in seen_people:
                problems.append(f"person {person.id} is listed twice")
            seen_people.add(person.id)
            for role in person.roles:
                if role.unit not in kinds:
                    problems.append(f"person {person.id}: role {role.role} at unknown unit {role.unit}")
        if problems:
            raise InvalidOrganisation("; ".join(problems))


def role_key(person: str, role: str, unit: str, start: date) -> str:
    return f"{person}|{role}|{unit}|{start.isoformat()}"


class Organisation(Aggregate):
    """One aggregate for the whole bank: reorganisations are rare and must be consistent as a whole."""

    @staticmethod
    def create_id() -> UUID:  # type: ignore[override]
        return ORGANISATION_ID

    @event("Founded")
    def __init__(self) -> None:
        self.units: dict[str, dict[str, Any]] = {}
        self.people: dict[str, str] = {}
        self.roles: dict[str, dict[str, Any]] = {}  # role_key -> {person, role, unit, from, to}

    def adopt(self, spec: OrganisationSpec) -> int:
        """Record the differences between the current organisation and `spec`; returns how many."""
        before = len(self.pending_events)
        for unit in spec.units:
            data: dict[str, Any] = {"unit": unit.id, "name": unit.name, "kind": unit.kind,
                                    "parent": unit.parent, "customers": unit.customers}
            if self.units.get(unit.id) != data:
                self.register_unit(**data)
        wanted: dict[str, dict[str, Any]] = {}
        for person in spec.people:
            if self.people.get(person.id) != person.name:
                self.register_person(person.id, person.name)
            for spec_role in person.roles:
                key = role_key(person.id, spec_role.role, spec_role.unit, spec_role.from_)
                wanted[key] = {"person": person.id, "role": spec_role.role, "unit": spec_role.unit,
                               "start": spec_role.from_, "end": spec_role.to}
        for key, term in wanted.items():
            if self.roles.get(key) != term:
                self.assign_role(**term)
        for key, term in list(self.roles.items()):
            if key not in wanted:
                self.revoke_role(term["person"], term["role"], term["unit"], term["start"])
        return len(self.pending_events) - before

    def extend(self, units: list[UnitSpec]) -> int:
        """Add units an importer needs (companies, locations, teams) without touching anything else."""
        before = len(self.pending_events)
        for unit in units:
            if unit.parent is not None and unit.parent not in self.units:
                raise InvalidOrganisation(f"unit {unit.id}: parent {unit.parent} is not registered")
            data: dict[str, Any] = {"unit": unit.id, "name": unit.name, "kind": unit.kind,
                                    "parent": unit.parent, "customers": unit.customers}
            if unit.id not in self.units:
                self.register_unit(**data)
        return len(self.pending_events) - before

    @event("UnitRegistered")
    def register_unit(self, unit: str, name: str, kind: str, parent: str | None, customers: int | None) -> None:
        self.units[unit] = {"unit": unit, "name": name, "kind": kind, "parent": parent, "customers": customers}

    @event("PersonRegistered")
    def register_person(self, person: str, name: str) -> None:
        self.people[person] = name

    @event("RoleAssigned")
    def assign_role(self, person: str, role: str, unit: str, start: date, end: date | None) -> None:
        self.roles[role_key(person, role, unit, start)] = {
            "person": person, "role": role, "unit": unit, "start": start, "end": end}

    @event("RoleRevoked")
    def revoke_role(self, person: str, role: str, unit: str, start: date) -> None:
        """A role listed by mistake: it no longer counts, but the history keeps both."""
        self.roles.pop(role_key(person, role, unit, start), None)

    # -- questions the scoring asks -------------------------------------------------------------

    @property
    def chart(self) -> OrgChart:
        return OrgChart(self.units, self.roles)

    def holders(self, role: str, unit: str, on: date) -> list[str]:
        return self.chart.holders(role, unit, on)

    def responsible(self, outlet: str, on: date) -> dict[str, list[str]]:
        return self.chart.responsible(outlet, on)
