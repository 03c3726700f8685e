"""The self-describing form of one recorded event, the same for both transports.

Embedded mode builds envelopes straight from the notification log; Kafka mode ships them as JSON
and rebuilds them on the other side. Projections see only envelopes, so both modes run the same
folds on the same values. Payload values are plain JSON: date-times and dates as ISO text,
decimals as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification, Transcoder

from projections.upcasting import VERSION_KEY, current_version, upcast

SCHEMA_VERSION = 1


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _unwrap(value: Any) -> Any:
    """A value the library wrapped as {"_type_": name, "_data_": text}, as plain JSON, at any depth."""
    if isinstance(value, dict):
        if len(value) == 2 and "_type_" in value and "_data_" in value:
            return str(UUID(value["_data_"])) if value["_type_"] == "uuid_hex" else value["_data_"]
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _plain_state(data: bytes) -> dict[str, Any]:
    state: dict[str, Any] = orjson.loads(data)
    for key, value in state.items():
        kind = type(value)
        if kind is dict:
            if len(value) == 2 and "_data_" in value and value.get("_type_") not in (None, "uuid_hex"):
                state[key] = value["_data_"]  # most of them: a date-time or a decimal, one level down
            else:
                state[key] = _unwrap(value)
        elif kind is list:
            state[key] = _unwrap(value)
    return state


def decode(state: bytes, topic: str) -> tuple[str, dict[str, Any]]:
    """When an event was recorded (ISO text) and its payload as plain JSON, from the stored state, upcast to
    the version today's class of `topic` has (projections/upcasting.py)."""
    payload = _plain_state(state)
    recorded = payload.pop("timestamp")
    payload.pop("originator_topic", None)
    if VERSION_KEY in payload or current_version(topic) > 1:  # the class lookup is cached by the library
        upcast(topic, payload)
    return recorded, payload


@dataclass(frozen=True)
class Envelope:
    notification_id: int
    originator_id: str
    version: int
    event_type: str  # e.g. "Complaint.Received", "Organisation.RoleAssigned"
    recorded_at: str  # when the event was recorded (ISO 8601, UTC)
    payload: dict[str, Any]
    complaint_id: str | None = None
    at: str | None = None  # when it happened, for complaint events
    schema_version: int = SCHEMA_VERSION

    @classmethod
    def from_notification(cls, notification: Notification, transcoder: Transcoder | None = None) -> Envelope:
        """The envelope of a stored event, read straight to plain JSON (no domain objects on the way).

        The library stores custom types as {"_type_": name, "_data_": text}; their text is already the
        plain form (ISO date-times and dates, decimal strings), so decoding keeps it and skips the
        round trip through datetime and Decimal: rebuilds run at the speed of `json.loads`.
        `transcoder` is accepted for callers that hold one; the plain form needs none.
        """
        return cls.from_stored(notification.id, notification.originator_id, notification.originator_version,
                               notification.topic, notification.state)

    @classmethod
    def from_stored(cls, notification_id: int, originator_id: Any, version: int, topic: str,
                    state: bytes) -> Envelope:
        """The envelope of one row of the event table, as the library stored it."""
        recorded, payload = decode(state, topic)
        return cls(
            notification_id=notification_id,
            originator_id=str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id)),
            version=version,
            event_type=topic.rsplit(":", 1)[-1],
            recorded_at=recorded,
            payload=payload,
            complaint_id=payload.get("complaint_id"),
            at=payload.get("at"),
        )

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON, field by field (dataclasses.asdict deep-copied every payload: 60% of the relay's
        time); the bytes json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":")) gave, but for a float
        of small exponent (1.5e-7 for 1.5e-07: the same value); a consumer of either reads the same envelope."""
        return orjson.dumps({"notification_id": self.notification_id, "originator_id": self.originator_id,
                             "version": self.version, "event_type": self.event_type, "recorded_at": self.recorded_at,
                             "payload": self.payload, "complaint_id": self.complaint_id, "at": self.at,
                             "schema_version": self.schema_version})

    @classmethod
    def from_json(cls, data: bytes | None) -> Envelope:
        """Rebuild an envelope; raises ValueError on anything malformed (a wrong type included: a message
        from elsewhere on the topic must not reach the folds)."""
        if data is None:
            raise ValueError("no value: a tombstone")
        try:
            obj = orjson.loads(data)  # half a worker's time went to json.loads; orjson also refuses NaN and bad UTF-8
        except orjson.JSONDecodeError as error:
            if "depth limit" in str(error):
                raise ValueError("nested too deeply to be an envelope") from None
            raise ValueError(f"not JSON: {error}") from None
        if not isinstance(obj, dict) or obj.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"not a plaintrail envelope of schema version {SCHEMA_VERSION}")
        for name, kinds in _SHAPE.items():
            value = obj.get(name)
            if not isinstance(value, kinds) or isinstance(value, bool):
                raise ValueError(f"{name} is {type(value).__name__}, not {' or '.join(k.__name__ for k in kinds)}")
        if not 0 <= obj["notification_id"] < 2**63 or not 1 <= obj["version"] < 2**31:
            raise ValueError("notification_id or version out of range")
        unknown = set(obj) - set(_SHAPE) - {"schema_version"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        return cls(**obj)


_SHAPE: dict[str, tuple[type, ...]] = {
    "notification_id": (int,), "originator_id": (str,), "version": (int,), "event_type": (str,),
    "recorded_at": (str,), "payload": (dict,), "complaint_id": (str, type(None)), "at": (str, type(None))}
