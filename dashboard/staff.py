"""The monthly service-quality ranking of complaint staff (客服人员服务质量考核表及排名)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from domain.periods import Period
from domain.policy import DEFAULT, Policy
from plaintrail.labels import both

SHOWN = ["rank", "handler", "name", "outlets", "handled_count", "on_time_pct", "on_time", "late", "callbacks",
         "callback_coverage_pct", "satisfaction_pct", "repeats", "repeat_pct"]


def page() -> None:
    st.title("Complaint staff ranking 客服人员服务质量考核表及排名")
    months = data.periods()["month"]
    if not months:
        st.info("No complaints recorded yet.")
        return
    choice = st.selectbox("Month 月份", months) or months[0]
    rows = data.reader().staff(Period.parse(choice), Policy.load(DEFAULT))
    if not rows:
        st.info(f"No complaint was handled in {choice}.")
        return
    frame = pd.DataFrame([dict(r, outlets=", ".join(r["outlets"])) for r in rows])[SHOWN]
    st.dataframe(frame, hide_index=True, width="stretch",
                 column_config={c: both(c) for c in SHOWN})
    st.caption(f"On time under the bank's regimes ({', '.join(rows[0]['regimes'])}, policy "
               f"{rows[0]['policy_version']}); ranked by on-time rate, then satisfaction, then fewer repeats, then "
               "more complaints handled; equals share a rank.")
