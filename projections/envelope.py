"""The self-describing form of one recorded event, the same for both transports.

Embedded mode builds envelopes straight from the notification log; Kafka mode ships each event as one
JSON message and rebuilds the envelope on the other side. Projections see only envelopes, so both modes
run the same folds on the same values. Payload values are plain JSON: date-times and dates as ISO text,
decimals as strings.

On the wire (schema version 2, what the relay sends) a message carries the stored event's own bytes
untouched under `state`, beside its notification id, aggregate id, version and topic: the relay frames
what the store holds and decodes nothing, the worker decodes it as the rebuild does (upcasting included).
Schema version 1 (the decoded envelope, `to_json`) is still read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Notification, Transcoder

from projections.upcasting import VERSION_KEY, current_version, upcast

SCHEMA_VERSION = 1  # the decoded envelope as JSON (`to_json`)
WIRE_VERSION = 2  # the stored event framed as it is (`wire`): what the relay sends


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


def _plain_state(state: dict[str, Any]) -> dict[str, Any]:
    """The library's stored state (parsed), its wrapped values unwrapped in place."""
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


def decode(state: bytes | dict[str, Any], topic: str) -> tuple[str, dict[str, Any]]:
    """When an event was recorded (ISO text) and its payload as plain JSON, from the stored state (its bytes,
    or already parsed: then changed in place), upcast to the version today's class of `topic` has
    (projections/upcasting.py)."""
    payload = _plain_state(orjson.loads(state) if isinstance(state, bytes) else state)
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
                    state: bytes | dict[str, Any]) -> Envelope:
        """The envelope of one row of the event table, as the library stored it."""
        return cls._decoded(notification_id, str(originator_id) if isinstance(originator_id, UUID)
                            else _uuid_text(originator_id), version, topic, state)

    @classmethod
    def _decoded(cls, notification_id: int, originator: str, version: int, topic: str,
                 state: bytes | dict[str, Any]) -> Envelope:
        recorded, payload = decode(state, topic)
        return cls(
            notification_id=notification_id,
            originator_id=originator,
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
        if isinstance(obj, dict) and obj.get("schema_version") == WIRE_VERSION:
            return cls._from_wire(obj)
        if not isinstance(obj, dict) or obj.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"not a plaintrail envelope of schema version {SCHEMA_VERSION} or {WIRE_VERSION}")
        _check(obj, _SHAPE, SCHEMA_VERSION)
        return cls(**obj)

    @classmethod
    def _from_wire(cls, obj: dict[str, Any]) -> Envelope:
        number, originator, version = obj.get("notification_id"), obj.get("originator_id"), obj.get("version")
        if len(obj) != 6 or type(number) is not int or type(originator) is not str or type(version) is not int \
                or type(obj.get("topic")) is not str or type(obj.get("state")) is not dict \
                or not (0 <= number < 2**63 and 1 <= version < 2**31):  # the usual case in a few type() calls
            _check(obj, _WIRE, WIRE_VERSION)  # says what is wrong
        try:
            originator = _uuid_text(originator)  # type: ignore[arg-type]
        except ValueError:
            raise ValueError("originator_id is not a UUID") from None
        if not isinstance(obj["state"].get("timestamp"), dict):
            raise ValueError("state has no recording time: not a stored event")
        try:
            built = cls._decoded(obj["notification_id"], originator, obj["version"], obj["topic"], obj["state"])
        except ValueError:
            raise
        except Exception as error:  # a forged state: the folds must never see it
            raise ValueError(f"state cannot be read as a stored {obj['topic']}: {type(error).__name__}: {error}",
                             ) from None
        if type(built.recorded_at) is not str or type(built.complaint_id) not in _TEXT_OR_NONE \
                or type(built.at) not in _TEXT_OR_NONE:  # what the library itself always stores as text
            name = next((n for n in ("recorded_at", "complaint_id", "at")
                         if not isinstance(getattr(built, n), _SHAPE[n])), "recorded_at")
            raise ValueError(f"state cannot be read as a stored {obj['topic']}: its {name} is "
                             f"{type(getattr(built, name)).__name__}")
        return built


def _uuid_text(text: str) -> str:
    """The dashed lower-case form of a UUID given as 32 hex digits (how SQLite stores it) or dashed; ValueError
    otherwise. The same text str(UUID(text)) gives, at a third of its cost."""
    if _HEX32.fullmatch(text):
        low = text.lower()
        return f"{low[:8]}-{low[8:12]}-{low[12:16]}-{low[16:20]}-{low[20:]}"
    if _DASHED.fullmatch(text):
        return text  # already the form str(UUID) gives
    return str(UUID(text))


_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_DASHED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def wire(notification_id: int, originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """The message the relay sends for one stored event (schema version 2): its stored bytes, which are the
    library's JSON object, framed as they are, so publishing decodes nothing."""
    return b'{"schema_version":2,"notification_id":%d,"originator_id":"%s","version":%d,"topic":%s,"state":%s}' % (
        notification_id, str(originator_id).encode(), version, orjson.dumps(topic), state)


def _check(obj: dict[str, Any], shape: dict[str, tuple[type, ...]], schema: int) -> None:
    for name, kinds in shape.items():
        value = obj.get(name)
        if not isinstance(value, kinds) or isinstance(value, bool):
            raise ValueError(f"{name} is {type(value).__name__}, not {' or '.join(k.__name__ for k in kinds)}")
    if not 0 <= obj["notification_id"] < 2**63 or not 1 <= obj["version"] < 2**31:
        raise ValueError("notification_id or version out of range")
    unknown = set(obj) - set(shape) - {"schema_version"}
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} for schema version {schema}")


_TEXT_OR_NONE = (str, type(None))
_WIRE: dict[str, tuple[type, ...]] = {
    "notification_id": (int,), "originator_id": (str,), "version": (int,), "topic": (str,), "state": (dict,)}
_SHAPE: dict[str, tuple[type, ...]] = {
    "notification_id": (int,), "originator_id": (str,), "version": (int,), "event_type": (str,),
    "recorded_at": (str,), "payload": (dict,), "complaint_id": (str, type(None)), "at": (str, type(None))}
