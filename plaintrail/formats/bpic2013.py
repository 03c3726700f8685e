"""The BPI Challenge 2013 Volvo IT incident log: status changes of service requests.

| BPIC 2013 | plaintrail |
|---|---|
| `SR Number` | `complaint_id` = `BPIC-<sr>` and `customer_ref` |
| `Involved ST` (support team) | outlets `BPIC-ST-<team>` under the branch `BPIC`; the first row's team receives it |
| first row | `received` at `Change Date+Time` (ISO with offset), channel web, category = `Product` |
| Accepted / Queued (In Progress, Assigned, Awaiting Assignment) | `assigned` (to the `Resource`; a new team is a hand-over) |
| Accepted / Wait, Wait - User, - Implementation, - Vendor, - Customer | `contacted` |
| Completed / Resolved | `handled` (resolved) |
| Completed / Closed | `closed` (with `handled` first if needed) |
| Completed / Cancelled | `withdrawn` |
| `ST Level` up: L2, L3 | `escalated` to `branch`, `hq` |
| anything after Closed | `reopened` first |

`Unmatched` rows, and rows with no SR number or time, are rejected with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.organisation import UnitSpec
from plaintrail.formats import stateful_rows, unit_id
from plaintrail.sources import Row

LEVELS = {"L1": 1, "L2": 2, "L3": 3}
ESCALATION = {2: "branch", 3: "hq"}


def team(record: dict[str, str]) -> str:
    return unit_id("BPIC-ST", record.get("Involved ST", "") or "UNKNOWN")


def units(records: Iterable[dict[str, str]]) -> list[UnitSpec]:
    teams = sorted({team(r) for r in records})
    return [UnitSpec(id="BPIC-HQ", name="Volvo IT", kind="hq"),
            UnitSpec(id="BPIC", name="Volvo IT support teams", kind="branch", parent="BPIC-HQ"),
            *(UnitSpec(id=t, name=t[8:], kind="outlet", parent="BPIC") for t in teams)]


@dataclass
class Request:
    cid: str
    state: str
    team: str
    level: int
    count: int = 0

    def act(self, action: str, at: str, **fields: Any) -> dict[str, Any]:
        self.count += 1
        return {"action_id": f"{self.cid}-{self.count:03d}", "complaint_id": self.cid, "action": action, "at": at,
                **fields}


def target(status: str, sub: str) -> str:
    if status in ("Accepted", "Queued"):
        return "contacted" if sub.startswith("Wait") else "assigned"
    if status == "Completed":
        return {"Resolved": "handled", "Closed": "closed", "Cancelled": "withdrawn"}.get(sub, "handled")
    raise ValueError(f"status {status!r}/{sub!r} does not map to an action")


def actions(records: Iterable[tuple[int, dict[str, str]]]) -> Iterator[Row]:
    return stateful_rows(records, step, "BPIC 2013")

def step(requests: dict[str, Request], r: dict[str, str]) -> Iterator[dict[str, Any]]:
    number, at = r["SR Number"], r["Change Date+Time"]
    if not number:
        raise ValueError("no SR Number")
    datetime.fromisoformat(at)
    wanted = target(r["Status"], r.get("Sub Status", ""))
    level = LEVELS.get(r.get("ST Level", ""), 1)
    request = requests.get(number)
    if request is None:
        request = requests[number] = Request(f"BPIC-{number}", "open", team(r), level)
        yield request.act("received", at, outlet=request.team, channel="web", via="direct", kind="complaint",
                          category=r.get("Product", ""), customer_ref=f"BPIC-{number}")
    if request.state in ("closed", "withdrawn") and wanted not in ("closed", "withdrawn"):
        yield request.act("reopened", at, reason="worked on again after completion")
        request.state = "open"
    if level > request.level and request.state not in ("closed", "withdrawn"):
        request.level = level
        yield request.act("escalated", at, level=ESCALATION.get(level, "hq"), reason=f"to {r.get('ST Level')}")
    resource = (r.get("Resource") or r.get("Involved ST") or "unassigned")[:128]
    if wanted == request.state and not (wanted == "assigned" and team(r) != request.team):
        return
    if wanted == "assigned":
        moved = team(r) != request.team
        request.team = team(r)
        yield request.act("assigned", at, assignee=resource, **({"outlet": request.team} if moved else {}))
    elif wanted == "contacted":
        yield request.act("contacted", at, note=r.get("Sub Status", ""))
    elif wanted == "handled":
        yield request.act("handled", at, outcome="resolved")
    elif wanted == "closed":
        if request.state != "handled":
            yield request.act("handled", at, outcome="resolved")
        yield request.act("closed", at)
    elif wanted == "withdrawn":
        if request.state in ("closed", "withdrawn"):
            return
        yield request.act("withdrawn", at, note="cancelled")
    request.state = wanted
