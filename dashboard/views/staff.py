"""Streamlit page script: the staff page (the code lives in dashboard/staff.py)."""

from dashboard import staff

staff.page()
