"""The ServiceNow incident event log: one row per update of an incident.

| ServiceNow | plaintrail |
|---|---|
| `number` | `complaint_id` = `SN-<number>` |
| `location` | the receiving outlet `SN-LOC-<n>` under the branch `SN` (`?` -> `SN-LOC-UNKNOWN`) |
| `assignment_group` | outlets `SN-GRP-<n>` under the branch `SN-GROUPS`: a reassignment is an `assigned` hand-over |
| first row | `received` at `opened_at`; `contact_type` -> channel (Phone/IVR hotline, Email email, Self service web, Direct opening outlet); `category` -> category; `caller_id` -> customer_ref |
| `incident_state` New | (the received complaint) |
| Active | `assigned` (after Closed: `reopened` first) |
| Awaiting User Info / Evidence / Problem / Vendor | `contacted` |
| Resolved | `handled` (resolved) |
| Closed | `closed` (with `handled` first if it never was); `made_sla`, `closed_code` kept as `source` facts |
| `reassignment_count` up, same state | `assigned` to the new group |
| `sys_updated_at` (d/m/Y H:M, UTC) | `at` of each action |

A row whose state is unknown (`-100`) or whose times cannot be read is rejected with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.organisation import UnitSpec
from plaintrail.formats import stateful_rows, unit_id
from plaintrail.sources import Row

CHANNELS = {"phone": "hotline", "ivr": "hotline", "email": "email", "self service": "web", "direct opening": "outlet"}
STATES = {"New": "open", "Active": "assigned", "Awaiting User Info": "contacted", "Awaiting Evidence": "contacted",
          "Awaiting Problem": "contacted", "Awaiting Vendor": "contacted", "Resolved": "handled", "Closed": "closed"}


def location(record: dict[str, str]) -> str:
    return unit_id("SN-LOC", record.get("location", "").replace("Location", "").strip("? ") or "UNKNOWN")


def group(record: dict[str, str]) -> str:
    return unit_id("SN-GRP", record.get("assignment_group", "").replace("Group", "").strip("? ") or "UNKNOWN")


def units(records: Iterable[dict[str, str]]) -> list[UnitSpec]:
    locations, groups = set(), set()
    for r in records:
        locations.add(location(r))
        groups.add(group(r))
    return [UnitSpec(id="SN-HQ", name="ServiceNow", kind="hq"),
            UnitSpec(id="SN", name="ServiceNow locations", kind="branch", parent="SN-HQ"),
            UnitSpec(id="SN-GROUPS", name="ServiceNow assignment groups", kind="branch", parent="SN-HQ"),
            *(UnitSpec(id=u, name=u[3:], kind="outlet", parent="SN") for u in sorted(locations)),
            *(UnitSpec(id=u, name=u[3:], kind="outlet", parent="SN-GROUPS") for u in sorted(groups))]


def moment(text: str) -> str:
    return datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=UTC).isoformat()


@dataclass
class Incident:
    cid: str
    state: str
    reassignments: int
    group: str
    count: int = 0

    def act(self, action: str, at: str, **fields: Any) -> dict[str, Any]:
        self.count += 1
        return {"action_id": f"{self.cid}-{self.count:03d}", "complaint_id": self.cid, "action": action, "at": at,
                **fields}


def actions(records: Iterable[tuple[int, dict[str, str]]]) -> Iterator[Row]:
    return stateful_rows(records, step, "ServiceNow")

def step(incidents: dict[str, Incident], r: dict[str, str]) -> Iterator[dict[str, Any]]:
    raw_state = r["incident_state"]
    if raw_state not in STATES:
        raise ValueError(f"unknown incident_state {raw_state!r}")
    wanted, at = STATES[raw_state], moment(r["sys_updated_at"])
    incident = incidents.get(r["number"])
    if incident is None:
        incident = incidents[r["number"]] = Incident(f"SN-{r['number']}", "open", int(r["reassignment_count"] or 0),
                                                      group(r))
        caller = r.get("caller_id", "").strip("? ")
        yield incident.act("received", moment(r["opened_at"]), outlet=location(r), via="direct", kind="complaint",
                           channel=CHANNELS.get(r.get("contact_type", "").lower(), "web"),
                           category=r.get("category", "").strip("? "),
                           customer_ref=unit_id("SN-CALLER", caller) if caller else None)
    reassigned = int(r["reassignment_count"] or 0) > incident.reassignments
    incident.reassignments = max(incident.reassignments, int(r["reassignment_count"] or 0))
    assignee = r.get("assigned_to", "").strip("? ") or r.get("assignment_group", "").strip("? ") or "unassigned"
    if wanted == incident.state:
        if reassigned and wanted == "assigned" and group(r) != incident.group:
            incident.group = group(r)
            yield incident.act("assigned", at, assignee=assignee[:128], outlet=incident.group)
        return
    if wanted == "open":
        return  # back to New: nothing to record
    if incident.state == "closed":
        yield incident.act("reopened", at, reason="reopened in ServiceNow")
        incident.state = "open"
    if wanted == "assigned":
        incident.group = group(r)
        yield incident.act("assigned", at, assignee=assignee[:128], outlet=incident.group)
    elif wanted == "contacted":
        yield incident.act("contacted", at, note=r["incident_state"])
    elif wanted == "handled":
        yield incident.act("handled", at, outcome="resolved")
    elif wanted == "closed":
        if incident.state != "handled":
            yield incident.act("handled", at, outcome="resolved")
        facts = {"made_sla": r.get("made_sla", ""), "closed_code": r.get("closed_code", "").strip("? ")}
        yield incident.act("closed", at, source={k: v for k, v in facts.items() if v})
    incident.state = wanted
