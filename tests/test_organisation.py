"""The organisation with dated roles, recorded as events: history answers who held a role on a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from domain.application import ComplaintLog
from domain.errors import InvalidOrganisation
from domain.organisation import ORGANISATION_ID, Organisation, OrganisationSpec

BANK = yaml.safe_load((Path(__file__).resolve().parents[1] / "examples" / "bank.yaml").read_text(encoding="utf-8"))


def memory_log() -> ComplaintLog:
    return ComplaintLog(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"})


def test_who_was_head_on_a_day_survives_a_reorganisation() -> None:
    log = memory_log()
    log.load_organisation(OrganisationSpec.parse(BANK))
    chart = log.organisation().chart
    assert chart.responsible("O-001", date(2024, 2, 20))["head"] == ["P-H1"]
    assert chart.responsible("O-001", date(2024, 3, 5))["head"] == ["P-H1B"]
    assert chart.responsible("O-001", date(2024, 3, 5))["supervising_vp"] == ["P-VP-PD"]
    assert chart.responsible("O-001", date(2024, 3, 5))["president"] == ["P-PRES"]
    assert log.load_organisation(OrganisationSpec.parse(BANK)) == 0  # the same file: nothing new
    changed = {**BANK, "units": [dict(u, customers=1) if u["id"] == "O-002" else u for u in BANK["units"]]}
    assert log.load_organisation(OrganisationSpec.parse(changed)) == 1  # only the difference is recorded
    events = [n.topic.rsplit(":", 1)[-1] for n in log.recorder.select_notifications(1, 1000)]
    assert events.count("Organisation.UnitRegistered") == len(BANK["units"]) + 1


def test_an_invalid_file_lists_every_problem() -> None:
    bad = {"units": [{"id": "HQ", "kind": "hq"}, {"id": "O1", "kind": "outlet", "parent": "NOPE"},
                     {"id": "O2", "kind": "outlet", "parent": "HQ"}, {"id": "O2", "kind": "outlet", "parent": "HQ"}],
           "people": [{"id": "P", "roles": [{"role": "head", "unit": "O9", "from": "2024-01-01"}]}]}
    with pytest.raises(InvalidOrganisation) as error:
        OrganisationSpec.parse(bad)
    message = str(error.value)
    for part in ("NOPE", "O2 is listed twice", "cannot sit under HQ", "unknown unit O9"):
        assert part in message, message
    with pytest.raises(InvalidOrganisation, match="before"):
        OrganisationSpec.parse({"units": [{"id": "HQ", "kind": "hq"}], "people": [
            {"id": "P", "roles": [{"role": "president", "unit": "HQ", "from": "2024-05-01", "to": "2024-01-01"}]}]})


def small_bank(*people: dict[str, object]) -> OrganisationSpec:
    return OrganisationSpec.parse({
        "units": [{"id": "HQ", "kind": "hq"}, {"id": "BR", "kind": "branch", "parent": "HQ"},
                  {"id": "SB1", "kind": "sub_branch", "parent": "BR"}, {"id": "SB2", "kind": "sub_branch",
                                                                       "parent": "BR"},
                  {"id": "O1", "kind": "outlet", "parent": "SB1"}, {"id": "O2", "kind": "outlet", "parent": "SB2"}],
        "people": list(people)})


def person(pid: str, role: str, unit: str, start: str, end: str | None = None) -> dict[str, object]:
    return {"id": pid, "roles": [{"role": role, "unit": unit, "from": start, **({"to": end} if end else {})}]}


def test_the_nearest_unit_above_that_has_the_role_answers() -> None:
    log = memory_log()
    log.load_organisation(small_bank(person("VP-BR", "supervising_vp", "BR", "2024-01-01"),
                                     person("VP-SB1", "supervising_vp", "SB1", "2024-01-01"),
                                     person("PRES", "president", "HQ", "2024-01-01"),
                                     person("H1", "head", "O1", "2024-01-01")))
    chart = log.organisation().chart
    assert chart.responsible("O1", date(2024, 3, 1)) == {"head": ["H1"], "supervising_vp": ["VP-SB1"],
                                                         "president": ["PRES"]}
    # SB2 has no VP of its own: the branch's answers; O2 has no head at all.
    assert chart.responsible("O2", date(2024, 3, 1)) == {"head": [], "supervising_vp": ["VP-BR"],
                                                         "president": ["PRES"]}
    assert chart.responsible("O1", date(2023, 12, 31)) == {"head": [], "supervising_vp": [], "president": []}


def test_a_role_change_mid_quarter_is_recorded_as_a_difference_and_history_keeps_the_old_answer() -> None:
    log = memory_log()
    log.load_organisation(small_bank(person("A", "head", "O1", "2024-01-01")))
    version_before = log.organisation().version
    changes = log.load_organisation(small_bank(person("A", "head", "O1", "2024-01-01", "2024-02-14"),
                                               person("B", "head", "O1", "2024-02-15")))
    assert changes == 3  # A's term now ends; B registered; B's term begins
    chart = log.organisation().chart
    assert chart.responsible("O1", date(2024, 2, 14))["head"] == ["A"]  # both ends inclusive
    assert chart.responsible("O1", date(2024, 2, 15))["head"] == ["B"]
    assert chart.responsible("O1", date(2024, 3, 31))["head"] == ["B"]
    then: Organisation = log.repository.get(ORGANISATION_ID, version=version_before)  # as it was recorded
    assert then.chart.responsible("O1", date(2024, 3, 31))["head"] == ["A"]


def test_a_role_dropped_from_the_file_is_revoked_but_kept_in_history() -> None:
    log = memory_log()
    log.load_organisation(small_bank(person("A", "head", "O1", "2024-01-01"), person("X", "head", "O1", "2024-01-01")))
    assert log.organisation().chart.responsible("O1", date(2024, 2, 1))["head"] == ["A", "X"]
    assert log.load_organisation(small_bank(person("A", "head", "O1", "2024-01-01"),
                                            {"id": "X", "roles": []})) == 1
    assert log.organisation().chart.responsible("O1", date(2024, 2, 1))["head"] == ["A"]
    topics = [n.topic.rsplit(".", 1)[-1] for n in log.recorder.select_notifications(1, 100)]
    assert topics.count("RoleAssigned") == 2 and topics.count("RoleRevoked") == 1


def test_wrong_nesting_and_missing_parents_are_all_listed() -> None:
    with pytest.raises(InvalidOrganisation) as error:
        OrganisationSpec.parse({"units": [
            {"id": "HQ", "kind": "hq"}, {"id": "O1", "kind": "outlet", "parent": "HQ"},
            {"id": "SB", "kind": "sub_branch"}, {"id": "B2", "kind": "branch", "parent": "SB"}],
            "people": [{"id": "P", "roles": []}, {"id": "P", "roles": []}]})
    message = str(error.value)
    for part in ("O1 (outlet) cannot sit under HQ (hq)", "SB (sub_branch) needs a parent",
                 "B2 (branch) cannot sit under SB (sub_branch)", "person P is listed twice"):
        assert part in message, message
    with pytest.raises(InvalidOrganisation, match="role"):
        OrganisationSpec.parse({"units": [{"id": "HQ", "kind": "hq"}],
                                "people": [{"id": "P", "roles": [{"role": "janitor", "unit": "HQ",
                                                                  "from": "2024-01-01"}]}]})


def national_bank(outlets: int) -> dict[str, object]:
    units: list[dict[str, object]] = [{"id": "HQ", "kind": "hq"}, {"id": "BR", "kind": "branch", "parent": "HQ"},
                                      {"id": "SB", "kind": "sub_branch", "parent": "BR"}]
    units += [{"id": f"O-{n:05d}", "kind": "outlet", "parent": "SB", "customers": 1000 + n} for n in range(outlets)]
    people = [{"id": f"P-{n:05d}", "roles": [{"role": "head", "unit": f"O-{n:05d}", "from": "2024-01-01"}]}
              for n in range(outlets)]
    return {"units": units, "people": people}


def test_a_large_organisation_is_stored_a_slice_at_a_time_and_a_crash_between_slices_is_completed_by_a_reload(
        settings: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL one insert of tens of thousands of organisation events stalled; slices of it do not."""
    from plaintrail.settings import Settings
    from plaintrail.wiring import open_log

    assert isinstance(settings, Settings)
    spec = OrganisationSpec.parse(national_bank(300))
    monkeypatch.setattr(ComplaintLog, "ORG_SLICE", 64)
    original = ComplaintLog._save_events
    calls = {"n": 0}

    def fail_on_the_fourth(self: ComplaintLog, events: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise ConnectionError("the database went away between slices")
        original(self, events)  # type: ignore[arg-type]

    monkeypatch.setattr(ComplaintLog, "_save_events", fail_on_the_fourth)
    with pytest.raises(ConnectionError):
        open_log(settings).load_organisation(spec)
    crashed = open_log(settings)
    stored = crashed.recorder.max_notification_id()
    assert stored == 3 * 64  # three whole slices, nothing of the fourth
    monkeypatch.setattr(ComplaintLog, "_save_events", original)
    log = open_log(settings)
    rest = log.load_organisation(spec)
    assert rest > 0 and log.recorder.max_notification_id() == stored + rest
    again = open_log(settings)
    assert again.load_organisation(spec) == 0
    assert again.organisation().chart.responsible("O-00299", date(2024, 5, 1))["head"] == ["P-00299"]
    assert len([u for u in again.organisation().units if u.startswith("O-")]) == 300
