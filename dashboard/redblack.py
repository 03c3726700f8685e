"""Red/black list (红黑榜): the lists side by side, movement, trends, drill-down, print.

Management sees the bank-wide board. A branch or sub-branch user sees its own ranking first (the units
under its unit, with their own lists) and, beside each row, that unit's place on the bank-wide board.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.tables import table
from domain.periods import Period
from plaintrail import publication
from plaintrail.labels import label
from plaintrail.output import spreadsheet_safe
from projections.leaderboard import LEVELS
from projections.queries import DEPTH

LABELS = {"outlet": "Outlets 网点", "sub_branch": "Sub-branches 支行", "branch": "Branches 分行"}
SHOWN = ["rank", "tied_rank", "unit", "name", "regulator_transferred", "regulator_transferred_per_10k",
         "complaints", "complaints_per_10k", "work_orders", "effective", "tied_rank_change", "complaints_change_pct"]
BANK = ["bank_rank", "bank_tied_rank", "bank_list"]  # a unit's place on the bank-wide board, beside its own
PUBLISHERS = ("management", "admin")  # who may post the list
PRINTED = ["tied_rank", "unit", "name", "regulator_transferred", "complaints"]


def named(unit: str) -> str:
    """'SH-XH 徐汇支行 Xuhui sub-branch': a person reads a unit by its name, beside the id."""
    name = data.chart().units.get(unit, {}).get("name")
    return f"{unit} {name}" if name and name != unit else unit


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
    size = st.slider("List size N", 0, 50, 10) if st.toggle("Set N for this view (default: the policy's)") else None
    if choice == "-":
        st.info(f"No {kind} with recorded work orders.")
        return
    period = Period.parse(choice)
    viewer = st.session_state["viewer"]
    if viewer.role == "branch":
        frame = own_board(period, level, size, viewer.unit)
    else:
        frame = pd.DataFrame(data.reader().leaderboard(period, level, size))
        show_lists(frame, period, level, SHOWN)
        with st.expander("Every unit, with the previous period", expanded=False):
            table(frame)
        drill_down(period, level, size)
    if frame.empty:
        return
    if st.download_button("Download CSV", frame.map(spreadsheet_safe).to_csv(index=False).encode("utf-8-sig"),
                          file_name=f"red-black-{level}-{period}.csv", mime="text/csv", key="leaderboard-export"):
        data.record_access("leaderboard.export", str(period), {"format": "csv", "level": level, "rows": len(frame)})
    with st.expander("Secondary indicators: callbacks 回访, satisfaction 满意度, mediation 调解, repeats, hand-overs"):
        table(pd.DataFrame(data.reader().secondary(period, level)))
    trend(frame)
    compare_with_past(period, level, size)
    printable(frame, period, level, size)


def own_board(period: Period, level: str, size: int | None, unit: str) -> pd.DataFrame:
    """A branch user's page: the ranking inside its unit first, each row's bank-wide place beside it; at a
    level with nothing under the unit, the unit's own place on the bank-wide board, or a plain message."""
    reader = data.reader()
    kind = data.chart().units.get(unit, {}).get("kind", "")
    if DEPTH.get(kind, 0) < DEPTH[level]:
        frame = pd.DataFrame(reader.leaderboard(period, level, size, within=unit))
        st.subheader(f"Your ranking: {LABELS[level].split()[0].lower()} under {named(unit)}")
        show_lists(frame, period, level, [*SHOWN[:2], *BANK, *SHOWN[2:]])
        if not frame.empty:
            with st.expander("Every unit under yours: its own rank and its place bank-wide", expanded=True):
                table(frame[[*SHOWN[:2], *BANK, *SHOWN[2:]]])
        return frame
    frame = pd.DataFrame(reader.leaderboard(period, level, size))  # scoped: at most the unit itself
    if frame.empty:
        st.info(f"{LABELS[level].split()[0]} sit above your unit {named(unit)}: there is no board of them "
                "you may see. Choose a lower level for your own ranking.")
        return frame
    st.info(f"No {LABELS[level].split()[0].lower()} sit under {named(unit)}; here is its own place on the "
            "bank-wide board.")
    st.caption(frame["list_note"].iloc[0])
    table(frame[[*SHOWN, "list"]])
    return frame


def show_lists(frame: pd.DataFrame, period: Period, level: str, columns: list[str]) -> None:
    """The red and black lists side by side, with what drew them (N, the policy version, ties)."""
    if frame.empty:
        st.info(f"No {LABELS[level].split()[0].lower()} to rank here.")
        return
    st.caption(f"{len(frame)} {LABELS[level].split()[0].lower()} · {period} compared with {period.previous} · "
               "ordered by regulator-transferred, its rate, the complaint rate, complaints (ascending); equal "
               "units share a tied rank")
    st.caption(frame["list_note"].iloc[0])
    red, black = st.columns(2)
    red.subheader(":red[Red list 红榜]")
    table(frame[frame["list"] == "red"][columns], red)
    black.subheader("Black list 黑榜")
    table(frame[frame["list"] == "black"][columns], black)


