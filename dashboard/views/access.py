"""Streamlit page script: the access log page (the code lives in dashboard/access.py)."""

from dashboard import access

access.page()
