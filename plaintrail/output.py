"""How commands print: JSON for scripts, an aligned table for people."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def spreadsheet_safe(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (`=cmd|...`, `+`, `-`, `@`) is kept as text."""
    if isinstance(value, list | tuple):
        value = " ".join(map(str, value))
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(value):
        return "'" + value
    return value


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_csv(rows: Sequence[dict[str, Any]], target: str) -> None:
    """Rows as CSV for a spreadsheet ('-' is stdout); UTF-8 with a BOM so Excel reads Chinese names."""
    with nullcontext(sys.stdout) if target == "-" else open(target, "w", newline="", encoding="utf-8-sig") as out:
        if rows:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), extrasaction="ignore")
            writer.writeheader()
            writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
