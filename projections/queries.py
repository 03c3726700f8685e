"""The questions the CLI and the dashboard ask of the read models."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import orjson

from domain.facts import ComplaintFacts
from domain.orgchart import OrgChart
from domain.periods import Period
from projections.leaderboard import rank_key, tie_key, tied_ranks
from projections.store import ReadModelStore

Line = tuple[str, str, int, int, int, int, int]


def org_chart(store: ReadModelStore) -> OrgChart:
    units = {unit: {"unit": unit, "name": name, "kind": kind, "parent": parent, "customers": customers}
             for unit, name, kind, parent, customers in store.query(
                 "SELECT unit, name, kind, parent, customers FROM org_units")}
    roles = {key: {"person": person, "role": role, "unit": unit, "start": date.fromisoformat(start),
                   "end": date.fromisoformat(end) if end else None}
             for key, person, role, unit, start, end in store.query(
                 'SELECT key, person, role, unit, start, "end" FROM org_roles')}
    return OrgChart(units, roles)


def people(store: ReadModelStore) -> dict[str, str]:
    return dict(store.query("SELECT person, name FROM org_people"))  # type: ignore[arg-type]


def outlets(store: ReadModelStore) -> list[dict[str, Any]]:
    return [{"unit": u, "name": n, "parent": p, "customers": c} for u, n, p, c in store.query(
        "SELECT unit, name, parent, customers FROM org_units WHERE kind = 'outlet' ORDER BY unit")]


def unit_names(store: ReadModelStore) -> tuple[dict[str, str], dict[str, str]]:
    """({unit: name}, {unit: kind}) of every unit."""
    rows = store.query("SELECT unit, name, kind FROM org_units")
    return {u: n for u, n, _ in rows}, {u: k for u, _, k in rows}


def assessed_facts(store: ReadModelStore) -> list[ComplaintFacts]:
    """The complaints with rewards or appeals (few: the index on `assessed` finds them)."""
    return list(_facts(store, "assessed > 0", [], few=True))


def _facts(store: ReadModelStore, where: str, params: list[Any], few: bool = False) -> Iterator[ComplaintFacts]:
    """The facts of the complaints `where` picks, in complaint id order. `few`: an index finds them, and SQLite
    would rather walk the whole table in key order for the ORDER BY than use it (410 ms at 130k complaints for
    none found), so they are sorted here."""
    if few and store.dialect == "sqlite":
        for _, text in sorted(store.query(f"SELECT complaint_id, facts FROM complaint_facts WHERE {where}", params)):
            yield ComplaintFacts.from_json(orjson.loads(text))
        return
    for (text,) in store.query(f"SELECT facts FROM complaint_facts WHERE {where} ORDER BY complaint_id", params):
        yield ComplaintFacts.from_json(orjson.loads(text))


def _in_months(column: str, period: Period) -> tuple[str, list[Any]]:
    return f"{column} IN ({', '.join('?' * len(period.months))})", list(period.months)


def facts_validated_in(store: ReadModelStore, period: Period) -> Iterator[ComplaintFacts]:
    """Complaints whose standing validation happened in the period (where fines fall)."""
    return _facts(store, *_in_months("validated_month", period), few=True)


def facts_received_in(store: ReadModelStore, period: Period) -> Iterator[ComplaintFacts]:
    """Complaints received in the period (where indicators count)."""
    return _facts(store, *_in_months("received_month", period), few=True)


def facts_of(store: ReadModelStore, complaint_ids: Iterable[str]) -> dict[str, ComplaintFacts]:
    found: dict[str, ComplaintFacts] = {}
    ids = list(complaint_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for facts in _facts(store, f"complaint_id IN ({', '.join('?' * len(chunk))})", chunk):
            found[facts.complaint_id] = facts
    return found


def period_indicators(store: ReadModelStore, period: Period) -> dict[str, tuple[int, int, int, int]]:
    """Per outlet, the period's work orders, complaints, regulator-transferred and effective complaints."""
    rows = store.query("SELECT unit, work_orders, complaints, regulator_transferred, effective FROM indicators "
                       "WHERE period = ?", [str(period)])
    return {unit: (int(w), int(c), int(r), int(e)) for unit, w, c, r, e in rows}


