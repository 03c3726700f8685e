"""The assessment's rules beyond the fines, as a policy version's data (DOMAIN.md, "Penalties and rewards"):
departments' points by share, rewards, accountability for repeated errors, appeals, and the annual grade.

Each section is optional: a version without it scores nothing by that rule (a bank's old versions keep
scoring what they scored), and every number is read from the version in effect on the day that decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

TIER_NAMES = ("hq", "regulator", "aggravated", "branch")
CENT = Decimal("0.01")


class InvalidRules(ValueError):
    pass


@dataclass(frozen=True)
class Band:
    grade: str
    min: Decimal | None  # None: the last band, whatever the points


@dataclass(frozen=True)
class Grades:
    """Bands, best first: a total reaching a band's `min` (inclusive) gets its grade."""

    person: tuple[Band, ...] = ()
    unit: tuple[Band, ...] = ()

    def of(self, points: Decimal | int, unit: bool = False) -> str | None:
        for band in self.unit if unit else self.person:
            if band.min is None or Decimal(points) >= band.min:
                return band.grade
        return None


@dataclass(frozen=True)
class AssessmentRules:
    departments: dict[str, Decimal] = field(default_factory=dict)  # tier -> points of a whole complaint
    reward_person_points: int = 0
    reward_unit_points: int = 0
    reward_cny: Decimal = Decimal("0.00")  # to each person rewarded (物质奖励)
    repeat_errors: int = 0  # 0: no accountability rule in this version
    repeat_window_days: int = 0
    repeat_person_points: int = 0
    repeat_outlet_points: int = 0
    repeat_cny: Decimal = Decimal("0.00")  # the extra deduction in yuan, to the person named
    appeal_days: int = 0  # 0: appeals have no deadline in this version
    appeal_deciders: tuple[str, ...] = ()  # roles that may decide an appeal
    grades: Grades = field(default_factory=Grades)


def parse(raw: dict[str, Any], where: str) -> AssessmentRules:
    """The optional sections [version.departments], .rewards, .accountability, .appeals, .grades."""
    try:
        departments = {t: Decimal(str(v)) for t, v in _table(raw, "departments", where).items()}
        unknown = set(departments) - set(TIER_NAMES)
        if unknown:
            raise InvalidRules(f"{where}: [version.departments] has unknown tiers {sorted(unknown)}")
        rewards = _table(raw, "rewards", where)
        repeat = _table(raw, "accountability", where)
        appeals = _table(raw, "appeals", where)
        grades = _table(raw, "grades", where)
        rules = AssessmentRules(
            departments=departments,
            reward_person_points=int(rewards.get("person_points", 0)),
            reward_unit_points=int(rewards.get("unit_points", 0)),
            reward_cny=_yuan(rewards.get("person_cny", "0"), where),
            repeat_errors=int(repeat.get("errors", 0)), repeat_window_days=int(repeat.get("window_days", 0)),
            repeat_person_points=int(repeat.get("person_points", 0)),
            repeat_outlet_points=int(repeat.get("outlet_points", 0)),
            repeat_cny=_yuan(repeat.get("person_cny", "0"), where),
            appeal_days=int(appeals.get("decide_within_days", 0)),
            appeal_deciders=tuple(str(r) for r in appeals.get("deciders", ())),
            grades=Grades(_bands(grades.get("person", []), f"{where} grades.person"),
                          _bands(grades.get("unit", []), f"{where} grades.unit")))
    except (ArithmeticError, TypeError, ValueError) as error:
        if isinstance(error, InvalidRules):
            raise
        raise InvalidRules(f"{where}: {error}") from None
    if rules.repeat_errors < 0 or (rules.repeat_errors and rules.repeat_window_days < 1):
        raise InvalidRules(f"{where}: accountability needs errors >= 1 and window_days >= 1")
    if rules.appeal_days < 0:
        raise InvalidRules(f"{where}: appeals.decide_within_days must be >= 0")
    return rules


def _table(raw: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    found = raw.get(name, {})
    if not isinstance(found, dict):
        raise InvalidRules(f"{where}: [version.{name}] must be a table")
    return found


def _yuan(value: Any, where: str) -> Decimal:
    amount = Decimal(str(value))
    if amount < 0 or amount != amount.quantize(CENT):
        raise InvalidRules(f"{where}: amounts must be >= 0 with at most 2 decimals, not {value!r}")
    return amount.quantize(CENT)


def _bands(raw: Any, where: str) -> tuple[Band, ...]:
    """Best first, each `min` below the one before; only the last may leave `min` out."""
    if not isinstance(raw, list):
        raise InvalidRules(f"{where}: a list of {{grade, min}} tables, best first")
    bands = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or "grade" not in item:
            raise InvalidRules(f"{where}: band {index + 1} needs a 'grade'")
        least = item.get("min")
        if least is None and index != len(raw) - 1:
            raise InvalidRules(f"{where}: only the last band may leave out 'min'")
        bands.append(Band(str(item["grade"]), None if least is None else Decimal(str(least))))
    mins = [b.min for b in bands if b.min is not None]
    if any(lower >= upper for upper, lower in zip(mins, mins[1:], strict=False)):
        raise InvalidRules(f"{where}: bands go best first, each 'min' below the one before")
    return tuple(bands)
