"""A complaint's timeline as the record stood at any moment: the audit view.

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


def timeline(log: ComplaintLog, complaint_id: str, tz: tzinfo, as_of: datetime | None = None,
             now: datetime | None = None, rules: SlaRules | None = None) -> dict[str, Any]:
    """The complaint's events (chronological by `at`, then by recording order), state and SLA verdicts.

    With `as_of`, only what had been recorded by then: the record exactly as it was known.
    """
    stored: list[Any] = list(log.events.get(complaint_uuid(complaint_id)))
    events = [e for e in stored if as_of is None or e.timestamp <= as_of]
    if not events:
        known = "" if as_of is None else f" as of {as_of.isoformat()}"
        raise ComplaintNotFound(f"no complaint {complaint_id} recorded{known}")
    complaint: Complaint | None = None
    for event in events:
        complaint = event.mutate(complaint)
    assert complaint is not None
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
    moment = now or as_of or datetime.now(tz)
    try:
        sla, sla_problem = evaluate(complaint, moment, tz, rules), None
    except (OverflowError, ValueError, TypeError) as error:  # a stored time no deadline can be counted from
        sla, sla_problem = [], f"no SLA verdicts: {type(error).__name__}: {error}"
    return {
        "complaint_id": complaint_id,
        "as_of": as_of.isoformat() if as_of else None,
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
    }
