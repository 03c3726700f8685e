"""The Complaint aggregate: one complaint's history as immutable events, guarded by the lifecycle.

Commands check first (`check_*`), then emit one event; the event methods only fold, so replaying
old events never re-runs today's rules. Each event keeps `at` (when it happened, from the action);
the library stamps `timestamp` (when it was recorded), which gives the bitemporal timeline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain import lifecycle
from domain.actions import REGULATORS, Action, Annulled, AppealDecided, Appealed, Received, Rewarded
from domain.errors import (
    ActionBeforeReceipt,
    ActionIdReused,
    AnnulmentRefused,
    AppealRefused,
    NotReceived,
    RewardRefused,
    TransitionRefused,
)

COMPLAINT_NAMESPACE = uuid5(NAMESPACE_URL, "plaintrail:complaint")

# action name -> the command method that records it
COMMANDS = {
    "assigned": "assign", "contacted": "contact", "handled": "handle", "feedback": "give_feedback",
    "withdrawn": "withdraw", "closed": "close", "callback": "call_back", "escalated": "escalate",
    "mediation_requested": "request_mediation", "mediation_concluded": "conclude_mediation",
    "validated": "validate", "compensated": "compensate", "public_opinion": "report_public_opinion",
    "reopened": "reopen", "annulled": "annul", "extended": "extend", "appraisal_started": "start_appraisal",
    "appraisal_ended": "end_appraisal", "responsibility_assigned": "assign_responsibility",
    "rewarded": "reward", "appealed": "appeal", "appeal_decided": "decide_appeal",
}


@lru_cache(maxsize=1 << 16)
def complaint_uuid(complaint_id: str) -> UUID:
    """The aggregate id of a complaint; cached, since every action of an import asks for it."""
    return uuid5(COMPLAINT_NAMESPACE, complaint_id)


def fingerprint(action: str, at: datetime, actor: str | None, fields: dict[str, Any]) -> str:
    """A digest of what an action says, to tell a harmless re-import from a reused action_id."""
    # Personal fields are stored sealed (encrypted afresh each time): identity rests on everything else.
    plain = {k: v for k, v in fields.items() if k != "personal"}
    canonical = json.dumps([action, at.isoformat(), actor, plain], sort_keys=True, default=str)
    return hashlib.blake2b(canonical.encode(), digest_size=12).hexdigest()


class Complaint(Aggregate):
    @staticmethod
    def create_id(complaint_id: str) -> UUID:  # type: ignore[override]
        return complaint_uuid(complaint_id)

    @classmethod
    def receive(cls, action: Received) -> Complaint:
        return cls(complaint_id=action.complaint_id, action_id=action.action_id, at=action.at,
                   actor=action.actor, **action.fields())

    @event("Received")
    def __init__(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, outlet: str,
                 channel: str, via: str, kind: str, category: str, customer_ref: str | None,
                 source: dict[str, str] | None = None, personal: dict[str, Any] | None = None) -> None:
        self.complaint_id = complaint_id
        self.received_outlet = outlet
        self.channel, self.via, self.kind = channel, via, kind
        self.category, self.customer_ref = category, customer_ref
        self.received_at = at
        self.state = lifecycle.NEW
        self.latest_at = at
        self.history: dict[str, dict[str, Any]] = {}  # action_id -> what the record needs to know of it
        self.steps: list[str] = []  # action ids that moved the state, in order
        self.annulled: set[str] = set()
        fields = {"outlet": outlet, "channel": channel, "via": via, "kind": kind, "category": category,
                  "customer_ref": customer_ref, **({"source": source} if source else {}),
                  **({"personal": personal} if personal else {})}
        self._fold(action_id, "received", at, actor, fields)

    # -- the one entry point for recording an action ------------------------------------------

    def record(self, action: Action) -> bool:
        """Apply an action; False when this very action was recorded before (a re-import no-op)."""
        if self.check_not_recorded(action):
            return False
        if isinstance(action, Received):
            raise TransitionRefused(self.complaint_id, "received", self.state)
        self.check_allowed(action.action)
        if isinstance(action, Annulled):
            self.check_annullable(action.target_action_id)
        else:
            self.check_after_receipt(action.action, action.at)
        if isinstance(action, Appealed):
            self.check_appealable(action.subject, action.rule)
        elif isinstance(action, AppealDecided):
            self.check_decidable(action.appeal_action_id)
        elif isinstance(action, Rewarded):
            self.check_rewardable()
        command = getattr(self, COMMANDS[action.action])
        command(self.complaint_id, action.action_id, action.at, action.actor, **action.fields())
        return True

    # -- invariants ---------------------------------------------------------------------------

    def check_not_recorded(self, action: Action) -> bool:
        seen = self.history.get(action.action_id)
        if seen is None:
            return False
        # Digests are computed only here, on a repeated id, not for every action recorded or replayed.
        if (fingerprint(seen["action"], seen["at"], seen["actor"], seen["fields"])
                != fingerprint(action.action, action.at, action.actor, action.fields())):
            raise ActionIdReused(action.action_id, self.complaint_id)
        return True

    def check_allowed(self, action: str) -> None:
        if not lifecycle.allows(self.state, action):
            raise TransitionRefused(self.complaint_id, action, self.state)

    def check_after_receipt(self, action: str, at: datetime) -> None:
        """Nothing happens to a complaint before it was received: such a date is a wrong date, not a fact.
        (A correction is about the record, so an annulment is exempt.)"""
        if at < self.received_at:
            raise ActionBeforeReceipt(self.complaint_id, action, at, self.received_at)

    def check_annullable(self, target: str) -> None:
        entry = self.history.get(target)
        if entry is None:
            raise AnnulmentRefused(f"complaint {self.complaint_id}: no action {target} to annul")
        if target in self.annulled:
            raise AnnulmentRefused(f"complaint {self.complaint_id}: action {target} is already annulled")
        if entry["action"] in ("received", "annulled"):
            raise AnnulmentRefused(
                f"complaint {self.complaint_id}: a '{entry['action']}' cannot be annulled; "
                "record a new action that says what is true instead")
        live_steps = [s for s in self.steps if s not in self.annulled]
        if entry["moved"] and live_steps[-1] != target:
            raise AnnulmentRefused(
                f"complaint {self.complaint_id}: annul the later step {live_steps[-1]} before {target}")

    def check_appealable(self, subject: str, rule: str) -> None:
        """One appeal per entry: a second one is refused even after the first was decided."""
        for action_id, entry in self.history.items():
            fields = entry["fields"]
            if (entry["action"] == "appealed" and action_id not in self.annulled
                    and (fields["subject"], fields["rule"]) == (subject, rule)):
                raise AppealRefused(f"complaint {self.complaint_id}: {subject}'s entry {rule} was appealed already "
                                    f"({action_id}); one appeal per entry")

    def check_decidable(self, appeal: str) -> None:
        entry = self.history.get(appeal)
        if entry is None or entry["action"] != "appealed" or appeal in self.annulled:
            raise AppealRefused(f"complaint {self.complaint_id}: no standing appeal {appeal} to decide")
        decided = [a for a, h in self.history.items() if h["action"] == "appeal_decided"
                   and a not in self.annulled and h["fields"]["appeal_action_id"] == appeal]
        if decided:
            raise AppealRefused(f"complaint {self.complaint_id}: appeal {appeal} was decided already ({decided[0]}); "
                                "annul that decision to decide again")

    def check_rewardable(self) -> None:
        validations = self.live("validated")
        if not validations or validations[-1]["bank_caused"]:
            raise RewardRefused(f"complaint {self.complaint_id}: a reward needs a standing validation that says "
                                "the complaint was not the bank's fault (bank_caused: false)")

    # -- events: they only fold ---------------------------------------------------------------

    @event("Assigned")
    def assign(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, assignee: str,
               outlet: str | None = None, source: dict[str, str] | None = None) -> None:
        self._fold(action_id, "assigned", at, actor,
                   {"assignee": assignee, "outlet": outlet, **({"source": source} if source else {})})

    @event("Contacted")
    def contact(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                note: str | None = None) -> None:
        self._fold(action_id, "contacted", at, actor, {"note": note})

    @event("Handled")
    def handle(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, outcome: str) -> None:
        self._fold(action_id, "handled", at, actor, {"outcome": outcome})

    @event("FeedbackGiven")
    def give_feedback(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                      note: str | None = None) -> None:
        self._fold(action_id, "feedback", at, actor, {"note": note})

    @event("Withdrawn")
    def withdraw(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                 note: str | None = None) -> None:
        self._fold(action_id, "withdrawn", at, actor, {"note": note})

    @event("Closed")
    def close(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
              note: str | None = None, source: dict[str, str] | None = None) -> None:
        self._fold(action_id, "closed", at, actor, {"note": note, **({"source": source} if source else {})})

    @event("CalledBack")
    def call_back(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, satisfied: bool) -> None:
        self._fold(action_id, "callback", at, actor, {"satisfied": satisfied})

    @event("Escalated")
    def escalate(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                 level: str, reason: str = "") -> None:
        self._fold(action_id, "escalated", at, actor, {"level": level, "reason": reason})

    @event("MediationRequested")
    def request_mediation(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                          mediator: str) -> None:
        self._fold(action_id, "mediation_requested", at, actor, {"mediator": mediator})

    @event("MediationConcluded")
    def conclude_mediation(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, success: bool,
                           amount: Decimal = Decimal("0")) -> None:
        self._fold(action_id, "mediation_concluded", at, actor, {"success": success, "amount": amount})

    @event("Validated")
    def validate(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                 effective: bool, decided_by: str,
                 bank_caused: bool) -> None:
        fields = {"effective": effective, "decided_by": decided_by, "bank_caused": bank_caused}
        self._fold(action_id, "validated", at, actor, fields)

    @event("Compensated")
    def compensate(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, amount: Decimal) -> None:
        self._fold(action_id, "compensated", at, actor, {"amount": amount})

    @event("PublicOpinionReported")
    def report_public_opinion(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                              note: str | None = None) -> None:
        self._fold(action_id, "public_opinion", at, actor, {"note": note})

    @event("Reopened")
    def reopen(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, reason: str) -> None:
        self._fold(action_id, "reopened", at, actor, {"reason": reason})

    @event("Extended")
    def extend(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, days: int,
               approved_by: str, reason: str = "") -> None:
        self._fold(action_id, "extended", at, actor, {"days": days, "approved_by": approved_by, "reason": reason})

    @event("AppraisalStarted")
    def start_appraisal(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                        appraiser: str = "") -> None:
        self._fold(action_id, "appraisal_started", at, actor, {"appraiser": appraiser})

    @event("AppraisalEnded")
    def end_appraisal(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                      note: str | None = None) -> None:
        self._fold(action_id, "appraisal_ended", at, actor, {"note": note})

    @event("ResponsibilityAssigned")
    def assign_responsibility(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                              shares: dict[str, str], reason: str = "") -> None:
        self._fold(action_id, "responsibility_assigned", at, actor, {"shares": shares, "reason": reason})

    @event("Rewarded")
    def reward(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, recipient: str,
               reason: str) -> None:
        self._fold(action_id, "rewarded", at, actor, {"recipient": recipient, "reason": reason})

    @event("Appealed")
    def appeal(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, subject: str, rule: str,
               reason: str) -> None:
        self._fold(action_id, "appealed", at, actor, {"subject": subject, "rule": rule, "reason": reason})

    @event("AppealDecided")
    def decide_appeal(self, complaint_id: str, action_id: str, at: datetime, actor: str | None,
                      appeal_action_id: str, decision: str, reason: str, evidence: str = "") -> None:
        self._fold(action_id, "appeal_decided", at, actor, {"appeal_action_id": appeal_action_id,
                                                            "decision": decision, "reason": reason,
                                                            "evidence": evidence})

    @event("Annulled")
    def annul(self, complaint_id: str, action_id: str, at: datetime, actor: str | None, target_action_id: str,
              reason: str) -> None:
        target = self.history[target_action_id]
        self.annulled.add(target_action_id)
        if target["moved"]:
            self.state = target["before"]
        self._fold(action_id, "annulled", at, actor, {"target_action_id": target_action_id, "reason": reason})

    def _fold(self, action_id: str, action: str, at: datetime, actor: str | None,
              fields: dict[str, Any]) -> None:
        before = self.state
        self.state = lifecycle.next_state(before, action)
        moved = action != "annulled" and lifecycle.TRANSITIONS[action][1] is not None
        if moved:
            self.steps.append(action_id)
        self.history[action_id] = {
            "action": action, "at": at, "actor": actor, "before": before, "moved": moved, "fields": fields,
            "late": at < self.latest_at,
        }
        self.latest_at = max(self.latest_at, at)

    # -- what the record says now ------------------------------------------------------------

    def live(self, action: str) -> list[dict[str, Any]]:
        """The fields of every recorded, not annulled action of one kind, in recording order."""
        return [h["fields"] for a, h in self.history.items() if h["action"] == action and a not in self.annulled]

    @property
    def outlet(self) -> str:
        """The unit handling the complaint now: the last hand-over, or where it was received."""
        handovers = [f["outlet"] for f in self.live("assigned") if f["outlet"]]
        return handovers[-1] if handovers else self.received_outlet

    @property
    def effective(self) -> bool | None:
        """The latest standing validation: None until one is recorded."""
        validations = self.live("validated")
        return validations[-1]["effective"] if validations else None

    @property
    def regulator_transferred(self) -> bool:
        return self.kind == "complaint" and self.via in REGULATORS


def record_new(action: Action) -> Complaint:
    """Start a complaint from its first action, which must be `received`."""
    if not isinstance(action, Received):
        raise NotReceived(action.complaint_id, action.action)
    return Complaint.receive(action)
