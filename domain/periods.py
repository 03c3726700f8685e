"""Reporting periods as the bank names them: `2024-03` (month), `2024Q1` (quarter), `2024H1` (half-year),
`2024` (year)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, time, tzinfo

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_HALF = re.compile(r"^(\d{4})H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    year: int
    first_month: int
    months_count: int  # 1 month, 3 quarter, 6 half-year, 12 year

    @classmethod
    def parse(cls, text: str) -> Period:
        text = text.strip().upper()
        if text[:4] == "0000":
            raise InvalidPeriod(f"not a period: {text!r}; the years start at 0001")
        if m := _MONTH.match(text):
            return cls(int(m[1]), int(m[2]), 1)
        if m := _QUARTER.match(text):
            return cls(int(m[1]), 3 * int(m[2]) - 2, 3)
        if m := _HALF.match(text):
            return cls(int(m[1]), 6 * int(m[2]) - 5, 6)
        if m := _YEAR.match(text):
            return cls(int(m[1]), 1, 12)
        raise InvalidPeriod(f"not a period: {text!r}; use 2024-03 (month), 2024Q1 (quarter), 2024H1 (half-year) "
                            "or 2024 (year)")

    @classmethod
    def month_of(cls, moment: datetime, tz: tzinfo) -> Period:
        local = moment.astimezone(tz)
        return cls(local.year, local.month, 1)

    @property
    def months(self) -> list[str]:
        """The months inside, as `YYYY-MM` keys (how read models index them)."""
        return [f"{self.year:04d}-{m:02d}" for m in range(self.first_month, self.first_month + self.months_count)]

    @property
    def previous(self) -> Period:
        month = self.first_month - self.months_count
        year = self.year
        if month < 1:
            month += 12
            year -= 1
        return Period(year, month, self.months_count)

    def start(self, tz: tzinfo) -> datetime:
        return _first_instant(self.year, self.first_month, tz)

    def end(self, tz: tzinfo) -> datetime:
        """Exclusive end: the first instant of the next period (the last one a date-time has, after 9999)."""
        month = self.first_month + self.months_count
        year = self.year + (month - 1) // 12
        month = (month - 1) % 12 + 1
        return _first_instant(year, month, tz)

    def __str__(self) -> str:
        if self.months_count == 1:
            return f"{self.year:04d}-{self.first_month:02d}"
        if self.months_count == 3:
            return f"{self.year:04d}Q{(self.first_month + 2) // 3}"
        if self.months_count == 6:
            return f"{self.year:04d}H{(self.first_month + 5) // 6}"
        return f"{self.year:04d}"


def _first_instant(year: int, month: int, tz: tzinfo) -> datetime:
    """Midnight starting a month, clamped to the calendar's ends (the period before 0001, after 9999)."""
    if year < MINYEAR:
        return datetime.min.replace(tzinfo=tz)
    if year > MAXYEAR:
        return datetime.max.replace(tzinfo=tz)
    return datetime.combine(date(year, month, 1), time.min, tzinfo=tz)