def indicator_trend(store: ReadModelStore, outlets: list[str] | None = None) -> list[dict[str, Any]]:
    """Monthly totals, oldest first, bank-wide or over some outlets: the trend line management watches."""
    where, params = "", []
    if outlets is not None:
        where, params = f"AND unit IN ({', '.join('?' * len(outlets))})", list(outlets)
        if not outlets:
            return []
    rows = store.query("SELECT period, SUM(work_orders), SUM(complaints), SUM(regulator_transferred), "
                       f"SUM(effective) FROM indicators WHERE period LIKE '____-__' {where} GROUP BY period "
                       "ORDER BY period", params)
    return [{"month": m, "work_orders": int(w), "complaints": int(c), "regulator_transferred": int(r),
             "effective": int(e)} for m, w, c, r, e in rows]


def unit_lines(store: ReadModelStore, period: Period, level: str, compare: Period | None = None,
               ) -> tuple[list[Line], list[Line]]:
    """Every unit of `level` (zero-complaint ones too) as (unit, name, customers, work_orders, complaints,
    regulator_transferred, effective): its outlets' sums over `period`, and over `compare`.

    Each period is one range of the indicators' key (period, unit): outlets read their rows as they
    are, higher levels sum their outlets' rows."""
    if level not in ("outlet", "sub_branch", "branch"):
        raise ValueError(f"unknown level {level!r}; use outlet, sub_branch or branch")
    counts = "work_orders, complaints, regulator_transferred, effective"
    if level == "outlet":
        units = store.query("SELECT unit, name, COALESCE(customers, 0) FROM org_units WHERE kind = 'outlet'")
        sums = f"SELECT unit, {counts} FROM indicators WHERE period = ?"
    else:
        bases = dict(store.query(  # type: ignore[arg-type]
            f"SELECT r.{level}, SUM(COALESCE(o.customers, 0)) FROM org_rollup r JOIN org_units o ON o.unit = r.outlet "
            f"GROUP BY r.{level}"))
        units = [(unit, name, bases.get(unit) or 0)
                 for unit, name in store.query("SELECT unit, name FROM org_units WHERE kind = ?", [level])]
        sums = (f"SELECT r.{level}, SUM(work_orders), SUM(complaints), SUM(regulator_transferred), SUM(effective) "
                f"FROM indicators m JOIN org_rollup r ON r.outlet = m.unit WHERE m.period = ? GROUP BY r.{level}")
    zero = (0, 0, 0, 0)
    lines = []
    for each in (period, compare):
        found = {row[0]: row[1:] for row in store.query(sums, [str(each)])} if each is not None else {}
        lines.append([(unit, name, int(customers), *map(int, found.get(unit, zero)))  # type: ignore[misc]
                      for unit, name, customers in units])
    return lines[0], lines[1]


def ranked_lines(store: ReadModelStore, period: Period, level: str, compare: Period | None = None,
                 ) -> list[tuple[Any, ...]]:
    """The lines of `unit_lines` best first (leaderboard.order_key), each with the comparison period's four
    counts and its rank and tied rank there (None when that period recorded nothing), from one read of both
    periods.

    The database joins and sorts the current period in C (rates compare as doubles, as Python's true
    division does, missing rates last, unit ids by code point); the earlier period's ranks are sorted
    from the counts already read, which costs less than a second ordered read or a window function."""
    if level not in ("outlet", "sub_branch", "branch"):
        raise ValueError(f"unknown level {level!r}; use outlet, sub_branch or branch")
    counts = ("work_orders", "complaints", "regulator_transferred", "effective")
    if level == "outlet":
        units = "SELECT unit, name, COALESCE(customers, 0) AS n FROM org_units WHERE kind = 'outlet'"
        sums = f"SELECT unit, {', '.join(counts)} FROM indicators WHERE period = ?"
    else:
        units = (f"SELECT u.unit, u.name, COALESCE(b.n, 0) AS n FROM org_units u LEFT JOIN (SELECT r.{level} AS unit, "
                 f"SUM(COALESCE(o.customers, 0)) AS n FROM org_rollup r JOIN org_units o ON o.unit = r.outlet "
                 f"GROUP BY r.{level}) b ON b.unit = u.unit WHERE u.kind = '{level}'")
        sums = (f"SELECT r.{level} AS unit, {', '.join(f'SUM(m.{c}) AS {c}' for c in counts)} FROM indicators m "
                f"JOIN org_rollup r ON r.outlet = m.unit WHERE m.period = ? GROUP BY r.{level}")
    text = ' COLLATE "C"' if store.dialect == "postgres" else ""

    def order(t: str, c: str) -> str:
        rate = "CASE WHEN n > 0 THEN CAST({} AS DOUBLE PRECISION) / n END NULLS LAST"
        return f"{t}, {rate.format(t)}, {rate.format(c)}, {c}, unit{text}"

    picked = ", ".join(f"COALESCE(a.{c}, 0) AS a_{c}, COALESCE(b.{c}, 0) AS b_{c}" for c in counts)
    lines = (f"WITH now AS ({sums}), before AS ({sums}), lines AS (SELECT u.unit, u.name, u.n, {picked} "
             f"FROM ({units}) u LEFT JOIN now a ON a.unit = u.unit LEFT JOIN before b ON b.unit = u.unit) ")
    rows = store.query(
        f"{lines}SELECT unit, name, n, a_work_orders, a_complaints, a_regulator_transferred, a_effective, "
        f"b_work_orders, b_complaints, b_regulator_transferred, b_effective FROM lines "
        f"ORDER BY {order('a_regulator_transferred', 'a_complaints')}", [str(period), str(compare or period)])
    if compare is None or not any(row[7] for row in rows):
        return [(*row[:7], 0, 0, 0, 0, None, None) for row in rows]
    earlier = sorted(rows, key=lambda r: rank_key(r[0], r[2], r[8], r[9]))  # from the counts already read
    tied = tied_ranks(tie_key(r[2], r[8], r[9]) for r in earlier)
    ranks = {line[0]: (rank, tied[rank - 1]) for rank, line in enumerate(earlier, start=1)}
    return [(*row, *ranks[row[0]]) for row in rows]


