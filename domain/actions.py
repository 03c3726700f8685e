"""The actions a complaint handler records, as the contract in ARCHITECTURE.md writes them.

Each action is validated here, before it reaches the aggregate, so a bad line is rejected with a
precise reason and never becomes an event.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from domain.dates import parse_instant

Channel = Literal["hotline", "app", "web", "outlet", "email", "letter"]
Via = Literal["direct", "hq", "pboc", "nfra", "cfpb"]  # cfpb: the US regulator (real CFPB data)
Kind = Literal["complaint", "work_order"]
Outcome = Literal["resolved", "partial", "rejected"]
Level = Literal["sub_branch", "branch", "hq"]
DecidedBy = Literal["hq", "pboc", "nfra", "branch"]

REGULATORS = frozenset({"pboc", "nfra", "cfpb"})  # a complaint received via one is regulator-transferred


Instant = Annotated[datetime, BeforeValidator(parse_instant)]  # RFC 3339 only: see domain/dates.py
Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[str, Field(max_length=4000)]
PersonalFields = Annotated[dict[Annotated[str, Field(max_length=64)], Text], Field(max_length=16)]
SourceFacts = Annotated[dict[Annotated[str, Field(max_length=64)], Text], Field(max_length=32)]
Amount = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=2, allow_inf_nan=False)]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    action_id: Id
    complaint_id: Id
    at: Instant
    actor: Id | None = None

    def fields(self) -> dict[str, Any]:
        """The action-specific fields, as the event will carry them."""
        fields = self.model_dump(exclude={"action", "action_id", "complaint_id", "at", "actor", "personal"})
        if fields.get("source", 0) is None:  # optional facts appear only when given
            del fields["source"]
        personal = getattr(self, "personal", None)
        if personal is not None:  # by now its sealed form (lists and ciphertext), not the typed input: copied as is
            fields["personal"] = dict(personal)
        return fields


class Received(_Action):
    action: Literal["received"]
    outlet: Id
    channel: Channel
    via: Via = "direct"
    kind: Kind = "complaint"
    category: Text = ""
    customer_ref: Id | None = None
    source: SourceFacts | None = None  # facts an external system keeps (e.g. CFPB's "Timely response?")
    personal: PersonalFields | None = None  # name, phone, ID number...: sealed per customer before recording


class Assigned(_Action):
    action: Literal["assigned"]
    assignee: Id
    outlet: Id | None = None
    source: SourceFacts | None = None  # e.g. the time an external system stamped, when it predates the receipt


class Contacted(_Action):
    action: Literal["contacted"]
    note: Text | None = None


class Feedback(_Action):
    action: Literal["feedback"]
    note: Text | None = None


class Withdrawn(_Action):
    action: Literal["withdrawn"]
    note: Text | None = None


class Closed(_Action):
    action: Literal["closed"]
    note: Text | None = None
    source: SourceFacts | None = None


class Handled(_Action):
    action: Literal["handled"]
    outcome: Outcome


class Callback(_Action):
    action: Literal["callback"]
    satisfied: bool


class Escalated(_Action):
    action: Literal["escalated"]
    level: Level
    reason: Text = ""


class MediationRequested(_Action):
    action: Literal["mediation_requested"]
    mediator: Text


class MediationConcluded(_Action):
    action: Literal["mediation_concluded"]
    success: bool
    amount: Amount = Decimal("0")


class Validated(_Action):
    action: Literal["validated"]
    effective: bool
    decided_by: DecidedBy
    bank_caused: bool


class Compensated(_Action):
    action: Literal["compensated"]
    amount: Amount


class PublicOpinion(_Action):
    action: Literal["public_opinion"]
    note: Text | None = None


class Reopened(_Action):
    action: Literal["reopened"]
    reason: Text


class Extended(_Action):
    """CBIRC: a complex case's deadline extended (15 -> 30 days; especially complex, with approval, -> 60)."""

    action: Literal["extended"]
    days: int = Field(ge=1, le=45)
    approved_by: Id
    reason: Text = ""


class AppraisalStarted(_Action):
    """External appraisal (外部鉴定) began: under CBIRC its time does not count toward the deadline."""

    action: Literal["appraisal_started"]
    appraiser: Text = ""


class AppraisalEnded(_Action):
    action: Literal["appraisal_ended"]
    note: Text | None = None


Share = Annotated[Decimal, Field(gt=0, le=1, decimal_places=4, allow_inf_nan=False)]


