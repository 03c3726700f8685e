"""Business days: weekdays that are not public holidays, plus make-up working weekends (调休).

Pure data: the holiday lists come from files the bank maintains (`plaintrail/policies/holidays-*.toml`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Calendar:
    name: str = "weekdays"
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days worked in exchange

    def is_business_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_business_days(self, day: date, count: int) -> date:
        """The `count`-th business day after `day` (day itself not counted); the calendar's last day
        when that lies beyond it."""
        current = day
        while count > 0:
            if current == date.max:
                return current
            current += timedelta(days=1)
            if self.is_business_day(current):
                count -= 1
        return current

    @classmethod
    def parse(cls, name: str, data: dict[str, list[date]]) -> Calendar:
        return cls(name, frozenset(data.get("holidays", [])), frozenset(data.get("workdays", [])))
