"""A generated bank and a year of its complaints, deterministic for a seed, for the benchmarks.

The organisation is a tree HQ > branches > sub-branches > outlets with heads, handlers and dated
roles (some heads change mid-year). Each complaint follows a realistic lifecycle of about eight
actions; the file lists actions in the order they arrived, which is time order across complaints,
with a few late arrivals (a validation or compensation keyed in days after it happened). Complaints
are generated in order of receipt and their actions merged through a heap, so memory stays flat
however many complaints are asked for.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

BANK_TZ = timezone(timedelta(hours=8))
YEAR_START = datetime(2024, 1, 1, tzinfo=BANK_TZ).timestamp()
YEAR_SECONDS = 366 * 86400
HOUR, DAY = 3600.0, 86400.0
OUTLETS_PER_SUB_BRANCH = 10
SUB_BRANCHES_PER_BRANCH = 10
CATEGORIES = (
    "service attitude 服务态度", "fees 收费", "card 银行卡", "loan 贷款", "wealth-product mis-selling 理财销售",
    "queueing 排队", "online banking 网银", "debt collection 催收", "deposit 存款", "privacy 个人信息",
)


def outlets_for(complaints: int) -> int:
    """A national bank has about 15,000 outlets for a million complaints a year; keep that density."""
    return max(4, round(complaints * 15_000 / 1_000_000))


@dataclass(frozen=True)
class Bank:
    outlets: list[str]
    heads: dict[str, list[tuple[str, float]]]  # outlet -> [(person, from timestamp)], in order
    handlers: dict[str, list[str]]

    def head(self, outlet: str, when: float) -> str:
        current = self.heads[outlet][0][0]
        for person, start in self.heads[outlet]:
            if start <= when:
                current = person
        return current


def organisation(outlet_count: int, seed: int) -> tuple[dict[str, Any], Bank]:
    """The organisation file's content and the facts the action generator needs from it."""
    rng = random.Random(seed)
    units: list[dict[str, Any]] = [{"id": "HQ", "name": "Head office", "kind": "hq"}]
    people: list[dict[str, Any]] = [{"id": "P-CEO", "name": "Chief", "roles": [
        {"role": "president", "unit": "HQ", "from": "2020-01-01"}]}]
    outlets: list[str] = []
    heads: dict[str, list[tuple[str, float]]] = {}
    handlers: dict[str, list[str]] = {}
    subs = -(-outlet_count // OUTLETS_PER_SUB_BRANCH)
    branches = -(-subs // SUB_BRANCHES_PER_BRANCH)
    for b in range(branches):
        branch = f"B-{b:03d}"
        units.append({"id": branch, "name": f"Branch {b}", "kind": "branch", "parent": "HQ"})
        people.append({"id": f"P-{branch}-PRES", "name": f"President {b}",
                       "roles": [{"role": "president", "unit": branch, "from": "2020-01-01"}]})
    for s in range(subs):
        sub, branch = f"S-{s:04d}", f"B-{s // SUB_BRANCHES_PER_BRANCH:03d}"
        units.append({"id": sub, "name": f"Sub-branch {s}", "kind": "sub_branch", "parent": branch})
        people.append({"id": f"P-{sub}-VP", "name": f"VP {s}",
                       "roles": [{"role": "supervising_vp", "unit": sub, "from": "2020-01-01"}]})
    for o in range(outlet_count):
        outlet, sub = f"O-{o:05d}", f"S-{o // OUTLETS_PER_SUB_BRANCH:04d}"
        outlets.append(outlet)
        units.append({"id": outlet, "name": f"Outlet {o}", "kind": "outlet", "parent": sub,
                      "customers": rng.randrange(5_000, 80_000)})
        head = f"P-{outlet}-H"
        heads[outlet] = [(head, 0.0)]
        if rng.random() < 0.05:  # a head changes mid-year: fines must follow the dated role
            change = datetime(2024, rng.randrange(2, 12), 1, tzinfo=BANK_TZ)
            people.append({"id": head, "name": f"Head {o}", "roles": [
                {"role": "head", "unit": outlet, "from": "2020-01-01",
                 "to": (change - timedelta(days=1)).date().isoformat()}]})
            people.append({"id": f"{head}2", "name": f"Head {o} (new)", "roles": [
                {"role": "head", "unit": outlet, "from": change.date().isoformat()}]})
            heads[outlet].append((f"{head}2", change.timestamp()))
        else:
            people.append({"id": head, "name": f"Head {o}",
                           "roles": [{"role": "head", "unit": outlet, "from": "2020-01-01"}]})
        handlers[outlet] = [f"P-{outlet}-C{k}" for k in (1, 2)]
        for k, person in enumerate(handlers[outlet], start=1):
            people.append({"id": person, "name": f"Handler {o}.{k}",
                           "roles": [{"role": "handler", "unit": outlet, "from": "2020-01-01"}]})
    return {"units": units, "people": people}, Bank(outlets, heads, handlers)


def _instant(ts: float) -> str:
    return datetime.fromtimestamp(ts, BANK_TZ).isoformat(timespec="seconds")


def lifecycle(rng: random.Random, bank: Bank, number: int, received: float) -> list[tuple[float, dict[str, Any]]]:
    """One complaint's actions as (arrival time, action), about eight of them."""
    cid = f"C-{number:08d}"
    outlet = rng.choice(bank.outlets)
    handler = rng.choice(bank.handlers[outlet])
    head = bank.head(outlet, received)
    via = rng.choices(("direct", "hq", "pboc", "nfra"), (85, 7, 5, 3))[0]
    kind = "work_order" if rng.random() < 0.1 else "complaint"
    out: list[tuple[float, dict[str, Any]]] = []
    t = received
    annulled = False

    def add(action: str, actor: str | None = None, late: float = 0.0, **fields: Any) -> str:
        action_id = f"{cid}-{len(out) + 1:02d}"
        data: dict[str, Any] = {"action_id": action_id, "complaint_id": cid, "action": action, "at": _instant(t)}
        if actor:
            data["actor"] = actor
        data.update(fields)
        out.append((t + late, data))
        return action_id

    def step(low: float, high: float) -> None:
        nonlocal t
        t += rng.uniform(low, high)

    def handle_to_close() -> None:
        step(HOUR, 3 * DAY)
        add("handled", handler, outcome=rng.choices(("resolved", "partial", "rejected"), (70, 20, 10))[0])
        if rng.random() < 0.1:
            step(HOUR, DAY)
            late = rng.uniform(DAY, 10 * DAY) if rng.random() < 0.2 else 0.0
            add("compensated", head, late=late, amount=f"{rng.randrange(50, 5000)}.{rng.randrange(100):02d}")
        step(10 * 60, DAY)
        add("feedback", handler)
        step(10 * 60, 2 * DAY)
        add("closed", handler)

    add("received", rng.choice((None, handler)), outlet=outlet,
        channel=rng.choice(("hotline", "app", "web", "outlet", "email", "letter")), via=via, kind=kind,
        category=rng.choice(CATEGORIES), customer_ref=f"CUST-{rng.randrange(10**7):07d}")
    step(5 * 60, 4 * HOUR)
    if rng.random() < 0.03:  # handed over to another outlet
        add("assigned", head, assignee=handler, outlet=rng.choice(bank.outlets))
    else:
        add("assigned", head, assignee=handler)
    step(10 * 60, DAY)
    add("contacted", handler, note="called the customer")
    if rng.random() < 0.05:
        step(HOUR, DAY)
        add("escalated", handler, level=rng.choice(("sub_branch", "branch", "hq")), reason="difficult complaint")
    if rng.random() < 0.03:
        step(HOUR, 2 * DAY)
        add("withdrawn", handler, note="customer withdrew")
        if rng.random() >= 0.3:
            return out
        step(DAY, 5 * DAY)
        add("reopened", head, reason="customer came back")
    handle_to_close()
    if rng.random() < 0.02:
        step(HOUR, DAY)
        add("public_opinion", head, note="posted on social media")
    step(DAY, 10 * DAY)
    decided_by = via if via in ("pboc", "nfra") else rng.choices(("hq", "branch"), (80, 20))[0]
    effective = rng.random() < 0.3
    late = rng.uniform(DAY, 5 * DAY) if rng.random() < 0.05 else 0.0
    annulled = rng.random() < 0.02
    validation = add("validated", None, late=0.0 if annulled else late, effective=effective,
                     decided_by=decided_by, bank_caused=effective and rng.random() < 0.8)
    if annulled:
        step(HOUR, 3 * DAY)
        add("annulled", None, target_action_id=validation, reason="entered against the wrong complaint")
        step(HOUR, DAY)
        add("validated", None, effective=not effective, decided_by=decided_by, bank_caused=False)
    step(HOUR, 3 * DAY)
    add("callback", handler, satisfied=rng.random() < 0.8)
    if rng.random() < 0.02:
        step(DAY, 20 * DAY)
        add("reopened", head, reason="customer not satisfied")
        handle_to_close()
    return out


def actions(complaints: int, bank: Bank, seed: int) -> Iterator[dict[str, Any]]:
    """Every action of `complaints` complaints over the year 2024, in order of arrival."""
    rng = random.Random(seed + 1)
    starts = sorted(YEAR_START + rng.uniform(0, YEAR_SECONDS - 30 * DAY) for _ in range(complaints))
    pending: list[tuple[float, int, dict[str, Any]]] = []
    order = 0
    for number, received in enumerate(starts, start=1):
        while pending and pending[0][0] <= received:
            yield heapq.heappop(pending)[2]
        for arrives, data in lifecycle(rng, bank, number, received):
            heapq.heappush(pending, (arrives, order, data))
            order += 1
    while pending:
        yield heapq.heappop(pending)[2]


def write_bank(folder: Path, complaints: int, seed: int, outlet_count: int | None = None) -> tuple[Path, Path, int]:
    """Write `bank.yaml` and `actions.jsonl` into folder; returns their paths and the number of actions."""
    folder.mkdir(parents=True, exist_ok=True)
    spec, bank = organisation(outlet_count or outlets_for(complaints), seed)
    org_path, actions_path = folder / "bank.yaml", folder / "actions.jsonl"
    org_path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    count = 0
    with actions_path.open("w", encoding="utf-8") as out:
        for data in actions(complaints, bank, seed):
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
            count += 1
    return org_path, actions_path, count