def _shares_cell(value: Any) -> Any:
    """A CSV cell names shares as `D-RETAIL=0.6;D-CARDS=0.4` (JSON gives an object)."""
    if not isinstance(value, str):
        return value
    shares: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        department, sep, share = part.partition("=")
        if not sep:
            raise ValueError(f"{part!r}: write shares as DEPARTMENT=SHARE;DEPARTMENT=SHARE")
        if department.strip() in shares:
            raise ValueError(f"department {department.strip()!r} is named twice")
        shares[department.strip()] = share.strip()
    return shares


class ResponsibilityAssigned(_Action):
    """The departments involved (对口部门) and their shares of responsibility, which must make a whole:
    each department's quarterly consumer-protection points are its share of the complaint's."""

    action: Literal["responsibility_assigned"]
    shares: Annotated[dict[Id, Share], Field(min_length=1, max_length=32), BeforeValidator(_shares_cell)]
    reason: Text = ""

    @model_validator(mode="after")
    def _whole(self) -> ResponsibilityAssigned:
        total = sum(self.shares.values(), Decimal("0"))
        if total != 1:
            raise ValueError(f"shares must sum to 1, not {total.normalize():f}")
        return self

    def fields(self) -> dict[str, Any]:
        """Shares as decimal strings: exact in the event, whatever the transcoder does with numbers."""
        return {"shares": {d: f"{s.normalize():f}" for d, s in self.shares.items()}, "reason": self.reason}


class Rewarded(_Action):
    """A unit or person who contributed specially to resolving a complaint that was not the bank's fault
    (its standing validation says bank_caused: false); the policy values the reward."""

    action: Literal["rewarded"]
    recipient: Id  # a person id, or a unit id
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class Appealed(_Action):
    """A person contests one entry of the assessment: the entry of `subject` under `rule` for this complaint."""

    action: Literal["appealed"]
    subject: Id  # whose entry: the person (or unit) the scores list it under
    rule: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_.]+$")]  # as the entry names it
    reason: Annotated[str, Field(min_length=1, max_length=4000)]


class AppealDecided(_Action):
    """An authorised role's decision on an appeal: `overturned` takes the entry out of the totals."""

    action: Literal["appeal_decided"]
    actor: Id  # who decided: the policy says which roles may
    appeal_action_id: Id
    decision: Literal["upheld", "overturned"]
    reason: Annotated[str, Field(min_length=1, max_length=4000)]
    evidence: Text = ""  # the decision's evidence (a document reference, a finding)


class Annulled(_Action):
    action: Literal["annulled"]
    target_action_id: Id
    reason: Text


Action = Annotated[
    Received | Assigned | Contacted | Feedback | Withdrawn | Closed | Handled | Callback | Escalated
    | MediationRequested | MediationConcluded | Validated | Compensated | PublicOpinion | Reopened | Annulled
    | Extended | AppraisalStarted | AppraisalEnded | ResponsibilityAssigned | Rewarded | Appealed | AppealDecided,
    Field(discriminator="action"),
]
ACTION_NAMES: tuple[str, ...] = (
    "received", "assigned", "contacted", "feedback", "withdrawn", "closed", "handled", "callback",
    "escalated", "mediation_requested", "mediation_concluded", "validated", "compensated",
    "public_opinion", "reopened", "annulled", "extended", "appraisal_started", "appraisal_ended",
    "responsibility_assigned", "rewarded", "appealed", "appeal_decided",
)

_adapter: TypeAdapter[Action] = TypeAdapter(Action)


class InvalidAction(ValueError):
    """A line that is not a valid action; the message says which field and why."""


def parse_action(data: Any) -> Action:
    """Validate one action object (a dict from JSON or CSV) or raise InvalidAction with a readable reason."""
    if not isinstance(data, dict):
        raise InvalidAction(f"an action must be a JSON object, not {type(data).__name__}")
    name = data.get("action")
    if name not in ACTION_NAMES:
        known = ", ".join(ACTION_NAMES)
        raise InvalidAction(f"unknown action {name!r}; expected one of: {known}")
    try:
        return _adapter.validate_python(data)
    except ValidationError as error:
        raise InvalidAction(describe(error)) from None


def describe(error: ValidationError) -> str:
    """One line per problem: `field: message`, without pydantic's URLs and discriminator noise."""
    parts = []
    for problem in error.errors(include_url=False):
        location = [str(p) for p in problem["loc"] if str(p) not in ACTION_NAMES]
        where = ".".join(location) or "action"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)
