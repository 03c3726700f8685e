"""Streamlit page script: the timeline page (the code lives in dashboard/timeline.py)."""

from dashboard import timeline

timeline.page()
