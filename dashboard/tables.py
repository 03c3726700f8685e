"""Every table a person reads on the dashboard: headers in English and Chinese, names beside the ids.

The frame's own columns (the machine's snake_case keys and ids) are what the exports and tests read; only the
headers shown change, and a column of ids that the label table knows gets its names in a column beside it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from plaintrail.labels import LABELS, both

NAMED = ("action", "rule", "list", "verdict", "regime", "role", "channel", "state", "kind", "tier", "decided_by",
         "event")


def with_names(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `<column>_name` after each id column whose values the label table names."""
    out = frame.copy()
    for column in [c for c in NAMED if c in frame.columns]:
        values = frame[column].astype(str)
        if not values.isin(LABELS.keys()).any():
            continue
        out.insert(list(out.columns).index(column) + 1, f"{column}_name",
                   values.map(lambda v: both(v) if v in LABELS else v))
    return out


def headers(frame: pd.DataFrame, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Column titles for every column, keeping any column's own configuration."""
    titles: dict[str, Any] = {}
    for column in frame.columns:
        base = column[:-len("_name")] if column.endswith("_name") and column[:-len("_name")] in NAMED else None
        titles[column] = both(base) if base else (f"{both(column)} (id)" if f"{column}_name" in frame.columns
                                                    else both(column))
    return {**titles, **(config or {})}


def table(frame: pd.DataFrame, where: Any = st, config: dict[str, Any] | None = None, **options: Any) -> None:
    """Show `frame` labelled, in `where` (st or a column); options go to st.dataframe."""
    shown = with_names(frame)
    where.dataframe(shown, hide_index=True, column_config=headers(shown, config), **options)
