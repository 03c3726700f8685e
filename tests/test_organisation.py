"""The organisation with dated roles, recorded as events: history answers who held a role on a day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from domain.application import ComplaintLog
from domain.errors import InvalidOrganisation
from domain.organisation import OrganisationSpec

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
