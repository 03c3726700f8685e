"""What the pages read: the read models (caught up on every rerun) and the event store, through scopes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import Any

import streamlit as st

from domain.application import ComplaintLog
from domain.orgchart import OrgChart
from plaintrail import sla_rules
from plaintrail.as_of import record_as_of
from plaintrail.commands.scores import compute
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections.scoped import ScopedReader
from projections.store import ReadModelStore


@st.cache_resource
def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource
def log() -> ComplaintLog:
    return open_log(settings())


@st.cache_resource
def _store() -> ReadModelStore:
    return open_read_models(settings())


def store() -> ReadModelStore:
    """The read models, with every event recorded so far folded in."""
    shared = _store()
    catch_up(settings(), store=shared, log=log())
    return shared


def chart() -> OrgChart:
    from projections import queries

    return queries.org_chart(store())


def periods() -> dict[str, list[str]]:
    """The months, quarters and years that have any recorded work order, newest first."""
    keys = [p for (p,) in store().query("SELECT DISTINCT period FROM indicators ORDER BY period DESC")]
    return {"month": [k for k in keys if len(k) == 7 and "-" in k], "quarter": [k for k in keys if "Q" in k],
            "year": [k for k in keys if len(k) == 4]}


def record_access(action: str, subject: str, detail: dict[str, Any] | None = None) -> None:
    """Every timeline view and every export is recorded as an immutable event: who, what, when."""
    viewer = st.session_state["viewer"]
    log().record_access(viewer.user, viewer.role, action, subject, detail or {})


@contextmanager
def reader_as_of(moment: datetime) -> Iterator[ScopedReader]:
    """The viewer's scoped view of the record as it stood at `moment` (folded afresh from the events
    recorded by then, in a throwaway store: seconds for a branch's data)."""
    with record_as_of(settings(), moment, log()) as then:
        yield ScopedReader(st.session_state["viewer"], then, log(), settings().tz, sla_rules.load())


def moment_input(label: str, key: str) -> datetime:
    """A date and a time in the bank's time zone."""
    day, clock = st.columns(2)
    chosen = datetime.combine(day.date_input(f"{label}: date", key=f"{key}-date"),
                              clock.time_input(f"{label}: time", time(23, 59), key=f"{key}-time"))
    return chosen.replace(tzinfo=settings().tz)


def reader() -> ScopedReader:
    """The logged-in viewer's scoped view of the read side."""
    return ScopedReader(st.session_state["viewer"], store(), log(), settings().tz, sla_rules.load(),
                        kept=lambda period, policy: compute(settings(), period, policy, store=store()))
