"""Hostile input: thousands of generated bad actions and files; no crash, nothing valid lost, every reject explained."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.actions import ACTION_NAMES, InvalidAction, parse_action
from plaintrail.cli import main
from plaintrail.output import write_csv
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

BANK = Path(__file__).resolve().parents[1] / "examples" / "bank.yaml"
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=20)
KEYS = ["action_id", "complaint_id", "action", "at", "actor", "outlet", "channel", "via", "kind", "amount",
        "effective", "decided_by", "target_action_id", "days", "personal", "source"]


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), JSON, max_size=10))
def test_parse_action_accepts_or_explains_never_crashes(data: dict[str, Any]) -> None:
    try:
        parse_action(data)
    except InvalidAction as error:
        assert str(error)


def test_csv_exports_neutralise_formulas(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    write_csv([{"unit": "=cmd|' /C calc'!A0", "name": "+SUM(A1)", "n": "-5", "note": "@x", "ok": "plain"}],
              str(target))
    row = next(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert row == {"unit": "'=cmd|' /C calc'!A0", "name": "'+SUM(A1)", "n": "-5", "note": "'@x", "ok": "plain"}


# ---------------------------------------------------------------------------------------------------
# The mixed-file fuzz: a seeded generator writes valid lifecycles of every action kind and damaged lines
# of every kind, and knows, line by line, what import must do with each.

OUTLETS = ["O-001", "O-002", "O-003", "O-004"]
OFFSETS = ["+08:00", "+00:00", "-05:00", "+05:30", "Z", "-03:30", "+14:00", "-12:00"]
COLUMNS = ["action_id", "complaint_id", "action", "at", "actor", "outlet", "channel", "via", "kind", "category",
           "customer_ref", "assignee", "note", "outcome", "satisfied", "level", "reason", "mediator", "success",
           "amount", "effective", "decided_by", "bank_caused", "target_action_id", "days", "approved_by",
           "appraiser", "shares", "recipient", "subject", "rule", "appeal_action_id", "decision", "evidence"]
TEXTS = ["plain", "fees, charges, and more", 'she said "no"', "网点 服务 態度", "tab\there", "bell\x07 and\x1b esc",
         "nul\x00inside", "two\nlines", "crlf\r\nin text", "line\u2028separator", "emoji 🙂", " padded ", "x" * 3900]
IN_PROGRESS = {"open", "assigned", "contacted", "handled", "answered"}
WITHIN = {  # the valid next steps this generator takes from each state (the contract's lifecycle)
    "open": ["assigned", "contacted", "handled", "escalated", "extended", "appraisal_started", "withdrawn"],
    "assigned": ["contacted", "handled", "escalated", "appraisal_ended", "assigned"],
    "contacted": ["handled", "contacted", "extended"],
    "handled": ["feedback", "closed", "closed", "handled"],
    "answered": ["closed", "feedback"],
    "closed": ["callback", "reopened"],
    "withdrawn": ["reopened"],
}
FACTS = ["validated", "compensated", "public_opinion", "mediation_requested", "mediation_concluded"]
MOVES_TO = {"received": "open", "assigned": "assigned", "contacted": "contacted", "handled": "handled",
            "feedback": "answered", "closed": "closed", "withdrawn": "withdrawn", "reopened": "open"}
NOT_IN = {  # an action and states in which the lifecycle refuses it
    "callback": {"open", "assigned", "contacted", "handled", "answered", "withdrawn"},
    "reopened": {"open", "assigned", "contacted", "handled", "answered"},
    "feedback": {"open", "assigned", "contacted", "closed", "withdrawn"},
    "closed": {"open", "assigned", "contacted", "closed", "withdrawn"},
    "assigned": {"closed", "withdrawn"},
    "validated": {"withdrawn"},
}


@dataclass
class Case:
    cid: str
    state: str = "new"
    clock: datetime = datetime(2020, 1, 1, tzinfo=UTC)
    facts: list[str] = field(default_factory=list)  # recorded ids that moved nothing: they may be annulled
    validations: list[tuple[str, bool]] = field(default_factory=list)  # standing ones: (action id, bank_caused)
    open_appeals: list[str] = field(default_factory=list)  # appeals not decided yet (never annulled here)
    recorded: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Expect:
    line: int
    outcome: str  # "accepted", "duplicate", "rejected"
    action_id: str = ""
    what: str = ""


def with_departments(folder: Path) -> Path:
    """The example bank with the two departments the fuzz's shares name."""
    org = yaml.safe_load(BANK.read_text(encoding="utf-8"))
    top = next(u["id"] for u in org["units"] if u["kind"] == "hq")
    org["units"] += [{"id": d, "kind": "department", "parent": top} for d in ("D-1", "D-2")]
    path = folder / "bank-with-departments.yaml"
    path.write_text(yaml.safe_dump(org, allow_unicode=True), encoding="utf-8")
    return path


