"""Streamlit page script: the hot issues page (the code lives in dashboard/hot.py)."""

from dashboard import hot

hot.page()
