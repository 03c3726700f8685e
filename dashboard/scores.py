"""Assessment scores for HR: one sortable, filterable table of people (or outlets) for a quarter, half-year or
year, the exports at the top, a person's drill-down with every entry and its evidence, and what-if."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, tables
from domain.periods import Period
from domain.policy import DEFAULT, InvalidPolicy, Policy
from plaintrail import workbook
from plaintrail.commands.scores import flat
from plaintrail.labels import both
from plaintrail.output import spreadsheet_safe
from projections.scores import diff, graded, quarters, with_quarters

KINDS = {"quarter": "Quarter 季度", "half": "Half-year 半年", "year": "Year 年度"}


def choices(kind: str) -> list[str]:
    recorded = data.periods()["quarter"]
    if kind == "quarter":
        return recorded
    if kind == "half":
        return sorted({f"{q[:4]}H{1 if int(q[-1]) <= 2 else 2}" for q in recorded}, reverse=True)
    return sorted({q[:4] for q in recorded}, reverse=True)


def page() -> None:
    st.title("Assessment scores 考核")
    kind_col, period_col, who_col = st.columns(3)
    kind = kind_col.radio("Period 期间", list(KINDS), format_func=KINDS.__getitem__, horizontal=True) or "quarter"
    listed = choices(kind)
    choice = period_col.selectbox("Which", listed or ["-"]) or "-"
    who = who_col.radio("Scores of", ["people", "outlets"], horizontal=True,
                        format_func=lambda w: "People 人员" if w == "people" else "Units 机构与部门") or "people"
    if choice == "-":
        st.info("No complaints recorded yet.")
        return
    period, policy = Period.parse(choice), Policy.load(DEFAULT)
    units = who == "outlets"
    key = "unit" if units else "person"
    rows, corrections = data.reader().scores(period, policy, units=units)
    rows = graded(rows, period, policy, data.settings().tz, key)
    inside = quarters(period) if period.months_count > 3 else []
    if inside:
        rows = with_quarters(rows, {str(q): data.reader().scores(q, policy, units=units)[0] for q in inside}, key)
    if not rows:
        st.info(f"No fines or points in {period}.")
        return
    exports(rows, corrections, period, who, key)
    frame = table(rows, key)
    shown = filters(frame)
    st.dataframe(shown, hide_index=True, column_config=columns(shown), width="stretch")
    st.caption(f"{len(shown)} of {len(frame)} · click a column's header to sort · {period}")
    drill_down(rows, key)
    if corrections:
        st.subheader("Corrections in the period 本期更正")
        tables.table(pd.DataFrame(corrections).drop(columns=["people"], errors="ignore"))
    what_if(period, policy, rows, who)
    compare_with_past(period, policy, rows, who)


def table(rows: list[dict[str, Any]], key: str) -> pd.DataFrame:
    """One line per person (or outlet): id and name side by side, where they answer (branch, sub-branch),
    numbers as numbers, and each quarter beside the total."""
    chart = data.chart()

    def named(unit: str | None) -> str:
        return f"{chart.units.get(unit, {}).get('name') or unit} ({unit})" if unit else ""

    lines = []
    for r in rows:
        outlets = sorted({e.get("outlet") or r[key] for e in r["entries"]} or ({r[key]} if key == "unit" else set()))
        line: dict[str, Any] = {key: r[key], "name": r.get("name", "")}
        if r.get("grade"):
            line["grade"] = r["grade"]
        if key == "unit":
            line["kind"] = r.get("kind", "")
        if key == "person":
            line["roles"] = ", ".join(sorted({role for e in r["entries"] for role in e.get("roles", [])}))
        line["branch"] = ", ".join(sorted({named(chart.ancestor_of_kind(o, "branch")) for o in outlets} - {""}))
        line["sub_branch"] = ", ".join(sorted({named(chart.ancestor_of_kind(o, "sub_branch")) for o in outlets}
                                              - {""}))
        if key == "person":
            line["fines_cny"] = float(Decimal(r["fines_cny"]))
        if key == "person":
            line["rewards_cny"] = float(Decimal(r.get("rewards_cny", "0")))
        line["points"] = float(r["points"])
        line["positive_points"] = float(r.get("positive_points", 0))
        line["negative_points"] = float(r.get("negative_points", 0))
        line["complaints"] = len({e["complaint_id"] for e in r["entries"] if e.get("complaint_id")})
        for q, v in r.get("quarters", {}).items():
            if key == "person":
                line[f"fines_cny {q}"] = float(Decimal(v["fines_cny"]))
            line[f"points {q}"] = float(v["points"])
        lines.append(line)
    return pd.DataFrame(lines)


def filters(frame: pd.DataFrame) -> pd.DataFrame:
    cols = st.columns(3)
    picked = {}
    for col, name in zip(cols, ("branch", "sub_branch", "roles"), strict=True):
        if name not in frame:
            continue
        values = sorted({v for cell in frame[name] for v in str(cell).split(", ") if v})
        picked[name] = col.multiselect(both(name), values, key=f"filter-{name}")
    shown = frame
    for name, wanted in picked.items():
        if wanted:
            shown = shown[shown[name].map(lambda cell, w=wanted: bool(set(str(cell).split(", ")) & set(w)))]
    return shown


def columns(frame: pd.DataFrame) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name in frame.columns:
        base, _, quarter = name.partition(" ")
        title = f"{quarter} {both(base)}" if quarter else both(base)
        if base in ("fines_cny", "rewards_cny"):
            config[name] = st.column_config.NumberColumn(title, format="%.2f")
        elif base in ("points", "positive_points", "negative_points"):
            config[name] = st.column_config.NumberColumn(title, format="%g")
        elif base == "complaints":
            config[name] = st.column_config.NumberColumn(title, format="%d")
        else:
            config[name] = st.column_config.TextColumn(title)
    return config


def drill_down(rows: list[dict[str, Any]], key: str) -> None:
    st.subheader("One person's entries and evidence 明细与依据" if key == "person" else "One outlet's entries 明细")
    names = {r[key]: f"{r.get('name') or r[key]} ({r[key]})" for r in rows}
    chosen = st.selectbox("Show", list(names), format_func=names.__getitem__, key="drill")
    row = next((r for r in rows if r[key] == chosen), None)
    if row is None:
        return
    entries = pd.DataFrame([{**{k: v for k, v in e.items() if k != "events"}, "events": " ".join(e["events"])}
                            for e in row["entries"]])
    if entries.empty:
        st.info("No entries: only corrections concern them in this period.")
        return
    if "amount" in entries:
        entries["amount"] = entries["amount"].astype(float)
    tables.table(entries)


def exports(rows: list[dict[str, Any]], corrections: list[dict[str, Any]], period: Period, who: str,
            key: str) -> None:
    lines = pd.DataFrame(flat(rows, key)).map(spreadsheet_safe)
    csv_col, xlsx_col = st.columns(2)
    if csv_col.download_button("Download entries (CSV) 下载明细", lines.to_csv(index=False).encode("utf-8-sig"),
                               file_name=f"scores-{who}-{period}.csv", mime="text/csv"):
        data.record_access("scores.export", str(period), {"format": "csv", "who": who})
    book = workbook.workbook(rows, None, corrections, key)
    if xlsx_col.download_button("Download HR workbook (Excel) 下载考核表", book,
                                file_name=f"scores-{who}-{period}.xlsx",
                                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
        data.record_access("scores.export", str(period), {"format": "xlsx", "who": who})


def what_if(period: Period, policy: Policy, rows: list[dict[str, Any]], who: str) -> None:
    if who != "people":
        return
    st.subheader("What if another policy applied?")
    upload = st.file_uploader("Policy file (TOML)", type=["toml"])
    if upload is None:
        return
    try:
        other = Policy.parse(tomllib.loads(upload.getvalue().decode("utf-8")), upload.name)
    except (InvalidPolicy, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        st.error(f"That policy cannot be used: {error}")
        return
    whatif, _ = data.reader().scores(period, other)
    tables.table(pd.DataFrame(diff(rows, whatif)))
    st.caption("Nothing recorded changes: the scores in force stay those of the default policy.")


def compare_with_past(period: Period, policy: Policy, rows: list[dict[str, Any]], who: str) -> None:
    """The scores as the record stood at a past moment (`scores --as-of`) beside today's: what corrections,
    late validations and hand-overs recorded since then changed."""
    if who != "people" or not st.toggle("Compare with the record as of a past moment 对比历史记录"):
        return
    moment = data.moment_input("Record as of", "scores-as-of")
    with data.reader_as_of(moment) as then:
        past, _ = then.scores(period, policy)
    changed = [{"person": r["person"], "name": r["name"], "fines_cny_then": r["fines_cny"],
                "fines_cny_now": r["fines_cny_whatif"], "points_then": r["points"], "points_now": r["points_whatif"]}
               for r in diff(past, rows) if r["fines_change_cny"] not in ("0", "0.00") or r["points_change"]]
    st.caption(f"As the record stood at {moment.isoformat()}: {len(changed)} people's scores changed since.")
    if changed:
        tables.table(pd.DataFrame(changed))
