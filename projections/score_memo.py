"""HR's scores of a period, kept once worked out: a row per person with the sums, and the evidence beside them.

A quarter's scores fold every effective complaint's history through the policy (17 s at 1M complaints), yet HR
reads the same quarter again and again. So each answer is kept per period, keyed by a digest of the policy and
of the SLA rules, together with its *basis*: the generations of the months the answer reads and the
organisation's version. Every fold bumps the generation of each month its complaints have anything in (their
receipt and every action's time: scoring reads no other time), so an answer's basis moves exactly when something it
was worked out from may have changed: it can never be stale, only missing, and deleting it changes no result.
A month's new events leave the other quarters' answers standing. The rebuild fills every quarter's answer under
the policy and rules in force before its version goes live (`plaintrail.commands.scores.fill`).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Collection, Iterable
from datetime import datetime, tzinfo
from typing import Any

import orjson

from domain.facts import ComplaintFacts
from domain.periods import Period
from domain.policy import Policy
from projections import liabilities, queries, scores
from projections.bulk import few_collections
from projections.store import ReadModelStore

MARK = """INSERT INTO month_changes (month, generation) VALUES (?, 1)
    ON CONFLICT (month) DO UPDATE SET generation = month_changes.generation + 1"""
TOTALS = ("person", "name", "fines_cny", "points", "positive_points", "negative_points", "rewards_cny")


def touched(facts: ComplaintFacts) -> set[str]:
    """The months one complaint's answers can lie in: its receipt and every action's time (a fine falls in the
    validation's month, a reward in its own, a correction in the annulment's or its target's), in any time zone.

    Hot: a time is not converted to the bank's zone (21 us a complaint): its own calendar month is taken, and the
    next or the one before when it lies within a day of the turn of a month, where the bank's month may differ (no
    two zones are a day apart). A month too many only leaves a kept answer to be worked out again."""
    return months_of([facts.received_at, *(h["at"] for h in facts.history.values())])


def months_of(moments: Iterable[datetime]) -> set[str]:
    found: set[tuple[int, int]] = set()
    add = found.add
    for moment in moments:
        year, month, day = moment.year, moment.month, moment.day
        add((year, month))
        if day == 1:
            add((year - 1, 12) if month == 1 else (year, month - 1))
        elif day >= 28:
            add((year + 1, 1) if month == 12 else (year, month + 1))
    return {_MONTHS[key] for key in found}


class _Months(dict[tuple[int, int], str]):
    """'YYYY-MM' of (year, month), each made once."""

    def __missing__(self, key: tuple[int, int]) -> str:
        text = self[key] = f"{key[0]:04d}-{key[1]:02d}"
        return text


_MONTHS = _Months()


class Marks:
    """`touched` of the complaints a folding process has seen, with how much of each history it covers: a fold
    then reads only the entries it added (histories only grow; one shorter than seen, after a rollback, is
    read again whole)."""

    def __init__(self) -> None:
        self.seen: dict[str, tuple[int, set[str]]] = {}

    def of(self, facts: ComplaintFacts) -> set[str]:
        count, known = len(facts.history), self.seen.get(facts.complaint_id)
        if known is not None and known[0] == count:
            return known[1]
        if known is None or known[0] > count:
            months = touched(facts)
        else:
            months = known[1] | months_of([h["at"] for h in list(facts.history.values())[known[0]:]])
        self.seen[facts.complaint_id] = (count, months)
        return months

    def keep_only(self, complaint_ids: Collection[str]) -> None:
        self.seen = {i: self.seen[i] for i in complaint_ids if i in self.seen}


def months_read(period: Period, policy: Policy, tz: tzinfo) -> list[str]:
    """The months a period's scores read: its own and the repeat-error window before it."""
    window = scores.window_months(period.start(tz), scores.notice_window(policy), tz)
    return sorted({*period.months, *(str(month) for month in window)})


def key(policy: Policy, rules_key: str) -> str:
    """The policy (every version, as parsed), the SLA rules' own key (rules, calendars, time zone, their code) and
    the code that works the scores out: another release's answers are never read as this one's."""
    from domain import assessment, orgchart, scoring

    code = liabilities.code_digest(*(str(m.__file__) for m in (assessment, orgchart, scoring, liabilities, queries,
                                                                scores, sys.modules[__name__])))
    return hashlib.sha256(f"{policy!r}|{rules_key}|{code}".encode()).hexdigest()[:32]


def basis(store: ReadModelStore, months: list[str]) -> str:
    marks = ", ".join("?" * len(months))
    (generations,), = store.query(f"SELECT COALESCE(SUM(generation), 0) FROM month_changes WHERE month IN ({marks})",
                                  months)
    organisation = store.query("SELECT value FROM readmodel_meta WHERE key = 'organisation_version'")
    return f"{int(generations)}:{organisation[0][0] if organisation else 0}"


