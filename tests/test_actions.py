"""Action validation: every action of the contract, and every way a line can be wrong, with a precise reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.actions import ACTION_NAMES, Annulled, Compensated, InvalidAction, Received, parse_action

AT = "2024-03-05T09:00:00+08:00"

# The contract's table: each action with its required fields filled in.
REQUIRED: dict[str, dict[str, Any]] = {
    "received": {"outlet": "O-001", "channel": "hotline"},
    "assigned": {"assignee": "P-C1"},
    "contacted": {}, "feedback": {}, "withdrawn": {}, "closed": {},
    "handled": {"outcome": "resolved"},
    "callback": {"satisfied": True},
    "escalated": {"level": "branch"},
    "mediation_requested": {"mediator": "Shanghai Banking Mediation Centre"},
    "mediation_concluded": {"success": True},
    "validated": {"effective": True, "decided_by": "pboc", "bank_caused": False},
    "compensated": {"amount": "120.50"},
    "public_opinion": {},
    "reopened": {"reason": "customer called again"},
    "annulled": {"target_action_id": "A-0", "reason": "typo"},
}
ENUMS = [("received", "channel", "fax"), ("received", "via", "telepathy"), ("received", "kind", "gossip"),
         ("handled", "outcome", "maybe"), ("escalated", "level", "moon"), ("validated", "decided_by", "court")]


def line(action: str, **fields: Any) -> dict[str, Any]:
    return {"action_id": "A-1", "complaint_id": "C-1", "action": action, "at": AT, **REQUIRED[action], **fields}


def reason(data: Any) -> str:
    with pytest.raises(InvalidAction) as error:
        parse_action(data)
    return str(error.value)


def test_the_contract_lists_every_action() -> None:
    assert set(REQUIRED) <= set(ACTION_NAMES)


@pytest.mark.parametrize("action", sorted(REQUIRED))
def test_each_action_with_its_required_fields_is_valid(action: str) -> None:
    parsed = parse_action(line(action, actor="P-C1"))
    assert (parsed.action, parsed.action_id, parsed.complaint_id, parsed.actor) == (action, "A-1", "C-1", "P-C1")
    assert parsed.at.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(("action", "field"),
                         [(a, f) for a, fields in REQUIRED.items() for f in fields]
                         + [(a, f) for a in REQUIRED for f in ("action_id", "complaint_id", "at")])
def test_a_missing_required_field_is_named(action: str, field: str) -> None:
    data = line(action)
    del data[field]
    assert f"{field}: Field required" in reason(data)


@pytest.mark.parametrize(("action", "field", "value"), ENUMS)
def test_a_value_outside_its_enum_is_refused_with_the_field_named(action: str, field: str, value: str) -> None:
    message = reason(line(action, **{field: value}))
    assert message.startswith(f"{field}: ") and value not in REQUIRED[action].values()


def test_defaults_of_received() -> None:
    parsed = parse_action(line("received"))
    assert isinstance(parsed, Received)
    assert (parsed.via, parsed.kind, parsed.category, parsed.customer_ref) == ("direct", "complaint", "", None)


@pytest.mark.parametrize("at", ["2024-03-05T09:00:00", "2024-03-05", 1709600400, 1709600400.5, True, None,
                                "yesterday", "2024-13-01T00:00:00+08:00", "05/03/2024 09:00 +08:00"])
def test_time_must_be_iso_with_an_offset(at: Any) -> None:
    assert reason(line("received", at=at)).startswith("at: ")


@pytest.mark.parametrize("at", ["2024-03-05T01:00:00Z", "2024-03-05T09:00:00+08:00", "2024-03-04T20:00:00-05:00"])
def test_any_explicit_offset_is_accepted_and_kept(at: str) -> None:
    parsed = parse_action(line("received", at=at))
    assert parsed.at.utcoffset() is not None and parsed.at.isoformat()[:19] == at[:19]


@pytest.mark.parametrize(("amount", "expected"), [("0", "0"), ("120.5", "120.50"), ("99999.99", "99999.99"),
                                                  (12, "12")])
def test_amounts_are_exact_decimals(amount: Any, expected: str) -> None:
    parsed = parse_action(line("compensated", amount=amount))
    assert isinstance(parsed, Compensated) and parsed.amount == Decimal(expected)


@pytest.mark.parametrize("amount", ["-0.01", "-5", "NaN", "Infinity", "-Infinity", "1.234", "0.001", "ten",
                                    "1e400", None, [1]])
def test_bad_amounts_are_refused(amount: Any) -> None:
    assert reason(line("compensated", amount=amount)).startswith("amount: ")
    assert reason(line("mediation_concluded", amount=amount)).startswith("amount: ")


@pytest.mark.parametrize(("field", "value"), [("satisfied", "maybe"), ("satisfied", [True]), ("satisfied", 2)])
def test_booleans_must_be_booleans(field: str, value: Any) -> None:
    assert reason(line("callback", **{field: value})).startswith(f"{field}: ")


def test_unknown_fields_are_refused_each_named() -> None:
    message = reason(line("received", shoe_size=43, colour="red"))
    assert "shoe_size: Extra inputs are not permitted" in message and "colour: Extra" in message
    assert "note: Extra" in reason(line("handled", note="fields of another action are unknown here"))


@pytest.mark.parametrize("name", ["teleported", "", "RECEIVED", None, 3])
def test_an_unknown_action_is_named_with_the_known_ones(name: Any) -> None:
    message = reason({"action_id": "A", "complaint_id": "C", "action": name, "at": AT})
    assert repr(name) in message
    assert all(known in message for known in REQUIRED)


@pytest.mark.parametrize("data", [[1, 2], "received", 42, None])
def test_not_an_object(data: Any) -> None:
    assert "JSON object" in reason(data)


@pytest.mark.parametrize("value", ["", "a\x00b", "tab\tinside", "x" * 129, 17])
def test_ids_are_short_printable_text(value: Any) -> None:
    assert reason(line("received", action_id=value)).startswith("action_id: ")


def test_several_problems_are_all_reported() -> None:
    message = reason(line("received", channel="fax", at="2024-03-05T09:00:00", outlet=None))
    assert all(f"{f}: " in message for f in ("channel", "at", "outlet")), message


def test_fields_are_what_the_event_carries() -> None:
    annulled = parse_action(line("annulled"))
    assert isinstance(annulled, Annulled)
    assert annulled.fields() == {"target_action_id": "A-0", "reason": "typo"}
    assert "source" not in parse_action(line("closed")).fields()
    assert parse_action(line("received", source={"timely": "Yes"})).fields()["source"] == {"timely": "Yes"}
