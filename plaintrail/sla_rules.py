"""Load the SLA rules and holiday calendars from `plaintrail/policies/` (or PLAINTRAIL_SLA_RULES)."""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

from domain.calendar import Calendar
from domain.sla import SlaRules

POLICIES = Path(__file__).resolve().parent / "policies"
REGIMES = ("same_day", "cbirc", "cfpb", "fca", "servicenow")  # the families a bank may name in `regimes`


@lru_cache(maxsize=8)
def load(path: Path | None = None) -> SlaRules:
    path = path or Path(os.environ.get("PLAINTRAIL_SLA_RULES") or POLICIES / "sla.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    calendars = data.get("calendars", {})

    def calendar(name: str) -> Calendar:
        file = path.parent / calendars[name] if name in calendars else None
        if file is None:
            return Calendar(name)
        return Calendar.parse(name, tomllib.loads(file.read_text(encoding="utf-8")))

    cbirc = data.get("cbirc", {})
    unit = cbirc.get("unit", "calendar")
    if unit not in ("calendar", "business"):
        raise ValueError(f"{path}: cbirc.unit must be 'calendar' or 'business', not {unit!r}")
    servicenow = data.get("servicenow", {})
    hours = tuple((str(p), int(h)) for p, h in sorted(servicenow.get("resolution_hours", {}).items()))
    if any(h <= 0 for _, h in hours):
        raise ValueError(f"{path}: servicenow.resolution_hours must be positive")
    regimes = data.get("regimes")
    if regimes is not None:
        unknown = sorted(set(regimes) - set(REGIMES))
        if unknown or not regimes:
            raise ValueError(f"{path}: regimes must name some of {', '.join(REGIMES)}, not {unknown or regimes}")
    return SlaRules(cbirc_days=int(cbirc.get("days", 15)), cbirc_max_days=int(cbirc.get("max_days", 60)),
                    cbirc_unit=unit, bank_calendar=calendar("bank"), uk_calendar=calendar("uk"),
                    servicenow_hours=hours or SlaRules.servicenow_hours,
                    regimes=tuple(regimes) if regimes is not None else None)
