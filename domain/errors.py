"""Domain errors: each names what was refused and why, so a rejects file reads like an explanation."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """An action the domain refuses; the message is shown to the user as the reason."""


class TransitionRefused(DomainError):
    def __init__(self, complaint_id: str, action: str, state: str) -> None:
        super().__init__(f"complaint {complaint_id}: '{action}' is not allowed in state '{state}'")
        self.complaint_id, self.action, self.state = complaint_id, action, state


class NotReceived(TransitionRefused):
    """Any action but `received` for a complaint with no record yet (state 'new')."""

    def __init__(self, complaint_id: str, action: str) -> None:
        DomainError.__init__(self, f"complaint {complaint_id}: '{action}' is not allowed in state 'new': "
                             "the complaint was not received yet")
        self.complaint_id, self.action, self.state = complaint_id, action, "new"


class ActionBeforeReceipt(DomainError):
    def __init__(self, complaint_id: str, action: str, at: datetime, received_at: datetime) -> None:
        super().__init__(f"complaint {complaint_id}: '{action}' at {at.isoformat()} is dated before the complaint "
                         f"was received ({received_at.isoformat()})")


class ActionIdReused(DomainError):
    def __init__(self, action_id: str, complaint_id: str) -> None:
        super().__init__(
            f"action_id {action_id} was already recorded for complaint {complaint_id} with different content"
        )


class AnnulmentRefused(DomainError):
    """An annulment that names no recorded action, or one that cannot be undone without breaking the order."""


class UnknownUnit(DomainError):
    def __init__(self, unit: str, field: str = "outlet") -> None:
        super().__init__(f"unknown {field} {unit!r}: load it with 'plaintrail org load' first")


class InvalidOrganisation(DomainError):
    """An organisation file that contradicts itself; every problem is listed."""


class AppealRefused(DomainError):
    """A second appeal on the same entry, or a decision on no appeal or on one already decided."""


class RewardRefused(DomainError):
    """A reward on a complaint not validated as not the bank's fault."""


class ActionIdTaken(DomainError):
    """An action_id already recorded for another complaint: ids are unique across the whole store."""

    def __init__(self, action_id: str, owner: str, complaint_id: str) -> None:
        super().__init__(f"action_id {action_id} is already recorded for complaint {owner}; "
                         f"it cannot be used again for complaint {complaint_id}")
        self.action_id, self.owner, self.complaint_id = action_id, owner, complaint_id
