"""The BPI Challenge 2013 Volvo IT incident log: status changes of service requests.

| BPIC 2013 | plaintrail |
|---|---|
| `SR Number` | `complaint_id` = `BPIC-<sr>` and `customer_ref` |
| `Involved ST` (support team) | outlets `BPIC-ST-<team>` under the branch `BPIC`, named by the team's name; the first row's team receives it |
| first row | `received` at `Change Date+Time` (ISO with offset), channel web, category = `Product`; its `ST Level` and `SR Latest Impact` kept as `source` facts |
| first row at L2, L2/L3 or L3 | `escalated` at the receipt to `branch` (L2, L2/L3) or `hq` (L3): the level the case starts at |
| `Involved ST` differs from the row before | `assigned` hand-over to that team (the `Resource` as assignee), whatever the status; not between two completed rows (In Call then Closed by another team: the request is closed already) |
| Accepted / Queued (In Progress, Assigned, Awaiting Assignment) after another status | `assigned`, unless the same row already hands it over |
| Accepted / Wait, Wait - User, - Implementation, - Vendor, - Customer (also from another Wait) | `contacted` (the sub-status as note) |
| Completed / Resolved | `handled` (resolved) |
| Completed / Closed, Completed / In Call | `closed` (with `handled` first if needed); `ST Level` and the sub-status kept as `source` facts |
| last row Completed / Resolved | `closed` at that time too: the request is completed and nothing more is logged |
| Completed / Cancelled | `withdrawn` |
| `ST Level` up from the row before (L1 < L2 = L2/L3 < L3), also after falling back | `escalated` to `branch` (L2, L2/L3) or `hq` (L3) |
| anything after Closed / In Call / Cancelled | `reopened` first |

`Unmatched` rows, and rows with no SR number or time, are rejected with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from domain.organisation import UnitSpec
from plaintrail.formats import raw_line, stateful_rows, unit_id
from plaintrail.sources import Row

LEVELS = {"L1": 1, "L2": 2, "L2/L3": 2, "L3": 3}  # L2/L3: at least the second line
ESCALATION = {2: "branch", 3: "hq"}
ENDED = ("closed", "withdrawn")
MOVES = {"assigned": "assigned", "contacted": "contacted", "handled": "handled", "closed": "closed",
         "withdrawn": "withdrawn", "reopened": "open"}  # our lifecycle state after each action recorded


def team(record: dict[str, str]) -> str:
    return unit_id("BPIC-ST", record.get("Involved ST", "") or "UNKNOWN")


def units(records: Iterable[dict[str, str]]) -> list[UnitSpec]:
    teams: dict[str, str] = {}
    for r in records:
        teams.setdefault(team(r), r.get("Involved ST", "") or "team not named")
    return [UnitSpec(id="BPIC-HQ", name="Volvo IT", kind="hq"),
            UnitSpec(id="BPIC", name="Volvo IT support teams", kind="branch", parent="BPIC-HQ"),
            *(UnitSpec(id=t, name=n[:200], kind="outlet", parent="BPIC") for t, n in sorted(teams.items()))]


@dataclass
class Request:
    cid: str
    team: str
    level: int
    state: str = "open"  # ours after the last action recorded
    status: tuple[str, str] = ("", "")  # BPIC's (Status, Sub Status) of the row before
    last_at: str = ""
    count: int = 0

    def act(self, action: str, at: str, **fields: Any) -> dict[str, Any]:
        self.count += 1
        self.state = MOVES.get(action, self.state)
        return {"action_id": f"{self.cid}-{self.count:03d}", "complaint_id": self.cid, "action": action, "at": at,
                **fields}


def target(status: str, sub: str) -> str:
    if status in ("Accepted", "Queued"):
        return "contacted" if sub.startswith("Wait") else "assigned"
    if status == "Completed":
        return {"Resolved": "handled", "Closed": "closed", "In Call": "closed", "Cancelled": "withdrawn"}.get(
            sub, "handled")
    raise ValueError(f"status {status!r}/{sub!r} does not map to an action")


def level_of(record: dict[str, str]) -> int:
    return LEVELS.get(record.get("ST Level", ""), 1)


def actions(records: Iterable[tuple[int, dict[str, str]]]) -> Iterator[Row]:
    """Each request's rows, then its end: a request whose log ends at Completed/Resolved is closed there."""
    requests: dict[str, Request] = {}
    for number, rows in groupby(records, key=lambda numbered: numbered[1].get("SR Number", "")):
        last: tuple[int, dict[str, str]] | None = None
        for last in rows:
            yield from stateful_rows([last], step, "BPIC 2013", requests)
        request = requests.get(number)
        if last is not None and request is not None and request.state == "handled":
            line, record = last
            yield Row(line, raw_line(record), data=request.act(
                "closed", request.last_at, source={"st_level": record.get("ST Level", ""),
                                                   "sub_status": "Resolved (the log ends here)"}))


def step(requests: dict[str, Request], r: dict[str, str]) -> Iterator[dict[str, Any]]:
    number, at = r["SR Number"], r["Change Date+Time"]
    if not number:
        raise ValueError("no SR Number")
    datetime.fromisoformat(at)
    status = (r["Status"], r.get("Sub Status", ""))
    wanted, level = target(*status), level_of(r)
    request = requests.get(number)
    if request is None:
        request = requests[number] = Request(f"BPIC-{number}", team(r), level)
        facts = {"st_level": r.get("ST Level", ""), "impact": r.get("SR Latest Impact", "")}
        yield request.act("received", at, outlet=request.team, channel="web", via="direct", kind="complaint",
                          category=r.get("Product", ""), customer_ref=f"BPIC-{number}",
                          source={k: v for k, v in facts.items() if v} or None)
        if level > 1:
            yield request.act("escalated", at, level=ESCALATION[level], reason=f"received at {r.get('ST Level')}")
    if request.state in ENDED and wanted not in ENDED:
        yield request.act("reopened", at, reason=f"worked on again after completion ({'/'.join(status)})")
    if level > request.level:
        yield request.act("escalated", at, level=ESCALATION[level], reason=f"to {r.get('ST Level')}")
    request.level = level  # a fall back is remembered, so the next rise is one too
    resource = (r.get("Resource") or r.get("Involved ST") or "unassigned")[:128]
    handed_over = team(r) != request.team and request.state not in ENDED  # a closed request is not handed on
    request.team = team(r)
    if handed_over:
        yield request.act("assigned", at, assignee=resource, outlet=request.team)
    changed, request.status, request.last_at = status != request.status, status, at
    if wanted == "assigned" and changed and request.state != "assigned" and not handed_over:
        yield request.act("assigned", at, assignee=resource)
    elif wanted == "contacted" and changed:
        yield request.act("contacted", at, note=status[1])
    elif wanted == "handled" and request.state != "handled":
        yield request.act("handled", at, outcome="resolved")
    elif wanted == "closed" and request.state != "closed":
        if request.state != "handled":
            yield request.act("handled", at, outcome="resolved")
        yield request.act("closed", at, source={"st_level": r.get("ST Level", ""), "sub_status": status[1]})
    elif wanted == "withdrawn" and request.state not in ENDED:
        yield request.act("withdrawn", at, note="cancelled")
