"""Streamlit page script: the sla page (the code lives in dashboard/sla.py)."""

from dashboard import sla

sla.page()
