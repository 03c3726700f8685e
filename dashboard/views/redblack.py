"""Streamlit page script: the redblack page (the code lives in dashboard/redblack.py)."""

from dashboard import redblack

redblack.page()
