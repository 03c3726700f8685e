"""The ServiceNow incident event log: one row per update of an incident.

| ServiceNow | plaintrail |
|---|---|
| `number` | `complaint_id` = `SN-<number>` |
| `location` | the receiving outlet `SN-LOC-<n>` under the branch `SN` (`?` -> `SN-LOC-UNKNOWN`) |
| `assignment_group` | outlets `SN-GRP-<n>` under the branch `SN-GROUPS`, named as in the log |
| first row | `received` at `opened_at`; `contact_type` -> channel (Phone/IVR hotline, Email email, Self service web, Direct opening outlet); `category` -> category; `caller_id` -> customer_ref; `priority`, `impact`, `urgency` kept as `source` facts |
| `assignment_group` differs from the row before (the first row: from none) | `assigned` hand-over to that group (`?`: to `SN-GRP-UNKNOWN`, no group named), in any state |
| `reassignment_count` up, same group | `assigned` (reassigned within the group), in any state |
| `incident_state` changes to New | nothing (the received complaint) |
| ... to Active | `assigned`, unless the same row already hands it over |
| ... to Awaiting User Info / Evidence / Problem / Vendor (also from another Awaiting state) | `contacted` (the state as note) |
| ... to Resolved | `handled` (resolved) |
| ... to Closed | `closed` (with `handled` first unless the last step was the resolution); `made_sla`, `priority`, `closed_code` kept as `source` facts |
| any state after Closed | `reopened` first |
| `sys_updated_at` (d/m/Y H:M, UTC) | `at` of each action |

Updates stamped before `opened_at`: ServiceNow creates the record (`sys_created_at`) before the
`opened_at` a service-desk agent may set later, so its first updates can predate the opening (5
incidents of the public log). Such an `assigned` is recorded at the receipt, with the update's own time
kept as its `sys_updated_at` source fact; any other action dated before the receipt is refused by the
domain and goes to the rejects file with its line. A row whose state is unknown (`-100`) or whose times
cannot be read is rejected with the reason.
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
STATES = {"New": None, "Active": "assigned", "Awaiting User Info": "contacted", "Awaiting Evidence": "contacted",
          "Awaiting Problem": "contacted", "Awaiting Vendor": "contacted", "Resolved": "handled", "Closed": "closed"}
MOVES = {"assigned": "assigned", "contacted": "contacted", "handled": "handled", "closed": "closed",
         "reopened": "open"}  # our lifecycle state after each action the importer records


def _name(record: dict[str, str], column: str) -> str:
    return record.get(column, "").strip("? ")


def location(record: dict[str, str]) -> str:
    return unit_id("SN-LOC", _name(record, "location").replace("Location", "").strip() or "UNKNOWN")


def group(record: dict[str, str]) -> str:
    return unit_id("SN-GRP", _name(record, "assignment_group").replace("Group", "").strip() or "UNKNOWN")


NO_GROUP = unit_id("SN-GRP", "UNKNOWN")


def units(records: Iterable[dict[str, str]]) -> list[UnitSpec]:
    locations: dict[str, str] = {}
    groups: dict[str, str] = {NO_GROUP: "no group named"}
    for r in records:
        locations.setdefault(location(r), _name(r, "location") or "location not named")
        groups.setdefault(group(r), _name(r, "assignment_group") or "no group named")
    return [UnitSpec(id="SN-HQ", name="ServiceNow", kind="hq"),
            UnitSpec(id="SN", name="ServiceNow locations", kind="branch", parent="SN-HQ"),
            UnitSpec(id="SN-GROUPS", name="ServiceNow assignment groups", kind="branch", parent="SN-HQ"),
            *(UnitSpec(id=u, name=n[:200], kind="outlet", parent="SN") for u, n in sorted(locations.items())),
            *(UnitSpec(id=u, name=n[:200], kind="outlet", parent="SN-GROUPS") for u, n in sorted(groups.items()))]


def moment(text: str) -> datetime:
    """`29/2/2016 07:14` (d/m/Y H:M) in UTC; split by hand, strptime costs a second per 100k rows."""
    try:
        day, clock = text.split(" ")
        d, m, y = day.split("/")
        hour, minute = clock.split(":")
        return datetime(int(y), int(m), int(d), int(hour), int(minute), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"not a d/m/Y H:M time: {text!r}") from None


@dataclass
class Incident:
    cid: str
    received: datetime
    raw_state: str = "New"  # ServiceNow's state after the last row
    state: str = "open"  # ours after the last action recorded
    reassignments: int = 0
    group: str = NO_GROUP
    count: int = 0

    def act(self, action: str, at: datetime, **fields: Any) -> dict[str, Any]:
        self.count += 1
        self.state = MOVES.get(action, self.state)
        return {"action_id": f"{self.cid}-{self.count:03d}", "complaint_id": self.cid, "action": action,
                "at": at.isoformat(), **fields}


def actions(records: Iterable[tuple[int, dict[str, str]]]) -> Iterator[Row]:
    return stateful_rows(records, step, "ServiceNow")


def facts(r: dict[str, str], *columns: str) -> dict[str, str]:
    return {c: v for c in columns if (v := _name(r, c))}


def step(incidents: dict[str, Incident], r: dict[str, str]) -> Iterator[dict[str, Any]]:
    raw_state = r["incident_state"]
    if raw_state not in STATES:
        raise ValueError(f"unknown incident_state {raw_state!r}")
    at = moment(r["sys_updated_at"])
    incident = incidents.get(r["number"])
    if incident is None:
        incident = Incident(f"SN-{r['number']}", moment(r["opened_at"]), reassignments=int(r["reassignment_count"] or 0))
        incidents[r["number"]] = incident
        caller = _name(r, "caller_id")
        yield incident.act("received", incident.received, outlet=location(r), via="direct", kind="complaint",
                           channel=CHANNELS.get(r.get("contact_type", "").lower(), "web"),
                           category=_name(r, "category"), customer_ref=unit_id("SN-CALLER", caller) if caller else None,
                           source=facts(r, "priority", "impact", "urgency") or None)
    count = int(r["reassignment_count"] or 0)
    reassigned, incident.reassignments = count > incident.reassignments, max(count, incident.reassignments)
    assignee = (_name(r, "assigned_to") or _name(r, "assignment_group") or "unassigned")[:128]
    if incident.state == "closed" and raw_state != "Closed":
        yield incident.act("reopened", at, reason=f"reopened in ServiceNow ({raw_state})")
    early = {"source": {"sys_updated_at": r["sys_updated_at"]}} if at < incident.received else {}
    now_with = group(r)
    handed_over = now_with != incident.group or reassigned
    if handed_over:
        moved = {"outlet": now_with} if now_with != incident.group else {}
        incident.group = now_with
        yield incident.act("assigned", max(at, incident.received), assignee=assignee, **moved, **early)
    wanted = STATES[raw_state] if raw_state != incident.raw_state else None
    incident.raw_state = raw_state
    if wanted == "assigned" and not handed_over:
        yield incident.act("assigned", max(at, incident.received), assignee=assignee, **early)
    elif wanted == "contacted":
        yield incident.act("contacted", at, note=raw_state)
    elif wanted == "handled":
        yield incident.act("handled", at, outcome="resolved")
    elif wanted == "closed":
        if incident.state != "handled":
            yield incident.act("handled", at, outcome="resolved")
        yield incident.act("closed", at, source=facts(r, "made_sla", "priority", "closed_code") or None)