class MixedFile:
    """Lines for one format; `expect` says, per first line of each record, what import must do with it."""

    def __init__(self, fmt: str, seed: int) -> None:
        self.fmt, self.rng = fmt, random.Random(seed)
        self.chunks: list[bytes] = [b"\xef\xbb\xbf"]  # a BOM on the first line
        self.line = 1
        self.expect: list[Expect] = []
        self.cases: list[Case] = []
        self.serial = 0
        self.huge = 0
        if fmt == "csv":
            self._emit(",".join(COLUMNS).encode() + b"\n")

    # -- writing -------------------------------------------------------------------------------

    def _emit(self, data: bytes) -> int:
        start = self.line
        self.chunks.append(data)
        self.line += data.count(b"\n")
        return start

    def encode(self, action: dict[str, Any], crlf: bool = False) -> bytes:
        end = "\r\n" if crlf else "\n"
        if self.fmt == "jsonl":
            return (json.dumps(action, ensure_ascii=self.rng.random() < 0.5) + end).encode()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=end)
        writer.writerow(["" if action.get(c) is None else str(action[c]).lower() if isinstance(action[c], bool)
                         else str(action[c]) for c in COLUMNS])
        return out.getvalue().encode()

    def add(self, action: dict[str, Any], outcome: str, what: str, raw: bytes | None = None) -> None:
        data = raw if raw is not None else self.encode(action, crlf=self.rng.random() < 0.1)
        self.expect.append(Expect(self._emit(data), outcome, str(action.get("action_id", "")), what))

    def blank(self) -> None:
        self._emit(self.rng.choice([b"\n", b"\r\n", b"   \n"]))

    # -- valid actions -------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def text(self, simple: bool = False) -> str:
        choice = self.rng.choice(TEXTS)
        return "plain text" if simple and ("\n" in choice or "\r" in choice or "\u2028" in choice) else choice

    def at(self, case: Case) -> str:
        case.clock += timedelta(minutes=self.rng.randrange(1, 60 * 24 * 3))
        offset = self.rng.choice(OFFSETS)
        local = case.clock.astimezone(UTC if offset == "Z" else datetime.strptime(offset, "%z").tzinfo)
        return local.strftime("%Y-%m-%dT%H:%M:%S") + offset

    def fields(self, name: str, case: Case, simple: bool) -> dict[str, Any]:
        rng = self.rng
        if name == "received":
            return {"outlet": rng.choice(OUTLETS),
                    "channel": rng.choice(["hotline", "app", "web", "outlet", "email", "letter"]),
                    "via": rng.choice(["direct", "hq", "pboc", "nfra"]),
                    "kind": rng.choice(["complaint", "work_order"]),
                    "category": self.text(simple), "customer_ref": f"CUST-{rng.randrange(1000)}"}
        if name == "assigned":
            return {"assignee": rng.choice(["P-C1", "P-C3", "team a"]),
                    **({"outlet": rng.choice(OUTLETS)} if rng.random() < 0.3 else {})}
        if name in ("contacted", "feedback", "withdrawn", "closed", "public_opinion", "appraisal_ended"):
            return {"note": self.text(simple)} if rng.random() < 0.7 else {}
        if name == "handled":
            return {"outcome": rng.choice(["resolved", "partial", "rejected"])}
        if name == "callback":
            return {"satisfied": rng.random() < 0.5}
        if name == "escalated":
            return {"level": rng.choice(["sub_branch", "branch", "hq"]), "reason": self.text(simple)}
        if name == "mediation_requested":
            return {"mediator": "金融纠纷调解中心"}
        if name == "mediation_concluded":
            return {"success": rng.random() < 0.5, "amount": f"{rng.randrange(0, 10**6)}.{rng.randrange(100):02d}"}
        if name == "validated":
            return {"effective": rng.random() < 0.6, "decided_by": rng.choice(["hq", "pboc", "nfra", "branch"]),
                    "bank_caused": rng.random() < 0.5}
        if name == "compensated":
            return {"amount": rng.choice(["0", "12.5", "1000000.00", "9999999999999.99"])}
        if name == "reopened":
            return {"reason": "the customer came back"}
        if name == "extended":
            return {"days": rng.randrange(1, 46), "approved_by": "P-PRES", "reason": self.text(simple)}
        if name == "appraisal_started":
            return {"appraiser": self.text(simple)}
        if name == "annulled":
            target = case.facts.pop(rng.randrange(len(case.facts)))
            case.validations = [v for v in case.validations if v[0] != target]
            return {"target_action_id": target, "reason": "entered in error"}
        if name == "responsibility_assigned":
            shares = rng.choice(({"D-1": "1"}, {"D-1": "0.25", "D-2": "0.75"}))
            return {"shares": ";".join(f"{d}={v}" for d, v in shares.items()) if self.fmt == "csv" else shares}
        if name == "rewarded":
            return {"recipient": rng.choice(["P-C1", "O-001"]), "reason": self.text(simple)}
        if name == "appealed":
            return {"subject": self.new_id("P"), "rule": "fine.hq", "reason": self.text(simple)}
        if name == "appeal_decided":
            return {"actor": "P-PRES", "appeal_action_id": case.open_appeals.pop(0),
                    "decision": rng.choice(["upheld", "overturned"]), "reason": "decided",
                    "evidence": self.text(simple)}
        raise AssertionError(name)

    def valid(self, simple: bool = False) -> None:
        """The next valid step of a live complaint, or a new complaint."""
        live = [c for c in self.cases[-40:] if c.state != "new"]
        if not live or self.rng.random() < 0.15:
            case = Case(self.new_id("C"), clock=datetime(2020, 1, 1, tzinfo=UTC)
                        + timedelta(days=self.rng.randrange(0, 365 * 5 - 60)))
            self.cases.append(case)
            name = "received"
        else:
            case = self.rng.choice(live)
            options = list(WITHIN[case.state])
            if case.state != "withdrawn":
                options += [*FACTS, "responsibility_assigned", "appealed"]
                if case.validations and not case.validations[-1][1]:
                    options.append("rewarded")  # only while the bank did not cause it
                if case.open_appeals:
                    options.append("appeal_decided")
            if case.facts:
                options.append("annulled")
            name = self.rng.choice(options)
        action = {"action_id": self.new_id("A"), "complaint_id": case.cid, "action": name, "at": self.at(case),
                  **({"actor": self.rng.choice(["P-C1", "P-H2"])} if self.rng.random() < 0.3 else {}),
                  **self.fields(name, case, simple)}
        case.state = MOVES_TO.get(name, case.state)
        if name in FACTS or name in ("escalated", "extended", "public_opinion", "responsibility_assigned", "rewarded"):
            case.facts.append(action["action_id"])
        if name == "validated":
            case.validations.append((action["action_id"], action["bank_caused"]))
        elif name == "appealed":
            case.open_appeals.append(action["action_id"])
        case.recorded.append(action)
        self.add(action, "accepted", "valid")

    def duplicate(self) -> None:
        done = [c for c in self.cases if c.recorded]
        action = self.rng.choice(self.rng.choice(done).recorded)
        self.add(action, "duplicate", "the same action again")

    # -- damaged lines -------------------------------------------------------------------------

    def base(self) -> dict[str, Any]:
        cid = self.new_id("XC")
        return {"action_id": self.new_id("X"), "complaint_id": cid, "action": "received",
                "at": "2024-03-05T09:00:00+08:00", "outlet": "O-001", "channel": "hotline"}

    def damaged(self) -> None:
        rng, base = self.rng, self.base()
        live = [c for c in self.cases[-40:] if c.state != "new"]
        kinds = ["unknown action", "missing field", "wrong type", "bad enum", "bad date", "unknown outlet",
                 "control character in an id", "too long a field", "bad amount", "out of order", "not received",
                 "received twice", "id reused, other content", "annul nothing", "unknown field", "bad days"]
        kinds += ["bad json", "not an object", "deep json", "raw nul", "invalid utf-8", "bom inside", "huge line",
                  "random bytes"] \
            if self.fmt == "jsonl" else ["unclosed quote", "extra cell", "missing cell", "bare cr", "invalid utf-8"]
        kind = rng.choice(kinds)
        if kind == "huge line":
            self.huge += 1
            kind = kind if self.huge <= 2 else "bad json"  # two megabyte lines are enough
        if kind == "unknown action":
            base["action"] = rng.choice(["teleport", "", "RECEIVED", "closed\x00", "receive"])
        elif kind == "missing field":
            del base[rng.choice(["action_id", "complaint_id", "action", "at", "outlet", "channel"])]
        elif kind == "wrong type":
            base.update(rng.choice([{"action": "callback", "satisfied": "maybe"}, {"action": "handled", "outcome": 5},
                                    {"action": "validated", "effective": "perhaps", "decided_by": "hq",
                                     "bank_caused": True}]))
            base["complaint_id"] = rng.choice(live).cid if live else base["complaint_id"]
            del base["outlet"], base["channel"]
        elif kind == "bad enum":
            base[rng.choice(["channel", "via", "kind"])] = rng.choice(["fax", "telepathy", "Hotline"])
        elif kind == "bad date":
            base["at"] = rng.choice(["2024-13-01T00:00:00+08:00", "2024-02-30T09:00:00+08:00", "yesterday", "",
                                     "2024-03-05T25:00:00+08:00", "2024-03-05T09:00:00+25:00", "2024-03-05T09:00:00",
                                     "99999-01-01T00:00:00+00:00", "2024-03-05T09:00:00+08:00x"])
        elif kind == "unknown outlet":
            base["outlet"] = rng.choice(["O-999", "=cmd|' /C calc'!A0", "o-001"])
        elif kind == "control character in an id":
            key = rng.choice(["action_id", "complaint_id", "outlet"])  # inside: CSV strips \x1c-\x1f at the ends
            base[key] = base[key][:1] + rng.choice(["\x01", "\x1f", "\x7f", "\x00", "\n"]) + base[key][1:]
        elif kind == "too long a field":
            base.update(rng.choice([{"category": "x" * 4001}, {"customer_ref": "r" * 129}, {"action_id": "i" * 129}]))
        elif kind == "bad amount":
            base.update({"action": "compensated", "amount": rng.choice(["-1", "1.234", "NaN", "1e400", "abc", ""])})
            base["complaint_id"] = rng.choice(live).cid if live else base["complaint_id"]
            del base["outlet"], base["channel"]
        elif kind == "bad days":
            base.update({"action": "extended", "days": rng.choice([0, 46, "many"]), "approved_by": "P-PRES"})
            del base["outlet"], base["channel"]
        elif kind == "out of order" and live:
            case = rng.choice(live)
            name = rng.choice([n for n, states in NOT_IN.items() if case.state in states] or ["received"])
            base.update({"complaint_id": case.cid, "action": name, "at": self.at(case),
                         **({"satisfied": True} if name == "callback" else {}),
                         **({"reason": "again"} if name == "reopened" else {}),
                         **({"assignee": "P-C1"} if name == "assigned" else {}),
                         **({"effective": True, "decided_by": "hq", "bank_caused": True} if name == "validated"
                            else {})})
            if name != "received":
                del base["outlet"], base["channel"]
        elif kind == "not received":
            base.update({"action": "handled", "outcome": "resolved"})
            del base["outlet"], base["channel"]
        elif kind == "received twice" and live:
            base["complaint_id"] = rng.choice(live).cid
        elif kind == "id reused, other content" and live:
            case = rng.choice([c for c in live if c.recorded])
            base = {**rng.choice(case.recorded)}
            base["at"] = self.at(case)  # same id, same complaint, another time: not a duplicate
        elif kind == "annul nothing":
            base.update({"action": "annulled", "target_action_id": rng.choice(["NOPE", base["action_id"]]),
                         "reason": "x"})
            del base["outlet"], base["channel"]
        elif kind == "unknown field":
            base["shoe_size"] = "43" if self.fmt == "jsonl" else None
            if self.fmt == "csv":  # a CSV has no unknown column but a missing required one
                del base["channel"]
        elif kind in ("bad json", "not an object", "deep json", "raw nul", "bom inside", "huge line", "random bytes"):
            raw = {"bad json": json.dumps(base)[: rng.randrange(1, 60)].encode(),
                   "not an object": rng.choice([b"[]", b"42", b'"text"', b"null", b"true"]),
                   "deep json": b"[" * 5000 + b"]" * 5000,
                   "raw nul": json.dumps(base).replace('"hotline"', '"hot\x00line"').encode(),
                   "bom inside": b"\xef\xbb\xbf" + json.dumps(base).encode(),
                   "huge line": json.dumps({**base, "category": "y" * (1 << 20)}).encode(),
                   "random bytes": b"#" + bytes(rng.choice(range(11, 256)) for _ in range(rng.randrange(80)))}[kind]
            self.add(base, "rejected", kind, raw + b"\n")
            return
        elif kind == "invalid utf-8":
            line = self.encode(base).replace(b"hotline", rng.choice([b"hot\xfeline", b"\xc3(", b"\xed\xa0\x80"]))
            self.add(base, "rejected", kind, line)
            return
        elif kind in ("unclosed quote", "extra cell", "missing cell", "bare cr"):
            line = self.encode(base).rstrip(b"\n")
            cells = line.split(b",")
            if kind == "unclosed quote":
                cells[rng.randrange(len(cells))] = b'"' + rng.choice([b"unclosed", b"", b"a, b"])
            elif kind == "extra cell":
                cells.append(b"extra")
            elif kind == "missing cell":
                cells.pop()
            else:
                cells[2] = b"rec\reived"
            self.add(base, "rejected", kind, b",".join(cells) + b"\n")
            if kind == "unclosed quote":
                self.valid(simple=True)  # the next line is a record of its own: reading resumes there
            return
        else:  # a kind that needs a live complaint, before there is one
            base["action"] = "teleport"
        self.add(base, "rejected", kind)

    def build(self, lines: int) -> bytes:
        while self.line <= lines:
            roll = self.rng.random()
            if roll < 0.5 or not self.cases:
                self.valid()
            elif roll < 0.55:
                self.duplicate()
            elif roll < 0.57:
                self.blank()
            else:
                self.damaged()
        return b"".join(self.chunks)