def trend(frame: pd.DataFrame) -> None:
    st.subheader("Trend")
    unit = st.selectbox("Unit", ["(whole bank)", *frame["unit"]],
                        format_func=lambda u: u if u == "(whole bank)" else named(u))
    points = data.reader().trend(None if unit == "(whole bank)" else unit)
    if points:
        st.line_chart(pd.DataFrame(points).set_index("month")[["complaints", "regulator_transferred", "effective"]])


def drill_down(period: Period, level: str, size: int | None) -> None:
    """The board of the outlets under one sub-branch or branch: their own lists, each with its bank-wide place."""
    if level == "outlet":
        return
    st.subheader("Drill down")
    units = [u for u, d in data.chart().units.items() if d.get("kind") == level]
    parent = st.selectbox(f"Outlets of which {level.replace('_', '-')}", sorted(units), format_func=named)
    if parent is None:
        return
    outlets = pd.DataFrame(data.reader().leaderboard(period, "outlet", size, within=parent))
    show_lists(outlets, period, "outlet", [*SHOWN[:2], *BANK, *SHOWN[2:]])


def compare_with_past(period: Period, level: str, size: int | None) -> None:
    """The board as the record stood at a past moment (`leaderboard --as-of`) beside today's: the units
    whose place, list or counts changed since."""
    if not st.toggle("Compare with the record as of a past moment 对比历史记录"):
        return
    moment = data.moment_input("Record as of", "board-as-of")
    now = pd.DataFrame(data.reader().leaderboard(period, level, size))
    with data.reader_as_of(moment) as then:
        past = pd.DataFrame(then.leaderboard(period, level, size))
    if now.empty or past.empty:
        st.info(f"Nothing to compare: no board {'then' if past.empty else 'now'}.")
        return
    keys = ["tied_rank", "list", "regulator_transferred", "complaints", "effective"]
    both = past[["unit", *keys]].merge(now[["unit", *keys]], on="unit", how="outer", suffixes=("_then", "_now"))
    moved = both[both.apply(lambda row: any(not _same(row[f"{k}_then"], row[f"{k}_now"]) for k in keys), axis=1)]
    st.caption(f"As the record stood at {moment.isoformat()}: {len(moved)} of {len(both)} units changed since.")
    if not moved.empty:
        table(moved)


def _same(then: object, now: object) -> bool:
    return bool((pd.isna(then) and pd.isna(now)) or then == now)  # type: ignore[call-overload]


def printable(frame: pd.DataFrame, period: Period, level: str, size: int | None = None) -> None:
    if not st.toggle("Printable view 张榜"):
        return
    st.markdown(f"## 红黑榜 · {LABELS[level]} · {period}")
    st.markdown(frame["list_note"].iloc[0])
    for title, name in (("红榜 Red list", "red"), ("黑榜 Black list", "black")):
        st.markdown(f"### {title}")
        st.table(frame[frame["list"] == name][PRINTED].rename(columns=lambda c: label(c, "zh")))
    if st.session_state["viewer"].role in PUBLISHERS:
        publishing(period, level, size)


def publishing(period: Period, level: str, size: int | None) -> None:
    """Posting the list is an act of record (`plaintrail publish`): who, when, the policy version, N, the rows
    and their digest, as an event; and what changed since the last posting."""
    st.markdown("### Publication 张榜记录")
    if st.button("Publish this list 发布张榜", key="publish"):
        posting = publication.publish(data.settings(), period, level, st.session_state["viewer"].user,
                                      size=None if size is None else str(size), log=data.log())
        st.success(f"Published (posting {posting['publication']}): {posting['units']} units, N = {posting['size']}, "
                   f"policy {posting['policy_version']}, digest {posting['digest']}")
    try:
        since = publication.changes_since(data.settings(), period, level)
    except publication.NotPublished:
        st.caption("This list was never published.")
        return
    shown = since["publication"]
    st.caption(f"Last published by {shown['published_by']} at {shown['published_at']} (posting "
               f"{shown['publication']} of {shown['postings']}, digest {shown['digest'][:23]}…): "
               f"{len(since['changed'])} units changed since.")
    if since["changed"]:
        table(pd.DataFrame([{"unit": c["unit"], "name": c["name"],
                             "changes": "; ".join(f"{k} {v['then']} → {v['now']}" for k, v in c["changes"].items()),
                             "events": " ".join(map(str, c["events"]))} for c in since["changed"]]))

