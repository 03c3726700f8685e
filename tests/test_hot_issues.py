"""Hot issues: a threshold crossing opens exactly one issue; ledgers close item by item; overdue items cost points."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.actions import parse_action
from domain.hot_issues import HotIssueRefused, HotIssueRules
from domain.organisation import OrganisationSpec
from domain.scoring import overdue_entries
from plaintrail import hot
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

TZ = ZoneInfo("Asia/Shanghai")
RULES = HotIssueRules(window_days=30, category_threshold=100, outlet_threshold=3, ledger=(("fix it", 10),))
ORG = {"units": [{"id": "HQ", "kind": "hq"}, {"id": "B", "kind": "branch", "parent": "HQ"},
                 {"id": "S", "kind": "sub_branch", "parent": "B"}, {"id": "O1", "kind": "outlet", "parent": "S"}],
       "people": [{"id": "VP", "roles": [{"role": "supervising_vp", "unit": "S", "from": "2020-01-01"}]}]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(ORG))
    return settings


def complaints(settings: Settings, days: list[int], month: int = 3) -> None:
    log = open_log(settings)
    actions = [parse_action({"action_id": f"R{month}-{d}-{n}", "complaint_id": f"C{month}-{d}-{n}",
                             "action": "received", "at": f"2024-{month:02d}-{d:02d}T10:00:00+08:00", "outlet": "O1",
                             "channel": "app", "customer_ref": f"CU{n}", "category": f"topic {n}"})
               for n, d in enumerate(days)]
    assert not log.record(enumerate(actions)).rejected


def test_one_crossing_opens_exactly_one_issue(settings: Settings) -> None:
    complaints(settings, [1, 5, 20])  # the third within 30 days crosses the outlet threshold
    opened = hot.detect(settings, RULES)
    assert len(opened) == 1 and hot.detect(settings, RULES) == []
    complaints(settings, [22, 25, 28])  # more of the same while it is open: no second issue
    assert hot.detect(settings, RULES) == []
    (issue,) = hot.issues(settings)
    assert (issue["kind"], issue["subject"], issue["executive"], issue["unit"]) == ("outlet", "O1", "VP", "O1")
    assert issue["customers"] == ["CU0", "CU1", "CU2"] and issue["items_open"] == 1


def test_an_issue_closes_only_with_every_item_closed_then_a_new_crossing_opens_another(settings: Settings) -> None:
    complaints(settings, [1, 2, 3])
    (issue_id,) = hot.detect(settings, RULES)
    log = open_log(settings)
    register = hot.register(log)
    with pytest.raises(HotIssueRefused, match="still open"):
        register.close(issue_id, datetime(2024, 3, 10, tzinfo=TZ))
    with pytest.raises(HotIssueRefused, match="evidence"):
        register.close_item(issue_id, "1", datetime(2024, 3, 10, tzinfo=TZ), "  ")
    register.close_item(issue_id, "1", datetime(2024, 3, 10, tzinfo=TZ), "report RC-7 filed")
    register.close(issue_id, datetime(2024, 3, 11, tzinfo=TZ))
    log.save(register)
    complaints(settings, [5, 6, 7], month=5)  # a new cluster after the issue closed
    assert len(hot.detect(settings, RULES)) == 1
    events = [n.topic.rsplit(":", 1)[-1] for n in log.recorder.select_notifications(1, 1000)]
    assert events.count("HotIssues.Opened") == 2 and "HotIssues.ItemClosed" in events


def test_overdue_items_cost_points_in_the_period_they_fall_due(settings: Settings) -> None:
    complaints(settings, [1, 2, 3])
    (issue_id,) = hot.detect(settings, RULES)  # opened 3 March: the item is due 13 March
    (issue,) = hot.issues(settings)
    assert issue["items"][0]["due"] == date(2024, 3, 13)
    march, april = (date(2024, 3, 1), date(2024, 3, 31)), (date(2024, 4, 1), date(2024, 4, 30))
    assert [e.points for e in overdue_entries([issue_dict(settings, issue_id)], *march, -2)] == [-2]
    assert overdue_entries([issue_dict(settings, issue_id)], *april, -2) == []
    log = open_log(settings)
    register = hot.register(log)
    register.close_item(issue_id, "1", datetime(2024, 3, 12, 18, tzinfo=TZ), "done on time")
    log.save(register)
    assert overdue_entries([issue_dict(settings, issue_id)], *march, -2) == []  # closed before it fell due
    register.reopen_item(issue_id, "1", datetime(2024, 3, 14, tzinfo=TZ), "the fix did not hold")
    register.close_item(issue_id, "1", datetime(2024, 3, 20, tzinfo=TZ), "fixed again")
    log.save(register)
    assert len(overdue_entries([issue_dict(settings, issue_id)], *march, -2)) == 1  # finally closed late


def issue_dict(settings: Settings, issue_id: str) -> dict[str, object]:
    return hot.register(open_log(settings)).issues[issue_id]


def test_the_ledger_template_is_policy_data() -> None:
    rules = hot.rules()
    assert rules.window_days > 0 and rules.ledger and all(days > 0 for _, days in rules.ledger)
    assert timedelta(days=rules.window_days) < timedelta(days=366)
