"""Red/black list (红黑榜) for management: the lists side by side, movement, trends, drill-down, print."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from domain.periods import Period
from plaintrail.output import spreadsheet_safe
from projections.leaderboard import LEVELS

LABELS = {"outlet": "Outlets 网点", "sub_branch": "Sub-branches 支行", "branch": "Branches 分行"}
SHOWN = ["rank", "unit", "name", "regulator_transferred", "regulator_transferred_per_10k", "complaints",
         "complaints_per_10k", "work_orders", "effective", "rank_change", "complaints_change_pct"]


def rows_for(period: Period, level: str, size: int) -> list[dict[str, Any]]:
    return data.reader().leaderboard(period, level, size)


def page() -> None:
    st.title("Red/black list 红黑榜")
    periods = data.periods()
    if not any(periods.values()):
        st.info("No complaints recorded yet: import actions with `plaintrail import FILE`.")
        return
    left, middle, right = st.columns(3)
    kind = left.radio("Period", ["quarter", "month", "year"], horizontal=True)
    choice = middle.selectbox("Which", periods[kind or "quarter"] or ["-"]) or "-"
    level = right.selectbox("Level", LEVELS, format_func=lambda key: LABELS[key]) or "outlet"
    size = st.slider("List size N", 1, 30, 10)
    if choice == "-":
        st.info(f"No {kind} with recorded work orders.")
        return
    period = Period.parse(choice)
    rows = rows_for(period, level, size)
    frame = pd.DataFrame(rows)
    st.caption(f"{len(rows)} {LABELS[level].split()[0].lower()} · {period} compared with {period.previous} · "
               "ordered by regulator-transferred, its rate, the complaint rate, complaints (ascending)")
    red, black = st.columns(2)
    red.subheader(":red[Red list 红榜]")
    red.dataframe(frame[frame["list"] == "red"][SHOWN], hide_index=True)
    black.subheader("Black list 黑榜")
    black.dataframe(frame[frame["list"] == "black"][SHOWN], hide_index=True)
    with st.expander("Every unit, with the previous period", expanded=False):
        st.dataframe(frame, hide_index=True)
    st.download_button("Download CSV", frame.map(spreadsheet_safe).to_csv(index=False).encode("utf-8-sig"),
                       file_name=f"red-black-{level}-{period}.csv", mime="text/csv")
    with st.expander("Secondary indicators: callbacks 回访, satisfaction 满意度, mediation 调解, repeats, hand-overs"):
        st.dataframe(pd.DataFrame(data.reader().secondary(period, level)), hide_index=True)
    trend(frame)
    drill_down(period, level, size)
    printable(frame, period, level)


def trend(frame: pd.DataFrame) -> None:
    st.subheader("Trend")
    unit = st.selectbox("Unit", ["(whole bank)", *frame["unit"]])
    points = data.reader().trend(None if unit == "(whole bank)" else unit)
    if points:
        st.line_chart(pd.DataFrame(points).set_index("month")[["complaints", "regulator_transferred", "effective"]])


def drill_down(period: Period, level: str, size: int) -> None:
    if level == "outlet":
        return
    st.subheader("Drill down")
    units = [r["unit"] for r in rows_for(period, level, size)]
    parent = st.selectbox(f"Outlets of which {level.replace('_', '-')}", units)
    chart = data.chart()
    outlets = [r for r in rows_for(period, "outlet", size) if parent in chart.ancestors(r["unit"])]
    st.dataframe(pd.DataFrame(outlets)[SHOWN + ["list"]] if outlets else pd.DataFrame(), hide_index=True)


def printable(frame: pd.DataFrame, period: Period, level: str) -> None:
    if not st.toggle("Printable view 张榜"):
        return
    st.markdown(f"## 红黑榜 · {LABELS[level]} · {period}")
    for title, name in (("红榜 Red list", "red"), ("黑榜 Black list", "black")):
        st.markdown(f"### {title}")
        st.table(frame[frame["list"] == name][["rank", "unit", "name", "regulator_transferred", "complaints"]])
