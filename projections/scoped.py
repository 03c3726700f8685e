"""The read side as one viewer may see it: every dashboard query goes through here.

Rows about units outside a branch user's subtree never leave this module, whichever page asks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from domain.application import ComplaintLog
from domain.periods import Period
from domain.policy import DEFAULT, Policy
from domain.sla import SlaRules
from projections import appeals, board_memo, queries, scores, secondary, sla_report, staff
from projections.access import AccessDenied, Viewer
from projections.leaderboard import Lists, ranked
from projections.store import ReadModelStore
from projections.timeline import timeline

Kept = Callable[[Period, Policy], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


class ScopedReader:
    def __init__(self, viewer: Viewer, store: ReadModelStore, log: ComplaintLog, tz: tzinfo,
                 rules: SlaRules | None = None, kept: Kept | None = None) -> None:
        """`kept`: the bank-wide people's scores as kept (plaintrail.commands.scores.compute), for a viewer who
        sees every unit: read rather than worked out again."""
        self.viewer, self.store, self.log, self.tz, self.rules, self.kept = viewer, store, log, tz, rules, kept
        self.chart = queries.org_chart(store)

    def leaderboard(self, period: Period, level: str, size: str | int | None = None, compare: Period | None = None,
                    within: str | None = None, policy: Policy | None = None) -> list[dict[str, Any]]:
        """The bank-wide board (a branch user: its own units' rows of it), or with `within` the board of the
        units under that unit, each row with its bank-wide place. N and ties from the policy unless `size`."""
        self.viewer.require("leaderboard")
        if within is not None:
            self.viewer.check_outlet(within, self.chart)
        lists = Lists.of(policy or Policy.load(DEFAULT), period, level, size)
        if within is None:
            rows = board_memo.rows(self.store, period, level, compare or period.previous, lists)
        else:
            rows = ranked(queries.ranked_lines(self.store, period, level, compare or period.previous), lists, level,
                          queries.units_under(self.store, within, level))
        return self.viewer.units(rows, self.chart)

    def find_complaints(self, by: str, text: str) -> list[dict[str, Any]]:
        self.viewer.require("timeline")
        return [c for c in queries.find_complaints(self.store, by, text)
                if self.viewer.sees_unit(c["outlet"], self.chart)]

    def timeline(self, complaint_id: str, as_of: datetime | None = None, at: datetime | None = None,
                 ) -> dict[str, Any]:
        self.viewer.require("timeline")
        facts = queries.facts_of(self.store, [complaint_id]).get(complaint_id)
        if facts is not None:
            self.viewer.check_outlet(facts.outlet, self.chart)
        doc = timeline(self.log, complaint_id, self.tz, as_of=as_of, rules=self.rules, at=at)
        if facts is None:  # recorded but not yet projected: check against the record itself
            outlet = next((e.get("outlet") for e in doc["events"] if e["action"] == "received"), None)
            if outlet is None or not self.viewer.sees_unit(outlet, self.chart):
                raise AccessDenied(f"{self.viewer.user} may not see complaint {complaint_id}")
        return doc

    def trend(self, unit: str | None) -> list[dict[str, Any]]:
        self.viewer.require("leaderboard")
        if unit is None and self.viewer.role == "branch":
            unit = self.viewer.unit
        if unit is None:
            return queries.indicator_trend(self.store)
        self.viewer.check_outlet(unit, self.chart)
        outlets = [u for u, d in self.chart.units.items()
                   if d.get("kind") == "outlet" and (u == unit or unit in self.chart.ancestors(u))]
        return queries.indicator_trend(self.store, outlets)

    def scores(self, period: Period, policy: Policy, units: bool = False, now: datetime | None = None,
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Person (or outlet) rows and corrections; a branch user gets only entries of its own outlets."""
        self.viewer.require("scores")
        if self.kept is not None and not units and self.viewer.role != "branch":
            return self.kept(period, policy)
        found, corrections = scores.entries(self.store, period, policy, self.tz, now or datetime.now(UTC), self.rules)
        found = [e for e in found if self.viewer.sees_unit(e.detail.get("outlet") or e.subject, self.chart)]
        corrections = [c for c in corrections if self.viewer.sees_unit(c["outlet"], self.chart)]
        if units:
            return scores.unit_rows(found, self.store), corrections
        return scores.person_rows(found, corrections, queries.people(self.store)), corrections

    def sla(self, period: Period, level: str, now: datetime | None = None,
            ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        self.viewer.require("sla")
        rows, watch = sla_report.summary(self.store, period, level, self.tz, now or datetime.now(UTC), self.rules)
        return self.viewer.units(rows, self.chart), self.viewer.units(watch, self.chart, key="outlet")

    def appeals(self, period: Period, policy: Policy, now: datetime | None = None) -> list[dict[str, Any]]:
        """Appeals filed in the period against assessment entries, with their deadlines."""
        self.viewer.require("sla")
        rows = appeals.watch(self.store, policy, self.tz, now or datetime.now(UTC), period)
        return self.viewer.units(rows, self.chart, key="outlet")

    def staff(self, period: Period, policy: Policy, now: datetime | None = None) -> list[dict[str, Any]]:
        """The complaint staff's ranking; a branch viewer sees the handlers of its own outlets only."""
        self.viewer.require("staff")
        rows = staff.ranking(self.store, period, policy, self.tz, now or datetime.now(UTC), self.rules)
        if self.viewer.role != "branch":
            return rows
        return [r for r in rows if any(self.viewer.sees_unit(o, self.chart) for o in r["outlets"])]

    def hot_issues(self, issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Hot issues whose ledger unit the viewer may see (issues of the whole bank only bank-wide)."""
        self.viewer.require("hot")
        if self.viewer.role != "branch":
            return issues
        return [i for i in issues if i["unit"] is not None and self.viewer.sees_unit(i["unit"], self.chart)]

    def secondary(self, period: Period, level: str) -> list[dict[str, Any]]:
        """Callback coverage, satisfaction, mediation, repeats and hand-overs of the units the viewer may see."""
        self.viewer.require("leaderboard")
        return self.viewer.units(secondary.indicators(self.store, period, level), self.chart)
