"""Scoring policy as data: versions with dates of effect, read from TOML.

A version is never edited once it has scored a period: a bank's new rules are a new version from a
new date, so last year's scores stay reproducible and every entry names the version behind it.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from domain.assessment_rules import AssessmentRules, InvalidRules
from domain.assessment_rules import parse as parse_assessment

TIERS = ("hq", "regulator", "aggravated", "branch")
LIST_LEVELS = ("outlet", "sub_branch", "branch")
TIES = ("include", "exclude")
DEFAULT = Path(__file__).resolve().parents[1] / "plaintrail" / "policies" / "default.toml"


class InvalidPolicy(ValueError):
    pass


@dataclass(frozen=True)
class ListSize:
    """N of a red/black list: a count of units, or a share of the units ranked (`"10%"`, rounded down, so
    a list never takes more than the share promises: 10% of one branch is no list at all)."""

    count: int | None = None
    percent: Decimal | None = None

    @classmethod
    def parse(cls, value: Any) -> ListSize:
        text = str(value).strip()
        try:
            if isinstance(value, str) and text.endswith("%"):
                percent = Decimal(text[:-1])
                if not 0 <= percent <= 100:
                    raise ValueError
                return cls(percent=percent)
            if isinstance(value, bool) or (not isinstance(value, int) and not text.isdigit()):
                raise ValueError
            count = int(text)
            if count < 0:
                raise ValueError
            return cls(count=count)
        except (ValueError, InvalidOperation):
            raise InvalidPolicy(f"list size {value!r}: use a count of units (10) or a share ('10%')") from None

    def of(self, units: int) -> int:
        """N for a board of `units` units."""
        if self.percent is None:
            return self.count or 0
        return int(self.percent * units // 100)

    def __str__(self) -> str:
        return f"{self.percent.normalize():f}%" if self.percent is not None else str(self.count)


@dataclass(frozen=True)
class ListRule:
    """How the red/black lists are drawn: N per level, and whether units tied with the N-th are on the list
    (`include`, the fair default) or left off (`exclude`: only units strictly inside N)."""

    sizes: dict[str, ListSize] = field(default_factory=lambda: {level: ListSize(10) for level in LIST_LEVELS})
    ties: str = "include"


@dataclass(frozen=True)
class PolicyVersion:
    id: str
    start: date
    roles: tuple[str, ...]
    fines: dict[str, Decimal]
    person_points: dict[str, int]
    outlet_points: dict[str, int]
    no_complaints_bonus: int
    sla_breach: int
    sla_regimes: tuple[str, ...]
    lists: ListRule = field(default_factory=ListRule)  # a version without [version.lists]: 10 each, ties in
    assessment: AssessmentRules = field(default_factory=AssessmentRules)  # departments, rewards, appeals, grades


@dataclass(frozen=True)
class Policy:
    name: str
    versions: tuple[PolicyVersion, ...]  # oldest first

    def on(self, day: date) -> PolicyVersion:
        """The version in effect on `day`."""
        index = bisect_right(self.starts, day)
        if index == 0:
            raise InvalidPolicy(f"policy {self.name} has no version in effect on {day}")
        return self.versions[index - 1]

    @cached_property
    def starts(self) -> list[date]:
        return [v.start for v in self.versions]

    @classmethod
    def load(cls, path: Path = DEFAULT) -> Policy:
        """The policy file as it reads now (parsed once per text: every query loads it, and parsing is most of
        a kept board's millisecond budget)."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidPolicy(f"{path}: {error}") from None
        return _parsed(text, str(path), path.name)

    @classmethod
    def parse(cls, data: dict[str, Any], name: str = "policy") -> Policy:
        raw = data.get("version")
        if not isinstance(raw, list) or not raw:
            raise InvalidPolicy(f"{name}: needs at least one [[version]]")
        versions = sorted((_version(v, name) for v in raw), key=lambda v: v.start)
        ids = [v.id for v in versions]
        if len(set(ids)) != len(ids) or len({v.start for v in versions}) != len(versions):
            raise InvalidPolicy(f"{name}: version ids and start dates must be unique")
        return cls(name, tuple(versions))


def _version(raw: dict[str, Any], name: str) -> PolicyVersion:
    where = f"{name} version {raw.get('id', '?')}"
    try:
        fines, people, outlets = raw["fines"], raw["person_points"], raw["outlet_points"]
        start = raw["from"]
        if not isinstance(start, date):
            raise InvalidPolicy(f"{where}: 'from' must be a TOML date like 2024-01-01")
        amounts = {t: Decimal(str(fines[t])) for t in TIERS}
        if any(a < 0 or a != a.quantize(Decimal("0.01")) for a in amounts.values()):
            raise InvalidPolicy(f"{where}: fines must be >= 0 with at most 2 decimals")
        return PolicyVersion(
            id=str(raw["id"]), start=start, roles=tuple(fines["roles"]), fines=amounts,
            person_points={t: int(people[t]) for t in TIERS}, outlet_points={t: int(outlets[t]) for t in TIERS},
            no_complaints_bonus=int(outlets["no_complaints_bonus"]), sla_breach=int(outlets["sla_breach"]),
            sla_regimes=tuple(outlets["sla_regimes"]), lists=_lists(raw.get("lists"), where),
            assessment=parse_assessment(raw, where))
    except KeyError as missing:
        raise InvalidPolicy(f"{where}: missing {missing}") from None
    except InvalidRules as error:
        raise InvalidPolicy(str(error)) from None
    except (InvalidOperation, TypeError, ValueError) as error:
        if isinstance(error, InvalidPolicy):
            raise
        raise InvalidPolicy(f"{where}: {error}") from None


def _lists(raw: Any, where: str) -> ListRule:
    if raw is None:
        return ListRule()
    if not isinstance(raw, dict):
        raise InvalidPolicy(f"{where}: [version.lists] must be a table")
    unknown = set(raw) - {*LIST_LEVELS, "ties"}
    if unknown:
        raise InvalidPolicy(f"{where}: [version.lists] has unknown keys {sorted(unknown)}; "
                            f"use {', '.join(LIST_LEVELS)} and ties")
    ties = raw.get("ties", "include")
    if ties not in TIES:
        raise InvalidPolicy(f"{where}: lists.ties must be include or exclude, not {ties!r}")
    try:
        sizes = {level: ListSize.parse(raw.get(level, 10)) for level in LIST_LEVELS}
    except InvalidPolicy as error:
        raise InvalidPolicy(f"{where}: {error}") from None
    return ListRule(sizes, ties)


@lru_cache(maxsize=16)
def _parsed(text: str, path: str, name: str) -> Policy:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InvalidPolicy(f"{path}: {error}") from None
    return Policy.parse(data, name)
