"""A believable demo bank: a Shanghai-like branch, its sub-branches and outlets, and a year of complaints.

Deterministic for a seed. Outlets differ in quality (how often customers complain, how fast staff act,
how often a regulator gets involved), so the red/black list means something; heads change mid-year so
fines follow dated roles; complaints take every path DOMAIN.md describes, with a few corrections.
It writes the contract's organisation file and actions file, so loading it exercises `import`.
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

TZ = timezone(timedelta(hours=8))
HOUR, DAY = 3600.0, 86400.0
DISTRICTS = ("浦东 Pudong", "黄浦 Huangpu", "静安 Jing'an", "徐汇 Xuhui", "长宁 Changning", "普陀 Putuo",
             "虹口 Hongkou", "杨浦 Yangpu", "闵行 Minhang", "宝山 Baoshan", "嘉定 Jiading", "松江 Songjiang",
             "青浦 Qingpu", "奉贤 Fengxian", "金山 Jinshan", "崇明 Chongming")
CATEGORIES = (  # from the seed articles
    ("service attitude 服务态度", 18), ("fees 收费", 12), ("bank cards 银行卡", 14),
    ("wealth-product mis-selling 理财销售", 8), ("account controls 账户管控", 10), ("e-payment 电子支付", 12),
    ("credit-card repayment negotiation 信用卡协商还款", 10), ("loan extension 贷款展期", 6),
    ("customer misunderstanding 消费者误解", 10),
)
CHANNELS = (("hotline", 40), ("app", 20), ("web", 8), ("outlet", 22), ("email", 4), ("letter", 6))
# The branch's departments (部室) that answer for complaints in their line of business (对口部门).
DEPARTMENTS = (("D-RETAIL", "个人金融部 Retail banking"), ("D-CARD", "信用卡部 Cards"),
               ("D-OPS", "运行管理部 Operations"), ("D-ONLINE", "网络金融部 Online banking"))
LINE_OF = {"fees": "D-OPS", "account": "D-OPS", "bank cards": "D-CARD", "credit-card": "D-CARD",
           "e-payment": "D-ONLINE"}  # a category's first words -> its department; the rest are retail's
PRESIDENT = "P-SH-PRES"


@dataclass(frozen=True)
class Outlet:
    id: str
    quality: float  # < 1 a good outlet, > 1 a poor one: scales complaints, delays and regulator transfers
    handlers: tuple[str, ...]
    heads: tuple[tuple[str, float], ...]  # (person, from timestamp)

    def head(self, when: float) -> str:
        return [p for p, start in self.heads if start <= when][-1]


def organisation(outlets: int, seed: int, year: int) -> tuple[dict[str, Any], list[Outlet]]:
    rng = random.Random(seed)
    units: list[dict[str, Any]] = [{"id": "HQ", "name": "总行 Head office", "kind": "hq"},
                                   {"id": "SH", "name": "上海分行 Shanghai branch", "kind": "branch", "parent": "HQ"}]
    people: list[dict[str, Any]] = [{"id": "P-SH-PRES", "name": "行长 President Shanghai",
                                     "roles": [{"role": "president", "unit": "SH", "from": f"{year - 3}-01-01"}]}]
    for department, name in DEPARTMENTS:
        units.append({"id": department, "name": name, "kind": "department", "parent": "SH"})
        people.append({"id": f"P-{department}-H", "name": f"部门负责人 Head {name.split()[0]}",
                       "roles": [{"role": "head", "unit": department, "from": f"{year - 3}-01-01"}]})
    subs = min(len(DISTRICTS), max(1, outlets // 20))
    for s in range(subs):
        sub = f"SB-{s + 1:02d}"
        units.append({"id": sub, "name": f"{DISTRICTS[s]} 支行 sub-branch", "kind": "sub_branch", "parent": "SH"})
        people.append({"id": f"P-{sub}-VP", "name": f"分管行长 VP {DISTRICTS[s].split()[1]}",
                       "roles": [{"role": "supervising_vp", "unit": sub, "from": f"{year - 3}-01-01"}]})
    made: list[Outlet] = []
    for o in range(outlets):
        outlet, sub = f"O-{o + 1:04d}", f"SB-{o % subs + 1:02d}"
        district = DISTRICTS[o % subs].split()
        units.append({"id": outlet, "name": f"{district[0]}{o // subs + 1}号网点 {district[1]} outlet {o // subs + 1}",
                      "kind": "outlet", "parent": sub, "customers": rng.randrange(8_000, 120_000)})
        head, heads = f"P-{outlet}-H", [(f"P-{outlet}-H", 0.0)]
        roles = [{"role": "head", "unit": outlet, "from": f"{year - 3}-01-01"}]
        if rng.random() < 0.08:  # a new head mid-year: the old one answers for what was received before
            change = datetime(year, rng.randrange(3, 12), 1, tzinfo=TZ)
            roles[0]["to"] = (change - timedelta(days=1)).date().isoformat()
            people.append({"id": f"{head}2", "name": f"网点负责人 Head {outlet} (new)",
                           "roles": [{"role": "head", "unit": outlet, "from": change.date().isoformat()}]})
            heads.append((f"{head}2", change.timestamp()))
        people.append({"id": head, "name": f"网点负责人 Head {outlet}", "roles": roles})
        handlers = tuple(f"P-{outlet}-C{k}" for k in (1, 2))
        people.extend({"id": h, "name": f"投诉联系人 Handler {h[2:]}",
                       "roles": [{"role": "handler", "unit": outlet, "from": f"{year - 3}-01-01"}]} for h in handlers)
        made.append(Outlet(outlet, rng.lognormvariate(0, 0.6), handlers, tuple(heads)))
    return {"units": units, "people": people}, made


class Story:
    """One complaint's actions, each with the time it reaches the system (sometimes late)."""

    def __init__(self, rng: random.Random, cid: str, outlet: Outlet, received: float) -> None:
        self.rng, self.cid, self.outlet, self.t = rng, cid, outlet, received
        self.actions: list[tuple[float, dict[str, Any]]] = []
        self.handler = rng.choice(outlet.handlers)
        self.head = outlet.head(received)

    def add(self, action: str, actor: str | None = None, late: float = 0.0, **fields: Any) -> str:
        action_id = f"{self.cid}-{len(self.actions) + 1:02d}"
        data = {"action_id": action_id, "complaint_id": self.cid, "action": action,
                "at": datetime.fromtimestamp(self.t, TZ).isoformat(timespec="seconds"),
                **({"actor": actor} if actor else {}), **fields}
        self.actions.append((self.t + late, data))
        return action_id

    def wait(self, low: float, high: float) -> None:
        """Time passes; a poor outlet is slower."""
        self.t += self.rng.uniform(low, high) * min(self.outlet.quality, 4.0)


