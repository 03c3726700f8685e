"""Hot issues (热点问题) with their remediation ledgers (整改台账), for management."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.tables import table
from plaintrail import hot


def page() -> None:
    st.title("Hot issues 热点问题")
    today = datetime.now(data.settings().tz).date()
    rows = data.reader().hot_issues(hot.issues_of(data.log(), today))
    if not rows:
        st.info("No hot issue: no cluster of complaints crossed the thresholds (plaintrail hot detect).")
        return
    open_count = sum(1 for r in rows if r["closed_at"] is None)
    st.caption(f"{len(rows)} hot issues, {open_count} open; "
               f"{sum(r['items_overdue'] for r in rows)} ledger items overdue")
    table(pd.DataFrame([{k: r[k] for k in ("issue_id", "kind", "subject", "opened_at", "executive",
                                            "items_open", "items_overdue", "closed_at")} for r in rows]))
    for r in rows:
        state = "closed" if r["closed_at"] else f"{r['items_open']} open, {r['items_overdue']} overdue"
        with st.expander(f"{r['issue_id']} · {r['subject']} · {state}"):
            st.write(f"**Owner 包案高管**: {r['executive']} · **Why**: {r['reason']}")
            st.write(f"**Customers 一户一册** ({len(r['customers'])}): " + ", ".join(r["customers"][:50]))
            table(pd.DataFrame([{k: i[k] for k in ("item_id", "title", "owner", "due", "unit", "closed_at",
                                                   "evidence")} for i in r["items"]]))
