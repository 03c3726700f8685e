"""SLA monitor: complaints at risk now, breaches by unit and regime."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.tables import table
from domain.periods import Period
from domain.policy import DEFAULT, Policy
from projections.leaderboard import LEVELS


def page() -> None:
    st.title("SLA monitor 时效")
    periods = data.periods()
    options = periods["month"] + periods["quarter"]
    if not options:
        st.info("No complaints recorded yet.")
        return
    left, right = st.columns(2)
    choice = left.selectbox("Received in", options) or options[0]
    level = right.selectbox("By", LEVELS) or "outlet"
    rows, watch = data.reader().sla(Period.parse(choice), level)
    st.subheader(f"Open complaints to watch ({len(watch)})")
    table(pd.DataFrame(watch))
    filed = data.reader().appeals(Period.parse(choice), Policy.load(DEFAULT))
    st.subheader(f"Appeals against assessment entries 考核申诉 ({len(filed)})")
    if filed:
        table(pd.DataFrame(filed))
    else:
        st.caption("No appeals filed in the period.")
    frame = pd.DataFrame(rows)
    if frame.empty:
        return
    st.subheader("Breaches by regime")
    st.bar_chart(frame.groupby("regime")[["on_time", "breached"]].sum())
    st.subheader("By unit and regime")
    table(frame)
