"""A complaint's timeline as the record stood at any moment, or as things stood at any moment: the audit view.

Read straight from the event store (the record itself, not a read model), so what an auditor sees
is exactly what was recorded, with both times: `at` (when it happened) and `recorded_at`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from domain.application import ComplaintLog
from domain.complaint import Complaint, complaint_uuid
from domain.sla import SlaRules, evaluate


class ComplaintNotFound(LookupError):
    pass


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def happened_by(events: list[Any], at: datetime) -> list[Any]:
    """The events whose action had happened by `at` (business time), in recording order; an annulment
    stays only with its target (it says nothing about an action left out)."""
    kept: list[Any] = []
    ids: set[str] = set()
    for event in events:
        target = getattr(event, "target_action_id", None)
        if event.at <= at and (target is None or target in ids):
            kept.append(event)
            ids.add(event.action_id)
    return kept


def _fold(events: list[Any], whole: bool) -> Complaint:
    """The complaint after `events`; a business-time view skips events, so it applies them without the
    library's check that versions follow one another."""
    complaint: Complaint = events[0].mutate(None)
    for event in events[1:]:
        if whole:
            event.mutate(complaint)
        else:
            event.apply(complaint)
    return complaint


def timeline(log: ComplaintLog, complaint_id: str, tz: tzinfo, as_of: datetime | None = None,
             now: datetime | None = None, rules: SlaRules | None = None, at: datetime | None = None,
             ) -> dict[str, Any]:
    """The complaint's events (chronological by `at`, then by recording order), state and SLA verdicts.

    With `as_of`, only what had been recorded by then: the record exactly as it was known. With `at`,
    only what had happened by then (business time), as recorded now (or by `as_of`); the SLA is judged at
    the earlier of the two.
    """
    originator = complaint_uuid(complaint_id)
    stored, outside = in_log(log, originator, list(log.events.get(originator)))
    if not stored:
        raise ComplaintNotFound(f"no complaint {complaint_id} recorded")
    events = [e for e in stored if as_of is None or e.timestamp <= as_of]
    if not events:
        first = stored[0]
        raise ComplaintNotFound(
            f"nothing of complaint {complaint_id} recorded as of {as_of.isoformat() if as_of else ''}: its record "
            f"starts at {first.timestamp.astimezone(tz).isoformat()} (when it was recorded; it was received at "
            f"{first.at.astimezone(tz).isoformat()}). --as-of is recording time; did you mean --at "
            f"{as_of.isoformat() if as_of else ''} (what had happened by then)?")
    if at is not None:
        events = happened_by(events, at)
        if not events:
            raise ComplaintNotFound(f"complaint {complaint_id} had not been received by {at.isoformat()} "
                                    f"(received at {stored[0].at.astimezone(tz).isoformat()})")
    complaint = _fold(events, whole=at is None and not outside)
    annulled_by = {h["fields"]["target_action_id"]: a for a, h in complaint.history.items()
                   if h["action"] == "annulled"}
    rows = []
    for event, (action_id, entry) in zip(events, complaint.history.items(), strict=True):
        rows.append({
            "version": event.originator_version,
            "action_id": action_id,
            "action": entry["action"],
            "at": entry["at"].isoformat(),
            "recorded_at": event.timestamp.astimezone(tz).isoformat(),
            "actor": getattr(event, "actor", None),
            **{k: _plain(v) for k, v in entry["fields"].items()},
            "annulled": action_id in complaint.annulled,
            "annulled_by": annulled_by.get(action_id),
            "late": entry["late"],
        })
        if "personal" in rows[-1]:  # readable while the customer's key exists; "erased" once forgotten
            sealed = rows[-1]["personal"]
            rows[-1]["personal"] = log.vault.open(sealed) if log.vault else dict.fromkeys(sealed["fields"], "sealed")
    rows.sort(key=lambda r: (datetime.fromisoformat(r["at"]), r["version"]))
    moment = now or min((m for m in (as_of, at) if m is not None), default=None) or datetime.now(tz)
    try:
        sla, sla_problem = evaluate(complaint, moment, tz, rules), None
    except (OverflowError, ValueError, TypeError) as error:  # a stored time no deadline can be counted from
        sla, sla_problem = [], f"no SLA verdicts: {type(error).__name__}: {error}"
    return {
        "complaint_id": complaint_id,
        "as_of": as_of.isoformat() if as_of else None,
        "at": at.isoformat() if at else None,
        "events": rows,
        "state": complaint.state,
        "summary": {
            "outlet": complaint.outlet,
            "received_outlet": complaint.received_outlet,
            "channel": complaint.channel,
            "via": complaint.via,
            "kind": complaint.kind,
            "category": complaint.category,
            "customer_ref": complaint.customer_ref,
            "regulator_transferred": complaint.regulator_transferred,
            "effective": complaint.effective,
        },
        "sla": sla,
        **({"sla_problem": sla_problem} if sla_problem else {}),
        **({"outside_log": outside} if outside else {}),
    }


def in_log(log: ComplaintLog, originator_id: Any, stored: list[Any]) -> tuple[list[Any], list[dict[str, Any]]]:
    """The stored events that are part of the record, and those that are not: a row at a notification id <= 0 was
    slipped into the table beside the log (no rebuild, read model or proof covers it; `plaintrail verify` reports
    it). It is left out of the timeline's state and verdicts, as the read side leaves it out, and named."""
    positions = getattr(log.recorder, "positions", None)
    ids: dict[int, int] = positions(originator_id) if positions is not None else {}
    if not any(n <= 0 for n in ids.values()):
        return stored, []
    kept = [e for e in stored if ids.get(e.originator_version, 1) > 0]
    outside = [{"version": e.originator_version, "notification_id": ids[e.originator_version],
                "event_type": type(e).__qualname__, "action_id": getattr(e, "action_id", None),
                "recorded_at": e.timestamp.isoformat()}
               for e in stored if ids.get(e.originator_version, 1) <= 0]
    return kept, outside
