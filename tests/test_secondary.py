"""Secondary indicators equal a direct count on a hand-made history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections.secondary import indicators

ORG = {"units": [{"id": "HQ", "kind": "hq"}, {"id": "B", "kind": "branch", "parent": "HQ"},
                 {"id": "O1", "kind": "outlet", "parent": "B"}, {"id": "O2", "kind": "outlet", "parent": "B"}]}


def step(cid: str, n: int, action: str, day: int, **fields: Any) -> Any:
    return parse_action({"action_id": f"{cid}-{n}", "complaint_id": cid, "action": action,
                         "at": f"2024-05-{day:02d}T10:00:00+08:00", **fields})


def closed(cid: str, day: int, customer: str, category: str, callback: bool | None) -> list[Any]:
    out = [step(cid, 1, "received", day, outlet="O1", channel="app", customer_ref=customer, category=category),
           step(cid, 2, "handled", day, outcome="resolved"), step(cid, 3, "closed", day)]
    if callback is not None:
        out.append(step(cid, 4, "callback", day + 1, satisfied=callback))
    return out


def test_counts_match_the_history(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(ORG))
    actions = [*closed("A", 1, "C1", "fees", True), *closed("B", 2, "C2", "cards", False),
               *closed("C", 10, "C1", "fees", None),  # C1 again about fees within 30 days: a repeat, no callback
               *closed("D", 12, "C1", "cards", True),  # another category: not a repeat
               step("E", 1, "received", 3, outlet="O1", channel="web"),
               step("E", 2, "assigned", 3, assignee="P", outlet="O2"),  # handed over to O2
               step("E", 3, "mediation_requested", 4, mediator="centre"),
               step("E", 4, "mediation_concluded", 9, success=True, amount="1200.50")]
    assert not log.record(enumerate(actions)).rejected
    store = open_read_models(settings)
    catch_up(settings, store=store)
    (row,) = indicators(store, Period.parse("2024-05"), "outlet")
    assert (row["unit"], row["complaints"], row["closed"], row["callbacks"]) == ("O1", 5, 4, 3)
    assert row["callback_coverage_pct"] == 75.0 and row["satisfaction_pct"] == 66.7
    assert (row["repeats"], row["repeat_pct"]) == (1, 20.0)
    assert (row["handovers"], row["mediations"], row["mediation_success_pct"]) == (1, 1, 100.0)
    assert row["mediation_amount_cny"] == "1200.50"