def recorded_action_ids(home: Path) -> Counter[str]:
    """Every complaint event in the store, counted by its action_id."""
    log = open_log(Settings(home=home))  # held: the store closes when the log is collected
    recorder, ids, start = log.recorder, Counter[str](), 1
    while notifications := recorder.select_notifications(start, 5000):
        for n in notifications:
            if n.topic.startswith("domain.complaint:Complaint."):
                ids[orjson.loads(n.state)["action_id"]] += 1
        start = notifications[-1].id + 1
    return ids


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_ten_thousand_mixed_lines_lose_nothing_and_explain_every_reject(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """Valid lifecycles of every action kind among damaged lines of every kind, through `plaintrail import`:
    no crash, every valid action recorded once, every damaged line rejected with its line and a reason."""
    mixed = MixedFile(fmt, seed=14)
    file = tmp_path / f"mixed.{fmt}"
    file.write_bytes(mixed.build(lines=12_000))
    valid = [e.action_id for e in mixed.expect if e.outcome == "accepted"]
    duplicates = sum(1 for e in mixed.expect if e.outcome == "duplicate")
    damaged = {e.line: e.what for e in mixed.expect if e.outcome == "rejected"}
    assert len(mixed.expect) >= 10_000 and len(damaged) > 4000 and len(valid) > 5000
    assert {e.what for e in mixed.expect} >= {"valid", "the same action again", "unknown action", "bad date",
                                              "out of order", "invalid utf-8", "control character in an id"}
    assert {a["action"] for c in mixed.cases for a in c.recorded} == set(ACTION_NAMES)  # every kind, valid
    home = tmp_path / "home"
    assert main(["--home", str(home), "org", "load", str(with_departments(tmp_path))]) == 0
    capsys.readouterr()
    assert main(["--home", str(home), "import", str(file), "--json"]) == 1  # a crash raises, an error exits 2
    report = json.loads(capsys.readouterr().out)
    text = Path(report["rejects_file"]).read_text(encoding="utf-8")  # split at \n only: a reason may hold U+2028
    rejects = [json.loads(line) for line in text.split("\n") if line]
    by_line = {r["line"]: r for r in rejects}
    unexpected = {line: r["reason"] for line, r in by_line.items() if line not in damaged}
    missed = {line: what for line, what in damaged.items() if line not in by_line}
    assert not unexpected and not missed, (list(unexpected.items())[:5], list(missed.items())[:5])
    assert len(by_line) == len(rejects) and all(r["reason"].strip() for r in rejects)
    assert (report["accepted"], report["duplicates"], report["rejected"]) == (len(valid), duplicates, len(damaged))
    assert recorded_action_ids(home) == Counter(valid)  # each valid action once, nothing damaged recorded


OK = {"action_id": "OK-1", "complaint_id": "OK", "action": "received", "at": "2024-03-05T09:00:00+08:00",
      "outlet": "O-001", "channel": "web"}


@pytest.mark.parametrize("line", [
    pytest.param({**OK, "action_id": "D-1", "complaint_id": "D", "at": "9999-12-31T23:59:59-12:00"}, id="14.1 9999"),
    pytest.param({**OK, "action_id": "D-2", "complaint_id": "D", "at": "0001-01-01T00:00:00+14:00"}, id="14.1 y1+14"),
    pytest.param({**OK, "action_id": "D-3", "complaint_id": "D", "at": "0001-01-01T00:00:00+00:00"}, id="14.1 year 1"),
    pytest.param({"action_id": "D-4", "complaint_id": "OK", "action": "validated", "at": "9999-12-31T23:59:00-12:00",
                  "effective": True, "decided_by": "pboc", "bank_caused": True}, id="14.1 validated in 9999"),
    pytest.param({**OK, "action_id": "D-5", "complaint_id": "D", "at": "1999-12-31T23:59:59+08:00"}, id="14.1 1999"),
    pytest.param({**OK, "action_id": "D-6", "complaint_id": "D", "at": "2099-01-01T00:00:00+08:00"}, id="14.1 future"),
    pytest.param({**OK, "complaint_id": "D"}, id="14.6 an action_id reused"),
    pytest.param({**OK, "action_id": "D-8", "complaint_id": "D", "at": "2024-W10-2T09:00:00+08:00"}, id="14.8 week"),
    pytest.param({**OK, "action_id": "D-9", "complaint_id": "D", "at": "20240305T090000+0800"}, id="14.8 basic format"),
])
def test_lines_other_branches_make_rejects(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           line: dict[str, Any]) -> None:
    """Damaged lines the fuzz leaves out until their fixes are merged: each must be rejected with its line and
    a reason, and the read side must go on working."""
    file = tmp_path / "dates.jsonl"
    file.write_text(json.dumps(OK) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
    home = str(tmp_path / "home")
    assert main(["--home", home, "org", "load", str(BANK)]) == 0
    capsys.readouterr()
    assert main(["--home", home, "import", str(file), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["accepted"], report["rejected"]) == (1, 1)
    reject = json.loads(Path(report["rejects_file"]).read_text(encoding="utf-8"))
    assert reject["line"] == 2 and reject["reason"]
    assert main(["--home", home, "leaderboard", "--period", "2024", "--level", "outlet", "--json"]) == 0
