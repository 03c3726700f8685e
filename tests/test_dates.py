"""Dates are checked before anything is recorded: RFC 3339 only, `at` inside a plausible window, and the
arithmetic on dates (periods, SLA deadlines, business days) holds up to the ends of the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.actions import InvalidAction, parse_action
from domain.calendar import Calendar
from domain.dates import ImplausibleDate, Window, parse_instant, placeable
from domain.errors import InvalidOrganisation
from domain.organisation import OrganisationSpec
from domain.periods import InvalidPeriod, Period
from domain.sla import evaluate
from plaintrail.settings import Settings

TZ = ZoneInfo("Asia/Shanghai")


def received(at: Any) -> dict[str, Any]:
    return {"action_id": "A-1", "complaint_id": "C-1", "action": "received", "at": at, "outlet": "O", "channel": "web"}


@pytest.mark.parametrize("at", [
    "2024-W10-1T12:00:00+08:00",  # ISO 8601 week date
    "2024-W10-1",
    "20240301T120000+0800",  # basic format
    "2024-03-01T12:00:00 +08:00",  # a space before the offset
    "2024-03-01 12:00:00+08:00",  # a space instead of T
    "2024-03-01T12:00+08:00",  # no seconds
    "2024-03-01T12:00:00+0800",  # offset without its colon
    "2024-03-01T12:00:00+08",
    "2024-03-01T12:00:00.+08:00",
    "2024-060T12:00:00+08:00",  # ordinal date
    "2024-03-01T24:00:00+08:00",
    "2024-03-01T12:00:60+08:00",  # a leap second: datetime has none
    "2024-03-01T12:00:00+15:00",  # no place on Earth keeps this offset
    "２０２４-03-01T12:00:00+08:00",  # full-width digits
])
def test_only_rfc_3339_date_times_are_accepted(at: str) -> None:
    with pytest.raises(InvalidAction, match=r"^at: "):
        parse_action(received(at))


@pytest.mark.parametrize(("at", "expected"), [
    ("2024-03-01T12:00:00+08:00", datetime(2024, 3, 1, 4, tzinfo=UTC)),
    ("2024-03-01t12:00:00z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01T12:00:00Z", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01T12:00:00-00:00", datetime(2024, 3, 1, 12, tzinfo=UTC)),
    ("2024-03-01T12:00:00.123456789+00:00", datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)),
    ("2024-03-01T12:00:00.5-05:30", datetime(2024, 3, 1, 17, 30, 0, 500000, tzinfo=UTC)),
])
def test_rfc_3339_forms_are_read_exactly(at: str, expected: datetime) -> None:
    assert parse_action(received(at)).at == expected


def test_the_window_names_the_field_and_its_bounds() -> None:
    window = Window.plausible(datetime(2026, 3, 1, tzinfo=UTC))
    assert window == Window(datetime(2000, 1, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    window.check("at", datetime(2026, 3, 2, tzinfo=UTC))  # both ends included
    window.check("at", datetime(2000, 1, 1, 8, tzinfo=TZ))
    for moment in (parse_instant("9999-12-31T23:59:59-12:00"), parse_instant("0001-01-01T00:00:00+14:00"),
                   datetime(1999, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 3, 2, 0, 0, 1, tzinfo=UTC)):
        with pytest.raises(ImplausibleDate) as refused:
            window.check("at", moment, "complaint C-1")
        assert str(refused.value) == (f"complaint C-1: at {moment.isoformat()} is outside the plausible window "
                                      "2000-01-01T00:00:00+00:00 .. 2026-03-02T00:00:00+00:00")
    far = Window.plausible(datetime(2026, 3, 1, tzinfo=UTC), ahead=timedelta(days=3_000_000))
    assert far.latest == datetime.max.replace(tzinfo=UTC)


def test_the_window_comes_from_the_settings(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    window = Settings(home=tmp_path, earliest_at="2015-06-01", latest_ahead="0.5").at_window()()
    assert window.earliest == datetime(2015, 6, 1, tzinfo=UTC)
    assert before + timedelta(hours=12) <= window.latest <= datetime.now(UTC) + timedelta(hours=12)
    assert Settings(home=tmp_path, earliest_at="2015-06-01T00:00:00+08:00").at_window()().earliest == \
        datetime(2015, 5, 31, 16, tzinfo=UTC)
    assert Settings(home=tmp_path).at_window()().earliest == datetime(2000, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="PLAINTRAIL_EARLIEST_AT"):
        Settings(home=tmp_path, earliest_at="2015-W01-1").at_window()
    with pytest.raises(ValueError, match="PLAINTRAIL_LATEST_AHEAD"):
        Settings(home=tmp_path, latest_ahead="tomorrow").at_window()


@pytest.mark.parametrize(("field", "day"), [("from", "0001-01-01"), ("to", "9999-12-31"), ("from", "1899-12-31")])
def test_role_dates_out_of_the_plausible_range_are_refused(field: str, day: str) -> None:
    role = {"role": "head", "unit": "O", "from": "2020-01-01", field: day}
    with pytest.raises(InvalidOrganisation, match=rf"'{field}' {day} is outside the plausible"):
        OrganisationSpec.parse({"units": [{"id": "H", "kind": "hq"}, {"id": "O", "kind": "outlet", "parent": "H"}],
                                "people": [{"id": "P", "roles": [role]}]})


def test_placeable_leaves_a_day_of_room_at_both_ends() -> None:
    placeable(datetime(2, 1, 1, tzinfo=UTC))
    placeable(datetime(9998, 12, 31, 23, 59, tzinfo=UTC))
    for moment in (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC), datetime(2024, 1, 1)):
        with pytest.raises(ValueError):
            placeable(moment)


def test_periods_reach_the_ends_of_the_calendar() -> None:
    last = Period.parse("9999-12")
    assert last.end(TZ) == datetime.max.replace(tzinfo=TZ) and Period.parse("9999").end(TZ) > last.start(TZ)
    assert str(Period.parse("0001Q1")) == "0001Q1" and Period.parse("0001-01").months == ["0001-01"]
    assert Period.parse("0001-01").previous.start(TZ) == datetime.min.replace(tzinfo=TZ)
    with pytest.raises(InvalidPeriod):
        Period.parse("0000-12")


class Case:
    def __init__(self, received_at: datetime, category: str = "payments") -> None:
        self.received_at, self.category = received_at, category
        self.annulled: set[str] = set()
        self.history: dict[str, dict[str, Any]] = {
            "r": {"action": "received", "at": received_at, "fields": {}},
            "x": {"action": "extended", "at": received_at, "fields": {"days": 45}},
            "p": {"action": "appraisal_started", "at": received_at, "fields": {}}}


@pytest.mark.parametrize("unit", ["calendar", "business"])
def test_sla_deadlines_near_the_end_of_the_calendar_stop_at_its_last_day(unit: str) -> None:
    from domain.sla import SlaRules

    case = Case(datetime(9999, 12, 20, tzinfo=UTC))
    rows = evaluate(case, datetime(9999, 12, 31, tzinfo=UTC), TZ, SlaRules(cbirc_unit=unit))
    assert {r["regime"] for r in rows} >= {"cbirc", "cfpb_final", "fca", "fca_payments"}
    assert all(r["deadline"] <= "9999-12-31T23:59:59.999999+08:00" for r in rows)
    assert Calendar().add_business_days(date.max - timedelta(days=2), 10) == date.max