def story(rng: random.Random, number: int, outlet: Outlet, received: float, year: int,
          recent: list[tuple[str, str]], others: list[str]) -> Story:
    s = Story(rng, f"C-{year}-{number:06d}", outlet, received)
    if recent and rng.random() < 0.04:  # the same customer comes back about the same thing (重复投诉)
        customer, category = rng.choice(recent[-200:])
    else:
        customer = f"CUST-{rng.randrange(10**8):08d}"
        category = rng.choices(*zip(*CATEGORIES, strict=True))[0]
        recent.append((customer, category))
    via = rng.choices(("direct", "hq", "pboc", "nfra"), (84, 8, 5 * outlet.quality, 3 * outlet.quality))[0]
    kind = "work_order" if via == "hq" and rng.random() < 0.5 else "complaint"
    s.add("received", s.handler, outlet=outlet.id, channel=rng.choices(*zip(*CHANNELS, strict=True))[0], via=via,
          kind=kind, category=category, customer_ref=customer)
    s.wait(0.05 * HOUR, 2 * HOUR)
    if rng.random() < 0.03:  # handed to another unit: the first responder passes it on (首问负责)
        s.add("assigned", s.head, assignee=s.handler, outlet=rng.choice(others))
    else:
        s.add("assigned", s.head, assignee=s.handler)
    s.wait(0.1 * HOUR, 3 * HOUR)
    s.add("contacted", s.handler, note="called the customer")
    if rng.random() < 0.04 * outlet.quality:
        s.add("escalated", s.handler, level=rng.choice(("sub_branch", "branch")), reason="疑难投诉 difficult case")
    if rng.random() < 0.03:
        s.wait(HOUR, DAY)
        s.add("withdrawn", s.handler, note="撤诉 the customer withdrew")
        if rng.random() > 0.3:
            return s
        s.wait(DAY, 5 * DAY)
        s.add("reopened", s.head, reason="重复投诉 the customer came back")
    if rng.random() < 0.05 * outlet.quality:
        s.add("extended", s.head, days=15, approved_by=s.head, reason="情况复杂 complex case")
    if rng.random() < 0.03:
        s.add("mediation_requested", s.head, mediator="上海银行业纠纷调解中心 mediation centre")
        s.wait(DAY, 10 * DAY)
        s.add("mediation_concluded", s.head, success=rng.random() < 0.7, amount=f"{rng.randrange(0, 20000)}.00")
    s.wait(0.5 * HOUR, 6 * HOUR)
    s.add("handled", s.handler, outcome=rng.choices(("resolved", "partial", "rejected"), (70, 18, 12))[0])
    s.wait(0.2 * HOUR, 3 * HOUR)
    s.add("feedback", s.handler)
    s.wait(0.2 * HOUR, DAY)
    s.add("closed", s.handler)
    validate(s, via, kind)
    if rng.random() < 0.97 / max(outlet.quality, 1.0):  # a poor outlet forgets some callbacks (回访)
        s.wait(DAY, 4 * DAY)
        s.add("callback", s.handler, satisfied=rng.random() < 0.9 / min(outlet.quality, 1.5))
    assess(s)
    return s


