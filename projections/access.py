"""Who may see what: scopes enforced where the data is read, not by hiding widgets.

Roles: `management` and `admin` see everything (admin the access log too); `branch` sees its own unit's
subtree only; `audit` reads every timeline and the access log (and nothing is writable through the dashboard
anyway); `hr` sees scores. Every query the dashboard makes goes through a `Viewer`, so a page that forgets a
check still cannot show another branch's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.orgchart import OrgChart

ROLES = ("management", "branch", "audit", "hr", "admin")
PAGES = {
    "management": ("leaderboard", "timeline", "scores", "sla", "hot", "staff"),
    "branch": ("leaderboard", "timeline", "scores", "sla", "hot", "staff"),
    "audit": ("timeline", "sla", "hot", "access"),
    "hr": ("scores", "staff"),
    "admin": ("leaderboard", "timeline", "scores", "sla", "hot", "staff", "access"),
}


class AccessDenied(PermissionError):
    pass


@dataclass(frozen=True)
class Viewer:
    user: str
    role: str
    unit: str | None = None  # the subtree a `branch` user is limited to

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; use one of {', '.join(ROLES)}")
        if self.role == "branch" and not self.unit:
            raise ValueError(f"branch user {self.user} needs a unit")

    def may_open(self, page: str) -> bool:
        return page in PAGES[self.role]

    def require(self, page: str) -> None:
        if not self.may_open(page):
            raise AccessDenied(f"{self.user} ({self.role}) may not open {page}")

    def sees_unit(self, unit: str, chart: OrgChart) -> bool:
        """A unit is visible when the viewer is bank-wide, or it is the viewer's unit or below it."""
        if self.role != "branch":
            return True
        return unit == self.unit or self.unit in chart.ancestors(unit)

    def units(self, rows: Iterable[dict[str, Any]], chart: OrgChart, key: str = "unit") -> list[dict[str, Any]]:
        """The rows about units this viewer may see (a leaderboard, an SLA summary)."""
        return [r for r in rows if self.sees_unit(r[key], chart)]

    def check_outlet(self, outlet: str, chart: OrgChart) -> None:
        if not self.sees_unit(outlet, chart):
            raise AccessDenied(f"{self.user} may not see records of {outlet}")
