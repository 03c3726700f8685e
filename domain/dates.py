"""Instants as the record accepts them: RFC 3339 text, inside a plausible window.

`datetime.fromisoformat` guesses: it reads week dates (2024-W10-1), the basic format
(20240301T120000+0800) and a space before the offset, and any year from 1 to 9999, where moving an
instant to the bank's time zone or adding a deadline overflows. A line is rejected instead, before
anything is recorded. The window's bounds come from outside (settings and the clock): this module
reads neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.errors import DomainError

RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$", re.ASCII)
MAX_OFFSET = timedelta(hours=14)  # the widest offset any place on Earth keeps (Kiribati, UTC+14)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # the default lower bound of `at`
AHEAD = timedelta(days=1)  # the default: `at` at most a day after now (clocks and time zones disagree)


def parse_instant(value: Any) -> datetime:
    """An RFC 3339 date-time with an explicit offset (`2024-03-05T09:12:00+08:00`, `...Z`), or ValueError."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        if not RFC3339.match(value):
            raise ValueError(f"not an RFC 3339 date-time with an offset such as 2024-03-05T09:12:00+08:00: "
                             f"{value[:64]!r}")
        text = value.upper()
        if "." in text:  # more than 6 digits of a second: datetime keeps microseconds
            head, _, tail = text.partition(".")
            digits = len(tail) - len(tail.lstrip("0123456789"))
            text = f"{head}.{tail[:min(digits, 6)]}{tail[digits:]}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"not a valid date-time: {value!r} ({error})") from None
    else:
        raise ValueError("must be an RFC 3339 date-time string with an offset")
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"needs a UTC offset such as +08:00: {value!r}")
    if abs(offset) > MAX_OFFSET:
        raise ValueError(f"offset {moment.isoformat()[19:]} is beyond +-14:00: {value!r}")
    return moment


class ImplausibleDate(DomainError):
    """A time outside the window the bank configured: a typo or a forged line, never recorded."""


@dataclass(frozen=True)
class Window:
    """The instants a field may hold: from `earliest` to `latest`, both included."""

    earliest: datetime
    latest: datetime

    @classmethod
    def plausible(cls, now: datetime, earliest: datetime = EARLIEST, ahead: timedelta = AHEAD) -> Window:
        try:
            return cls(earliest, now + ahead)
        except OverflowError:  # a window open far ahead: as far as a date-time goes
            return cls(earliest, datetime.max.replace(tzinfo=UTC))

    def check(self, field: str, moment: datetime, subject: str = "") -> None:
        if not self.earliest <= moment <= self.latest:
            where = f"{subject}: " if subject else ""
            raise ImplausibleDate(f"{where}{field} {moment.isoformat()} is outside the plausible window "
                                  f"{self.earliest.isoformat()} .. {self.latest.isoformat()}")


def placeable(moment: datetime) -> None:
    """Raise ValueError unless the read side can place `moment`: it has an offset, and its year leaves a
    day's room either side, so moving it to UTC or to any time zone cannot overflow.

    The read side's guard: an event stored before the window was checked (or written around it) is
    reported instead of stopping every fold that meets it."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"at {moment.isoformat()} has no UTC offset")
    if not 1 < moment.year < 9999:
        raise ValueError(f"at {moment.isoformat()} is too near the ends of the calendar to place")
