"""Streamlit page script: the scores page (the code lives in dashboard/scores.py)."""

from dashboard import scores

scores.page()
