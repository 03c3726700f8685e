"""The HR workbook (`scores --xlsx` and the dashboard's export): numbers as numbers, so SUM works.

Sheets: people (one row each, the annual grade, fines and rewards in yuan with two decimals, points with
the positive and the negative apart), entries (one row per scored entry with its rule, policy version and the
action ids behind it: the evidence; overturned entries too, with the appeal's decision), units (outlets and
departments), corrections. Headers in English and Chinese, frozen, with filters on and widths set.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from plaintrail.labels import both
from plaintrail.output import spreadsheet_safe

YUAN, POINTS, SHARED = "#,##0.00", "0", "0.00"
MONEY = {"fines_cny", "amount", "fines_cny_whatif", "fines_change_cny", "rewards_cny"}
INTEGERS = {"complaints", "entries"}
# Points are whole, except a department's share (to the cent): integers, or to the cent where a column has cents.
POINT_COLUMNS = {"points", "points_whatif", "points_change", "positive_points", "negative_points"}

PEOPLE = ["person", "name", "roles", "grade", "fines_cny", "rewards_cny", "points", "positive_points",
          "negative_points", "complaints", "entries"]
ENTRIES = ["person", "name", "rule", "rule_name", "policy_version", "complaint_id", "outlet", "tier", "tier_name",
           "decided_by", "roles",
           "share", "notice", "amount", "points", "appeal_decision", "events"]
UNITS = ["unit", "name", "kind", "grade", "points", "positive_points", "negative_points", "entries"]
CORRECTIONS = ["complaint_id", "outlet", "annulment", "annulled_action", "annulled", "reason", "people"]


def _base(column: str) -> str:
    """`fines_cny` of `fines_cny 2024Q1` (a quarter's column beside the total)."""
    return column.split(" ")[0]


def header(column: str) -> str:
    base, _, quarter = column.partition(" ")
    return f"{quarter} {both(base)}" if quarter else both(base)


def value(column: str, raw: Any) -> Any:
    """The cell: a number where the column holds one, text (never a formula) otherwise."""
    if raw is None or raw == "":
        return None
    if _base(column) in MONEY:
        return float(Decimal(str(raw)).quantize(Decimal("0.01")))
    if _base(column) in INTEGERS:
        return int(raw)
    if _base(column) in POINT_COLUMNS:
        number = Decimal(str(raw))
        return int(number) if number == int(number) else float(number)
    return spreadsheet_safe(raw)


def people_rows(rows: list[dict[str, Any]], key: str = "person") -> list[dict[str, Any]]:
    out = []
    for r in rows:
        entries = r.get("entries", [])
        quarters = {f"{k} {q}": v[k] for q, v in r.get("quarters", {}).items()
                    for k in ("fines_cny", "points", "positive_points", "negative_points") if k in r and k in v}
        out.append({**{k: v for k, v in r.items() if k not in ("entries", "corrections", "quarters", "overturned")},
                    **({"roles": ", ".join(both(role) for role in sorted({role for e in entries
                                                                          for role in e.get("roles", [])}))}
                       if key == "person" else {}),
                    "complaints": len({e["complaint_id"] for e in entries if e.get("complaint_id")}),
                    "entries": len(entries), **quarters})
    return out


def entry_rows(rows: list[dict[str, Any]], key: str = "person") -> list[dict[str, Any]]:
    """Every entry, and after a row's counted ones those an appeal overturned (out of the totals, in the
    record), each with the appeal's decision and its evidence."""
    return [{key: r[key], "name": r.get("name", ""), **_named(_flat_appeal(e))}
            for r in rows for e in [*r.get("entries", []), *r.get("overturned", [])]]


def _named(entry: dict[str, Any]) -> dict[str, Any]:
    """The rule's and the tier's names beside their ids, and the roles by name: HR reads words, not keys."""
    named = dict(entry)
    for key in ("rule", "tier"):
        if entry.get(key):
            named[f"{key}_name"] = both(str(entry[key]))
    if isinstance(entry.get("roles"), list):
        named["roles"] = ", ".join(both(role) for role in entry["roles"])
    return named


def _flat_appeal(entry: dict[str, Any]) -> dict[str, Any]:
    appeal = entry.get("appeal")
    if not appeal:
        return entry
    decided = appeal.get("decided") or {}
    return {**{k: v for k, v in entry.items() if k != "appeal"}, "appeal_id": appeal["appeal_id"],
            "appeal_reason": appeal["reason"], "appeal_decided_by": decided.get("by"),
            "decision_evidence": decided.get("evidence"), "decision_reason": decided.get("reason")}


def _width(text: Any) -> int:
    s = "" if text is None else str(text)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


def add_sheet(book: Workbook, title: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    present = [c for c in columns if any(c in r for r in rows)] or columns
    extra = sorted({k for r in rows for k in r} - set(present) - {"entries", "corrections", "overturned"})
    present += [c for c in extra if not any(isinstance(r.get(c), dict) for r in rows)]
    sheet.append([header(c) for c in present])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="8B0000")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [min(max(_width(header(c)) // 2 + 2, 8), 40) for c in present]
    fractional: set[int] = set()  # point columns holding a share's cents: shown to the cent, else as integers
    for r in rows:
        line = [value(c, r.get(c)) for c in present]
        fractional.update(i for i, v in enumerate(line, start=1) if isinstance(v, float))
        sheet.append(line)
        for i, v in enumerate(line):
            widths[i] = min(max(widths[i], _width(v) + 2), 60)
    for i, c in enumerate(present, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = widths[i - 1]
        fmt = (YUAN if _base(c) in MONEY else POINTS if _base(c) in INTEGERS
               else (SHARED if i in fractional else POINTS) if _base(c) in POINT_COLUMNS else None)
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def workbook(people: list[dict[str, Any]], units: list[dict[str, Any]] | None = None,
             corrections: list[dict[str, Any]] | None = None, key: str = "person") -> bytes:
    """The workbook's bytes; `people` are `scores` rows (with entries), `units` its `--units` rows."""
    book = Workbook()
    book.remove(book.active)
    if key == "person":
        add_sheet(book, "people", PEOPLE, people_rows(people))
        add_sheet(book, "entries", ENTRIES, entry_rows(people))
    else:
        units = people
    if units is not None:
        add_sheet(book, "units", UNITS, people_rows(units, "unit"))
        if key != "person":
            add_sheet(book, "entries", ["unit", *ENTRIES[1:]], entry_rows(units, "unit"))
    add_sheet(book, "corrections", CORRECTIONS, corrections or [])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(path: Path, people: list[dict[str, Any]], units: list[dict[str, Any]] | None = None,
          corrections: list[dict[str, Any]] | None = None, key: str = "person") -> None:
    path.write_bytes(workbook(people, units, corrections, key))
