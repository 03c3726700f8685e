"""The relay's message bytes: `Envelope.to_json` (orjson, field by field) reads back as the same envelope, and gives
the bytes the earlier json.dumps(asdict(...)) form gave for every float-free payload (what consumers already hold)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projections.envelope import Envelope

SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
FLOAT_FREE: st.SearchStrategy[Any] = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)
ANY_JSON = st.recursive(SCALARS | st.floats(allow_nan=False, allow_infinity=False),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                        max_leaves=20)


def envelope(payload: dict[str, Any], complaint_id: str | None) -> Envelope:
    return Envelope(notification_id=7, originator_id="0b7e2c6e-65a4-4b35-9a47-0d4b5f6b1a11", version=3,
                    event_type="Complaint.Received", recorded_at="2024-03-05T01:12:00+00:00", payload=payload,
                    complaint_id=complaint_id, at="2024-03-05T09:12:00+08:00")


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), FLOAT_FREE, max_size=6), st.none() | st.text())
def test_to_json_gives_the_bytes_of_the_earlier_form(payload: dict[str, Any], complaint_id: str | None) -> None:
    built = envelope(payload, complaint_id)
    assert built.to_json() == json.dumps(asdict(built), ensure_ascii=False, separators=(",", ":")).encode()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), ANY_JSON, max_size=6), st.none() | st.text())
def test_to_json_reads_back_as_the_same_envelope(payload: dict[str, Any], complaint_id: str | None) -> None:
    built = envelope(payload, complaint_id)
    assert Envelope.from_json(built.to_json()) == built


def test_chinese_text_and_control_characters_travel_unescaped_and_escaped_as_before() -> None:
    built = envelope({"text": "ATM吞卡\u2028\x1f\"\\/😀", "amount": "12.50"}, "C-2024-000001")
    data = built.to_json()
    assert "ATM吞卡".encode() in data and b"\\u001f" in data
    assert data == json.dumps(asdict(built), ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize(("value", "reason"), [
    (None, "no value"), (b"[" * 100_000, "nested too deeply"), (b"\xff\xfe", "not JSON"),
    (b'{"a": NaN}', "not JSON"), (b"", "not JSON"), (b"[1, 2]", "not a plaintrail envelope")])
def test_a_message_that_is_not_an_envelope_is_refused_with_its_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Envelope.from_json(value)