def _kept(store: ReadModelStore, period: Period, key: str, basis: str) -> list[Any] | None:
    """The kept answer's corrections, or None when it is missing, of another basis, or short of any row."""
    found = store.query("SELECT basis, corrections, people, (SELECT COUNT(*) FROM score_rows r WHERE r.period = "
                        "m.period AND r.key = m.key) FROM score_memo m WHERE period = ? AND key = ?",
                        (str(period), key))
    if not found or found[0][0] != basis or found[0][2] != found[0][3]:
        return None
    return orjson.loads(found[0][1])  # type: ignore[no-any-return]


@few_collections()
def read(store: ReadModelStore, period: Period, key: str, basis: str,
         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """(rows, corrections) as last worked out, or None when missing or worked out from another basis."""
    corrections = _kept(store, period, key, basis)
    if corrections is None:
        return None
    rows = store.query("SELECT row FROM score_rows WHERE period = ? AND key = ? ORDER BY person", (str(period), key))
    return [orjson.loads(row) for row, in rows], corrections


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A person's sums without the evidence: the complaints and entries behind them counted."""
    return {**{k: row[k] for k in TOTALS}, "complaints": len({e["complaint_id"] for e in row["entries"]}),
            "entry_count": len(row["entries"])}


@few_collections()
def totals(store: ReadModelStore, period: Period, key: str, basis: str) -> list[dict[str, Any]] | None:
    """Each person's `summary`, or None when missing."""
    if _kept(store, period, key, basis) is None:
        return None
    rows = store.query(f"SELECT {', '.join(TOTALS)}, complaints, entries FROM score_rows WHERE period = ? AND key = ? "
                       "ORDER BY person", (str(period), key))
    loads = orjson.loads
    return [{"person": p, "name": n, "fines_cny": f, "points": loads(points), "positive_points": loads(plus),
             "negative_points": loads(minus), "rewards_cny": r, "complaints": c, "entry_count": e}
            for p, n, f, points, plus, minus, r, c, e in rows]


def one(store: ReadModelStore, period: Period, key: str, basis: str, person: str) -> dict[str, Any] | None:
    """One person's row with the evidence; {} when the kept answer holds nobody of that id; None when missing."""
    if _kept(store, period, key, basis) is None:
        return None
    rows = store.query("SELECT row FROM score_rows WHERE period = ? AND key = ? AND person = ?",
                       (str(period), key, person))
    return orjson.loads(rows[0][0]) if rows else {}


def write(store: ReadModelStore, period: Period, key: str, on: str, rows: list[dict[str, Any]],
          corrections: list[dict[str, Any]], months: list[str]) -> None:
    """Keep an answer worked out on the basis `on` of `months` (read before the answer's own reads: a fold in
    between leaves it kept under a basis that is already past, never matched again). Answers of the period under
    other keys whose basis has moved are dropped with it (bases only grow: they would never be read again). Two
    processes keeping the same period at once both succeed (rows are upserted; one left over from the other's
    answer makes the count differ, so the answer reads as missing), and a store that refuses the write still
    answers: keeping is never a condition."""
    kept = [(str(period), key, *(orjson.dumps(v).decode() if k.endswith("points") else v
                                 for k, v in summary(r).items()), orjson.dumps(r).decode()) for r in rows]
    columns = ", ".join(TOTALS)
    updated = ", ".join(f"{c} = excluded.{c}" for c in (*TOTALS[1:], "complaints", "entries", "row"))
    try:
        past = [other for other, its_basis, its_months in store.query(
            "SELECT key, basis, months FROM score_memo WHERE period = ? AND key <> ?", (str(period), key))
            if its_basis != basis(store, its_months.split(","))]
        with store.transaction() as cursor:
            for gone in (key, *past):
                store.execute(cursor, "DELETE FROM score_rows WHERE period = ? AND key = ?", (str(period), gone))
            for gone in past:
                store.execute(cursor, "DELETE FROM score_memo WHERE period = ? AND key = ?", (str(period), gone))
            store.execute(cursor, "INSERT INTO score_memo (period, key, basis, months, corrections, people) "
                          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (period, key) DO UPDATE SET basis = excluded.basis, "
                          "months = excluded.months, corrections = excluded.corrections, people = excluded.people",
                          (str(period), key, on, ",".join(months), orjson.dumps(corrections).decode(), len(kept)))
            store.executemany(cursor, f"INSERT INTO score_rows (period, key, {columns}, complaints, entries, row) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (period, key, person) DO UPDATE "
                              f"SET {updated}",
                              kept)
    except Exception:  # noqa: BLE001, S110 - see the docstring: the answer stands, only it is not kept
        pass