def assess(s: Story) -> None:
    """What the assessment adds once a complaint is validated: the departments' shares, appeals against fines,
    rewards where the bank was not at fault. Drawn from the complaint's own generator (seeded by its id), so
    the rest of the bank comes out as it always did."""
    validations = [data for _, data in s.actions if data["action"] == "validated"]
    if not validations:
        return
    rng, standing = random.Random(s.cid), validations[-1]
    received = s.actions[0][1]
    s.t += rng.uniform(HOUR, DAY)
    if standing["effective"]:
        line = next((d for words, d in LINE_OF.items() if received["category"].startswith(words)), "D-RETAIL")
        other = rng.choice([d for d, _ in DEPARTMENTS if d != line])
        shares = rng.choice(({line: "1"}, {line: "0.6", other: "0.4"}, {line: "0.5", other: "0.5"}))
        s.add("responsibility_assigned", PRESIDENT, shares=shares, reason="消保委认定 committee's finding")
        if rng.random() < 0.1:  # the outlet's head contests the fine (申诉)
            s.t += rng.uniform(DAY, 5 * DAY)
            appeal = s.add("appealed", s.head, subject=s.head, rule=f"fine.{fine_tier(s, standing)}",
                           reason="客户误解，非网点过错 the customer misunderstood; not the outlet's fault")
            if rng.random() < 0.85:  # some wait past their deadline
                s.t += rng.uniform(2 * DAY, 20 * DAY)
                overturned = rng.random() < 0.35
                s.add("appeal_decided", PRESIDENT, appeal_action_id=appeal,
                      decision="overturned" if overturned else "upheld",
                      reason="录音证实解释到位 the recording shows a full explanation" if overturned
                      else "过错成立 the fault stands", evidence=f"录音/工单 {s.cid}")
    elif not standing["bank_caused"] and rng.random() < 0.05:  # special contribution (特殊贡献)
        s.add("rewarded", PRESIDENT, recipient=rng.choice((s.handler, s.outlet.id)),
              reason="耐心解释化解误解 patient explanation resolved a misunderstanding")


def fine_tier(s: Story, validation: dict[str, Any]) -> str:
    """The tier the scores will give (domain.scoring.tier): aggravated, regulator, branch or hq."""
    if any(d["action"] in ("compensated", "public_opinion") for _, d in s.actions):
        return "aggravated"
    decided = validation["decided_by"]
    return "regulator" if decided in ("pboc", "nfra") else decided


def validate(s: Story, via: str, kind: str) -> None:
    rng, quality = s.rng, s.outlet.quality
    if kind != "complaint" or rng.random() < 0.4:
        return
    s.wait(DAY, 6 * DAY)
    effective = rng.random() < min(0.9, 0.25 * quality)
    if effective and rng.random() < 0.12:
        s.add("compensated", s.head, late=DAY * rng.random(), amount=f"{rng.randrange(100, 8000)}.00")
    if effective and rng.random() < 0.03:
        s.add("public_opinion", s.head, note="舆情 posted on social media")
    decided = via if via in ("pboc", "nfra") else rng.choices(("hq", "branch"), (85, 15))[0]
    validation = s.add("validated", None, effective=effective, decided_by=decided, bank_caused=effective)
    if rng.random() < 0.02:  # entered against the wrong complaint: corrected, never edited
        s.wait(HOUR, 2 * DAY)
        s.add("annulled", None, target_action_id=validation, reason="validation entered against the wrong complaint")
        s.add("validated", None, effective=not effective, decided_by=decided, bank_caused=not effective)


def actions(outlets: list[Outlet], seed: int, year: int, months: int, per_outlet: float) -> Iterator[dict[str, Any]]:
    """Every action of the period, in order of arrival (late ones where they arrive)."""
    rng = random.Random(seed + 1)
    start = datetime(year, 1, 1, tzinfo=TZ).timestamp()
    span = (datetime(year + months // 12, months % 12 + 1, 1, tzinfo=TZ).timestamp() - start) - 15 * DAY
    weights = [o.quality for o in outlets]
    count = round(per_outlet * len(outlets) * months / 12)
    received = sorted(start + rng.uniform(0, span) for _ in range(count))
    pending: list[tuple[float, int, dict[str, Any]]] = []
    order = 0
    recent: list[tuple[str, str]] = []
    ids = [o.id for o in outlets]
    for number, moment in enumerate(received, start=1):
        while pending and pending[0][0] <= moment:
            yield heapq.heappop(pending)[2]
        chosen = rng.choices(outlets, weights)[0]
        for arrives, data in story(rng, number, chosen, moment, year, recent, ids).actions:
            heapq.heappush(pending, (arrives, order, data))
            order += 1
    while pending:
        yield heapq.heappop(pending)[2]


def write(folder: Path, seed: int = 1, outlets: int = 470, months: int = 12, year: int = 2024,
          per_outlet: float = 8.0) -> tuple[Path, Path, int]:
    """Write `bank.yaml` and `actions.jsonl`; returns their paths and the number of actions."""
    if not 1 <= months <= 12:
        raise ValueError("--months must be 1 to 12")
    folder.mkdir(parents=True, exist_ok=True)
    spec, made = organisation(outlets, seed, year)
    org, acts = folder / "bank.yaml", folder / "actions.jsonl"
    org.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    count = 0
    with acts.open("w", encoding="utf-8") as out:
        for data in actions(made, seed, year, months, per_outlet):
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
            count += 1
    return org, acts, count
