"""Scoring policy as data: versions with dates of effect, read from TOML.

A version is never edited once it has scored a period: a bank's new rules are a new version from a
new date, so last year's scores stay reproducible and every entry names the version behind it.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any

TIERS = ("hq", "regulator", "aggravated", "branch")
DEFAULT = Path(__file__).resolve().parents[1] / "plaintrail" / "policies" / "default.toml"


class InvalidPolicy(ValueError):
    pass


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
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise InvalidPolicy(f"{path}: {error}") from None
        return cls.parse(data, path.name)

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
            sla_regimes=tuple(outlets["sla_regimes"]))
    except KeyError as missing:
        raise InvalidPolicy(f"{where}: missing {missing}") from None
    except (InvalidOperation, TypeError, ValueError) as error:
        if isinstance(error, InvalidPolicy):
            raise
        raise InvalidPolicy(f"{where}: {error}") from None
