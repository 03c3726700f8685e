"""What each complaint of a period is liable for, memoised per complaint version.

A period's scores and SLA summary need, per complaint, only its fine tier (`domain.scoring.Liability`)
and its SLA verdicts, yet both are pure functions of the complaint's whole history. Re-reading tens of
thousands of histories for every query is what made a quarter's scores take seconds, so the answers are
kept in the `liabilities` table keyed by the complaint's version and a digest of everything else they
depend on (the SLA rules and calendars, the bank's time zone, the code of the rules). A new event, other
rules or other code give another key, and the answer is computed afresh from the facts: the memo can
never be stale, only missing, and deleting it changes no result. SLA verdicts are kept only once they no
longer depend on the clock (every regime met, ended or not applicable); open ones are evaluated live.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from domain import scoring
from domain.facts import ComplaintFacts
from domain.periods import Period
from domain.sla import SlaRules, evaluate
from projections import queries
from projections.store import ReadModelStore

CODE = ("sla.py", "calendar.py", "scoring.py", "facts.py")  # domain modules the answers come from
LIVE = ("open", "at_risk", "paused")  # verdicts that move with the clock
FAR = timedelta(days=365 * 1000)
UPSERT = """INSERT INTO liabilities (complaint_id, version, rules, record) VALUES (?, ?, ?, ?)
    ON CONFLICT (complaint_id) DO UPDATE SET version = excluded.version, rules = excluded.rules,
    record = excluded.record"""


@dataclass
class Known:
    """One complaint of the period as scoring and the SLA summary see it."""

    complaint_id: str
    outlet: str
    kind: str
    state: str
    received_at: str  # UTC ISO, as complaint_facts keeps it
    received_id: str  # JSON of the receipt's action id: decode with orjson.loads when an entry needs it
    received_in: bool  # received in the period: its SLA verdicts count here
    liability: scoring.Liability | None  # set when validated effective in the period: its fine counts here
    verdicts: str  # "regime=verdict;..." (empty unless received_in): complaints with equal verdicts share it
    rows: list[dict[str, Any]] | None  # evaluate()'s full rows when computed live (deadlines for a watch list)


@dataclass
class Record:
    """The memo of one complaint version. Stored as lines: the settled verdicts (or nothing while they
    move with the clock), then JSON of the receipt's action id, the liability and the annulments, so a
    reader parses only the line it needs (JSON never holds a raw newline)."""

    verdicts: str | None
    received_id: str
    liability: str
    annulments: str

    def text(self) -> str:
        return "\n".join((self.verdicts or "", self.received_id, self.liability, self.annulments))

    @classmethod
    def parse(cls, text: str) -> Record:
        verdicts, received_id, owed, annulments = text.split("\n")
        return cls(verdicts or None, received_id, owed, annulments)


def _code_digest() -> str:
    domain = Path(scoring.__file__).resolve().parent
    return code_digest(*(str(domain / name) for name in CODE), __file__)  # and this module: the record's format


@lru_cache(maxsize=16)
def code_digest(*files: str) -> str:
    """A digest of some source files, read once per process: what the answers kept in the read models were
    worked out by, so another release's are never read as this one's."""
    digest = hashlib.sha256()
    for file in files:
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


def rules_key(rules: SlaRules, tz: tzinfo) -> str:
    """A digest of everything besides the facts that the answers depend on."""
    plain = asdict(rules)
    for name in ("bank_calendar", "uk_calendar"):
        plain[name] = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in plain[name].items()}
    text = orjson.dumps([plain, str(tz), _code_digest()], default=str, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:32]


def verdict_key(rows: list[dict[str, Any]]) -> str:
    return ";".join(f"{row['regime']}={row['verdict']}" for row in rows)


@lru_cache(maxsize=4096)
def verdicts_of(key: str) -> dict[str, str]:
    """regime -> verdict; shared between calls: do not change it."""
    return dict(pair.split("=") for pair in key.split(";")) if key else {}


def settled(facts: ComplaintFacts, tz: tzinfo, rules: SlaRules) -> str | None:
    """The verdicts if no clock can change them any more: the same at receipt and in a far future, with
    none open, at risk or paused (deadlines only move later with time, so the same at both ends is the
    same in between)."""
    early = verdict_key(evaluate(facts, facts.received_at, tz, rules))
    if any(v in LIVE for v in verdicts_of(early).values()):
        return None
    return early if early == verdict_key(evaluate(facts, far_after(facts.received_at), tz, rules)) else None


def far_after(moment: datetime) -> datetime:
    """A thousand years on, or the last instant a date-time has (a stored event may lie near it)."""
    try:
        return moment + FAR
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def record_of(facts: ComplaintFacts, tz: tzinfo, rules: SlaRules) -> Record:
    owed = scoring.liability(facts)
    annulments = [dict(a, at=a["at"].isoformat(), annulled_at=a["annulled_at"].isoformat())
                  for a in scoring.annulments(facts)]
    return Record(settled(facts, tz, rules), orjson.dumps(scoring.received_id(facts)).decode(),
                  orjson.dumps(owed.as_json() if owed else None).decode(), orjson.dumps(annulments).decode())


def scored(row: tuple[Any, ...]) -> bool:
    """Whether HR's scores read this complaint's memo (its `complaints.facts_row`): an effective complaint
    (its fine) or one with a correction. The rebuild fills the memo of these, so the first scores after a
    rebuild read it rather than fold every history again (16 s at 1M complaints)."""
    return bool(row[4] == "complaint" and row[7] == 1 and row[9] or row[10])


def memo_row(facts: ComplaintFacts, tz: tzinfo, rules: SlaRules, key: str) -> list[tuple[Any, ...]]:
    """The memo row of one complaint version (none when its record cannot be made: the query says why)."""
    try:
        return [(facts.complaint_id, facts.version, key, record_of(facts, tz, rules).text())]
    except Exception:  # noqa: BLE001 - the scores that read it report the failure with its complaint
        return []


def _memo(store: ReadModelStore, columns: str, where: str, params: list[Any], tz: tzinfo, rules: SlaRules,
          live: Callable[[tuple[Any, ...]], bool] = lambda row: False,
          ) -> tuple[list[tuple[Any, ...]], dict[str, Record], dict[str, ComplaintFacts]]:
    """Rows of complaint_facts `f` (complaint_id first, then `columns`), each complaint's memo record,
    and the facts of those whose record was missing or that `live(row)` must evaluate now."""
    key = rules_key(rules, tz)
    rows = store.query(f"SELECT f.complaint_id, {columns}, f.version, c.version, c.rules, c.record FROM "
                       f"complaint_facts f LEFT JOIN liabilities c ON c.complaint_id = f.complaint_id WHERE {where}",
                       params)
    records: dict[str, Record] = {}
    missing: list[str] = []
    for row in rows:
        version, memo_version, memo_rules, memo = row[-4:]
        if memo_version == version and memo_rules == key:
            records[row[0]] = record = Record.parse(memo)
            if record.verdicts is None and live(row):
                missing.append(row[0])  # still moving with the clock: evaluated live by the caller
        else:
            missing.append(row[0])
    facts = queries.facts_of(store, missing)
    fresh = []
    for complaint_id in missing:
        if complaint_id not in records:
            records[complaint_id] = record = record_of(facts[complaint_id], tz, rules)
            fresh.append((complaint_id, facts[complaint_id].version, key, record.text()))
    if fresh:
        with store.transaction() as cursor:
            store.executemany(cursor, UPSERT, fresh)
    return rows, records, facts


def known(store: ReadModelStore, period: Period, tz: tzinfo, now: datetime, rules: SlaRules | None = None,
          fines: bool = True, received: bool = True) -> Iterator[Known]:
    """Every complaint received in the period (with `received`), and every one whose standing validation
    made it effective in the period (with `fines`), in no particular order; misses in the memo are filled
    on the way."""
    rules = rules or SlaRules()
    months = list(period.months)
    marks = ", ".join("?" * len(months))
    fined = f"(f.validated_month IN ({marks}) AND f.effective = 1 AND f.kind = 'complaint')" if fines else "(1 = 0)"
    got = f"(f.received_month IN ({marks}))" if received else "(1 = 0)"
    params = [*(months if received else []), *(months if fines else [])]
    either = " OR ".join(term for term, wanted in ((got, received), (fined, fines)) if wanted) or "1 = 0"
    rows, records, facts = _memo(  # `either` names only real terms: SQLite scans the table on "(1 = 0) OR ..."
        store, f"f.outlet, f.kind, f.state, f.received_at, {got}, {fined}", either, params * 2,
        tz, rules, live=lambda row: bool(row[5]))
    for complaint_id, outlet, kind, state, received_at, received_in, is_fined, *_ in rows:
        record = records[complaint_id]
        rows_now, verdicts = None, ""
        if received_in:
            if record.verdicts is None:
                rows_now = evaluate(facts[complaint_id], now, tz, rules)
                verdicts = verdict_key(rows_now)
            else:
                verdicts = record.verdicts
        owed = scoring.Liability.from_json(orjson.loads(record.liability)) if is_fined else None
        yield Known(complaint_id, outlet, kind, state, received_at, record.received_id,
                    bool(received_in), owed, verdicts, rows_now)


def annulled(store: ReadModelStore, tz: tzinfo, before: datetime, rules: SlaRules | None = None,
             ) -> Iterator[tuple[str, datetime, list[dict[str, Any]]]]:
    """(outlet, received_at, annulments) of every complaint received before `before` with a correction."""
    rows, records, _ = _memo(store, "f.outlet, f.received_at",
                             "f.annulments > 0 AND f.received_at < ?",  # no ORDER BY: it would scan the table
                             [before.astimezone(UTC).isoformat()], tz, rules or SlaRules())
    for complaint_id, outlet, received_at, *_ in sorted(rows):
        found = [dict(a, at=datetime.fromisoformat(a["at"]), annulled_at=datetime.fromisoformat(a["annulled_at"]))
                 for a in orjson.loads(records[complaint_id].annulments)]
        if found:
            yield outlet, datetime.fromisoformat(received_at), found
