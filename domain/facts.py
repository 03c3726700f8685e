"""What the read side knows of one complaint, folded from its events' envelopes.

Projections cannot load the aggregate (in Kafka mode they see only the stream), so they keep this
compact, JSON-serialisable record instead: the same history the aggregate keeps, built from the
envelope payloads. Folding is idempotent per complaint (an envelope at or below the last applied
version is ignored), so a redelivered message never counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from domain import lifecycle
from domain.actions import REGULATORS
from domain.dates import placeable

ACTION_OF_EVENT = {
    "Complaint.Received": "received", "Complaint.Assigned": "assigned", "Complaint.Contacted": "contacted",
    "Complaint.Handled": "handled", "Complaint.FeedbackGiven": "feedback", "Complaint.Withdrawn": "withdrawn",
    "Complaint.Closed": "closed", "Complaint.CalledBack": "callback", "Complaint.Escalated": "escalated",
    "Complaint.MediationRequested": "mediation_requested",
    "Complaint.MediationConcluded": "mediation_concluded", "Complaint.Validated": "validated",
    "Complaint.Compensated": "compensated", "Complaint.PublicOpinionReported": "public_opinion",
    "Complaint.Reopened": "reopened", "Complaint.Annulled": "annulled", "Complaint.Extended": "extended",
    "Complaint.AppraisalStarted": "appraisal_started", "Complaint.AppraisalEnded": "appraisal_ended",
    "Complaint.ResponsibilityAssigned": "responsibility_assigned", "Complaint.Rewarded": "rewarded",
    "Complaint.Appealed": "appealed", "Complaint.AppealDecided": "appeal_decided",
}
ASSESSED = frozenset({"rewarded", "appealed", "appeal_decided"})  # facts the assessment reads outside the fines
_COMMON = ("complaint_id", "action_id", "at", "actor")


_CHECKED = frozenset({"extended", "compensated", "mediation_concluded", "validated", "annulled",
                      "responsibility_assigned", "rewarded", "appealed", "appeal_decided"})


def _check_fields(action: str, fields: dict[str, Any]) -> None:
    """The fields the read side computes with, as it will use them (a forged event fails here, not in a query)."""
    if action == "extended":
        int(fields["days"])
    elif action == "compensated" or (action == "mediation_concluded" and "amount" in fields):
        if not Decimal(str(fields["amount"])).is_finite():
            raise ValueError(f"amount {fields['amount']!r} is not a number")
    elif action == "validated":
        if not isinstance(fields["effective"], bool) or not isinstance(fields["decided_by"], str):
            raise TypeError("validated needs a bool 'effective' and a 'decided_by'")
    elif action == "annulled" and not isinstance(fields["target_action_id"], str):
        raise TypeError("annulled needs a 'target_action_id'")
    elif action == "responsibility_assigned" and not (isinstance(fields["shares"], dict) and all(
            isinstance(d, str) and Decimal(str(s)).is_finite() for d, s in fields["shares"].items())):
        raise TypeError("responsibility_assigned needs 'shares': {department: share}")
    elif action == "rewarded" and not isinstance(fields["recipient"], str):
        raise TypeError("rewarded needs a 'recipient'")
    elif action == "appealed" and not (isinstance(fields["subject"], str) and isinstance(fields["rule"], str)):
        raise TypeError("appealed needs a 'subject' and a 'rule'")
    elif action == "appeal_decided" and fields["decision"] not in ("upheld", "overturned"):
        raise ValueError(f"appeal_decided: decision {fields['decision']!r} is neither upheld nor overturned")


@dataclass
class ComplaintFacts:
    complaint_id: str
    outlet: str  # where it was received: the unit that answers for it on the red/black list
    received_at: datetime
    channel: str
    via: str
    kind: str
    category: str
    customer_ref: str | None
    state: str = lifecycle.OPEN
    version: int = 0
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    annulled: set[str] = field(default_factory=set)
    # The JSON form of each history entry, kept as it is made: entries never change once folded,
    # so storing the facts again (every batch that touches the complaint) need not re-encode them.
    _json: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False, compare=False)
    # `live(action)` as last worked out; emptied by each event folded (the counts ask it several times an event)
    _live: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict, init=False, repr=False,
                                                               compare=False)

    # -- folding --------------------------------------------------------------------------------

    @classmethod
    def received(cls, version: int, recorded_at: str, payload: dict[str, Any]) -> ComplaintFacts:
        facts = cls(
            complaint_id=payload["complaint_id"], outlet=payload["outlet"],
            received_at=datetime.fromisoformat(payload["at"]), channel=payload["channel"],
            via=payload["via"], kind=payload["kind"], category=payload.get("category") or "",
            customer_ref=payload.get("customer_ref"), state=lifecycle.NEW,
        )
        facts.apply(version, "Complaint.Received", recorded_at, payload)
        return facts

    def apply(self, version: int, event_type: str, recorded_at: str, payload: dict[str, Any]) -> bool:
        """Fold one event; False when it was already folded (a redelivery).

        Raises (KeyError, ValueError, TypeError, ArithmeticError) for an event the read side cannot
        place, before changing anything: the caller reports it and goes on with the same facts."""
        if version <= self.version:
            return False
        action = ACTION_OF_EVENT[event_type]
        at = datetime.fromisoformat(payload["at"])
        if at.tzinfo is None or not 1 < at.year < 9999:  # inline: a rebuild passes here for every event
            placeable(at)
        action_id = payload["action_id"]
        fields = payload.copy()  # what the action says beyond the common keys, in its order (copy and pop: a
        for key in _COMMON:  # comprehension over a receipt's many fields cost a fold 2 us an event)
            fields.pop(key, None)
        if action in _CHECKED:
            _check_fields(action, fields)
        before = self.state
        if action == "annulled":
            target = self.history.get(fields["target_action_id"])
            state = target["before"] if target is not None and target["moved"] else before
            moved = False
        else:
            state = lifecycle.next_state(before, action)
            moved = lifecycle.TRANSITIONS[action][1] is not None
            target = None
        if target is not None:  # nothing above raised: the event is placed
            self.annulled.add(fields["target_action_id"])
        self.state = state
        entry = {
            "action": action, "at": at, "recorded_at": recorded_at, "actor": payload.get("actor"),
            "before": before, "moved": moved, "fields": fields, "version": version,
        }
        self.history[action_id] = entry
        self._live.clear()
        self._json[action_id] = dict(entry, at=payload["at"])  # the ISO text it came as
        self.version = version
        return True

    # -- what the record says now ---------------------------------------------------------------

    def live(self, action: str) -> list[tuple[str, dict[str, Any]]]:
        """(action_id, entry) of every not-annulled action of one kind, in recording order (a list to read, not to
        change: it is kept until the next event is folded)."""
        found = self._live.get(action)
        if found is None:
            found = self._live[action] = [(a, h) for a, h in self.history.items()
                                          if h["action"] == action and a not in self.annulled]
        return found

    def first(self, *actions: str) -> datetime | None:
        times = [h["at"] for a, h in self.history.items() if h["action"] in actions and a not in self.annulled]
        return min(times) if times else None

    @property
    def standing_validation(self) -> tuple[str, dict[str, Any]] | None:
        validations = self.live("validated")
        return validations[-1] if validations else None

    @property
    def effective(self) -> bool | None:
        standing = self.standing_validation
        return None if standing is None else bool(standing[1]["fields"]["effective"])

    @property
    def is_complaint(self) -> bool:
        return self.kind == "complaint"

    @property
    def regulator_transferred(self) -> bool:
        return self.is_complaint and self.via in REGULATORS

    @property
    def handler(self) -> str | None:
        """Who handles the complaint now: the last live assignee, else whoever received it (首问负责)."""
        assigned = self.live("assigned")
        if assigned:
            return str(assigned[-1][1]["fields"]["assignee"])
        received = next(iter(self.history.values()))
        return received["actor"]

    @property
    def standing_shares(self) -> tuple[str, dict[str, str]] | None:
        """(action id, {department: share}) of the latest live responsibility assignment."""
        found = self.live("responsibility_assigned")
        return (found[-1][0], found[-1][1]["fields"]["shares"]) if found else None

    def compensation_total(self) -> Decimal:
        return sum((Decimal(h["fields"]["amount"]) for _, h in self.live("compensated")), Decimal("0"))

    # -- storage --------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        history = {a: self._json.get(a) or dict(h, at=h["at"].isoformat()) for a, h in self.history.items()}
        return {
            "complaint_id": self.complaint_id, "outlet": self.outlet, "received_at": self.received_at.isoformat(),
            "channel": self.channel, "via": self.via, "kind": self.kind, "category": self.category,
            "customer_ref": self.customer_ref, "state": self.state, "version": self.version,
            "history": history, "annulled": sorted(self.annulled),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ComplaintFacts:
        history = {a: dict(h, at=datetime.fromisoformat(h["at"])) for a, h in data["history"].items()}
        return cls(
            complaint_id=data["complaint_id"], outlet=data["outlet"],
            received_at=datetime.fromisoformat(data["received_at"]), channel=data["channel"], via=data["via"],
            kind=data["kind"], category=data["category"], customer_ref=data["customer_ref"], state=data["state"],
            version=data["version"], history=history, annulled=set(data["annulled"]), _json=dict(data["history"]),
        )