DEPTH = {"hq": 0, "branch": 1, "sub_branch": 2, "outlet": 3}


def units_under(store: ReadModelStore, unit: str, level: str) -> set[str]:
    """The units of `level` below `unit` (at any depth): the board `leaderboard --within UNIT` ranks."""
    found = {u: (kind, parent) for u, kind, parent in store.query("SELECT unit, kind, parent FROM org_units")}
    if unit not in found:
        raise LookupError(f"no unit {unit} in the organisation")
    kind = found[unit][0]
    if DEPTH.get(kind, 0) >= DEPTH[level]:
        what = kind.replace("_", "-")
        raise ValueError(f"{unit} is {'an' if what[0] in 'aeiou' else 'a'} {what}: no {level.replace('_', '-')} "
                         "sits under it; choose a level below it")
    inside = set()
    for each, (each_kind, parent) in found.items():
        if each_kind != level:
            continue
        seen = 0
        while parent is not None and parent != unit and seen < len(found):  # `seen`: a cycle cannot hang us
            parent, seen = found.get(parent, (None, None))[1], seen + 1
        if parent == unit:
            inside.add(each)
    return inside


def unit_name(store: ReadModelStore, unit: str) -> str:
    rows = store.query("SELECT name FROM org_units WHERE unit = ?", [unit])
    return str(rows[0][0] or unit) if rows else unit


def find_complaints(store: ReadModelStore, by: str, text: str, limit: int = 200) -> list[dict[str, Any]]:
    """Complaints by id, customer reference, outlet, or a person who acted on them (audit search)."""
    if by == "complaint_id":
        where, params = "complaint_id = ?", [text]
    elif by == "outlet":
        where, params = "outlet = ?", [text]
    elif by == "customer_ref":
        where, params = "facts LIKE ?", [f'%"customer_ref":{orjson.dumps(text).decode()}%']
    elif by == "person":
        where, params = "facts LIKE ?", [f'%"actor":{orjson.dumps(text).decode()}%']
    else:
        raise ValueError(f"cannot search complaints by {by!r}")
    rows = store.query(f"SELECT complaint_id, outlet, received_at, state FROM complaint_facts WHERE {where} "
                       f"ORDER BY received_at DESC, complaint_id LIMIT {int(limit)}", params)
    return [{"complaint_id": c, "outlet": o, "received_at": r, "state": s} for c, o, r, s in rows]


def facts_with_annulments(store: ReadModelStore) -> Iterator[ComplaintFacts]:
    """Complaints with at least one correction: where the scores' corrections are looked for."""
    return _facts(store, "annulments > 0", [], few=True)


def all_facts(store: ReadModelStore) -> Iterator[ComplaintFacts]:
    """Every complaint's facts (for detectors that scan the whole history, such as hot issues)."""
    return _facts(store, "1 = 1", [])
