"""Assessment scores for HR: fines and points per person and per outlet, the evidence, exports, what-if."""

from __future__ import annotations

import io
import tomllib
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data
from domain.periods import Period
from domain.policy import DEFAULT, InvalidPolicy, Policy
from plaintrail.commands.scores import flat
from plaintrail.output import spreadsheet_safe
from projections.scores import diff


def page() -> None:
    st.title("Assessment scores 考核")
    quarters = data.periods()["quarter"] or ["-"]
    left, right = st.columns(2)
    choice = left.selectbox("Quarter", quarters) or "-"
    who = right.radio("Scores of", ["people", "outlets"], horizontal=True)
    if choice == "-":
        st.info("No complaints recorded yet.")
        return
    period, policy = Period.parse(choice), Policy.load(DEFAULT)
    rows, corrections = data.reader().scores(period, policy, units=who == "outlets")
    key = "unit" if who == "outlets" else "person"
    summary = pd.DataFrame([{k: v for k, v in r.items() if k not in ("entries", "corrections")} for r in rows])
    if summary.empty:
        st.info(f"No fines or points in {period}.")
        return
    st.dataframe(summary, hide_index=True)
    if key == "person":
        st.bar_chart(summary.assign(fines=summary["fines_cny"].astype(float)).set_index("person")["fines"])
    for row in rows:
        label = f"{row[key]} {row.get('name', '')} · " + (f"{row['fines_cny']} yuan · " if key == "person" else "")
        with st.expander(label + f"{row['points']} points · {len(row['entries'])} entries"):
            st.dataframe(pd.DataFrame(row["entries"]), hide_index=True)
    if corrections:
        st.subheader("Corrections in the period")
        st.dataframe(pd.DataFrame(corrections).drop(columns=["people"], errors="ignore"), hide_index=True)
    exports(flat(rows, key), summary, period, who)
    what_if(period, policy, rows, who)


def exports(lines: list[dict[str, Any]], summary: pd.DataFrame, period: Period, who: str) -> None:
    frame = pd.DataFrame(lines).map(spreadsheet_safe)
    csv_col, xlsx_col = st.columns(2)
    if csv_col.download_button("Download entries (CSV)", frame.to_csv(index=False).encode("utf-8-sig"),
                               file_name=f"scores-{who}-{period}.csv", mime="text/csv"):
        data.record_access("scores.export", str(period), {"format": "csv", "who": who})
    book = io.BytesIO()
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        summary.map(spreadsheet_safe).to_excel(writer, sheet_name="scores", index=False)
        frame.to_excel(writer, sheet_name="entries", index=False)
    if xlsx_col.download_button("Download workbook (Excel)", book.getvalue(), file_name=f"scores-{who}-{period}.xlsx",
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
    st.dataframe(pd.DataFrame(diff(rows, whatif)), hide_index=True)
    st.caption("Nothing recorded changes: the scores in force stay those of the default policy.")
