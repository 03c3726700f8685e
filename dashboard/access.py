"""The access log for internal audit and admin: who viewed or exported what, and when (`plaintrail access-log`)."""

from __future__ import annotations

import json
from datetime import datetime, time

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.tables import table
from plaintrail.output import spreadsheet_safe
from projections.access_log import entries


def page() -> None:
    st.session_state["viewer"].require("access")
    st.title("Access log 访问记录")
    st.caption("Every timeline view, every export and every verification made here is an immutable event.")
    rows = entries(data.log())
    users = sorted({r["user"] for r in rows})
    who_col, since_col, what_col = st.columns(3)
    who = who_col.selectbox("User", ["(everyone)", *users])
    since = since_col.date_input("Since", value=None)
    actions = sorted({r["action"] for r in rows})
    what = what_col.selectbox("Action", ["(every action)", *actions])
    if who != "(everyone)":
        rows = [r for r in rows if r["user"] == who]
    if since is not None:
        start = datetime.combine(since, time()).replace(tzinfo=data.settings().tz)
        rows = [r for r in rows if datetime.fromisoformat(r["at"]) >= start]
    if what != "(every action)":
        rows = [r for r in rows if r["action"] == what]
    if not rows:
        st.info("No access recorded matches.")
        return
    frame = pd.DataFrame([dict(r, detail=json.dumps(r["detail"], ensure_ascii=False, sort_keys=True))
                          for r in reversed(rows)])  # newest first
    table(frame)
    st.caption(f"{len(rows)} accesses, newest first")
    if st.download_button("Download CSV 下载", frame.map(spreadsheet_safe).to_csv(index=False).encode("utf-8-sig"),
                          file_name="access-log.csv", mime="text/csv", key="access-export"):
        data.record_access("access.export", "access-log", {"format": "csv", "user": who, "rows": len(rows),
                                                           "since": since.isoformat() if since else None})
