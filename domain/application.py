"""The write side: a thin eventsourcing Application that loads complaints, records actions, saves.

A batch of actions is saved in ONE transaction, with optimistic concurrency on every complaint it
touches, so a crash leaves either the whole batch or none of it; a rerun then finds the saved
actions already recorded (by `action_id`) and records only the rest: exactly once.

Several writers (imports, intake) may record into one store at once. Each batch first drops from the
cache the complaints others changed since (read from the log), and a batch that still collides with
another writer's (the store refuses a complaint version or an action id twice) is decided again from
the store, a bounded number of times with growing pauses: what the other writer recorded meanwhile is
then a duplicate, not an error.
"""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.access_log import Access
from domain.actions import Action, Assigned, Received, ResponsibilityAssigned
from domain.complaint import Complaint, complaint_uuid, record_new
from domain.dates import Window
from domain.errors import ActionIdTaken, DomainError, UnknownUnit
from domain.organisation import ORGANISATION_ID, Organisation, OrganisationSpec, UnitSpec


@dataclass
class BatchOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class PersonalData(Protocol):
    """Where personal fields are sealed (a key store kept apart from the events)."""

    def seal(self, customer_ref: str, personal: dict[str, str]) -> dict[str, Any]: ...

    def open(self, sealed: dict[str, Any]) -> dict[str, str]: ...


class ActionIndex(Protocol):
    """What the store's recorder offers when it keeps `action_id` unique store-wide (plaintrail/action_ids.py)."""

    def action_owners(self, action_ids: Sequence[str]) -> dict[str, str]: ...

    def originators_after(self, notification_id: int) -> tuple[set[UUID], int]: ...


class WritersCollide(RuntimeError):
    """A batch kept colliding with other writers' after every retry; nothing of it was recorded."""


class ComplaintLog(Application):
    name = "plaintrail"
    RETRIES = 10  # attempts at one batch; between them, pauses from BACKOFF doubling up to BACKOFF_CAP seconds
    BACKOFF = 0.05
    BACKOFF_CAP = 2.0

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def __init__(self, env: dict[str, str] | None = None, cache_size: int = 50_000,
                 vault: PersonalData | None = None, window: Callable[[], Window] | None = None) -> None:
        super().__init__(env)
        self.vault = vault
        # Where `at` may lie, asked at each batch (its end moves with the clock); the composition root
        # passes the configured one, the default is 2000-01-01 to a day from now.
        self.window = window or (lambda: Window.plausible(datetime.now(UTC)))
        self._cache: OrderedDict[UUID, Complaint] = OrderedDict()
        self._cache_size = cache_size
        self._assume_new = True  # until a save proves a complaint taken for new was recorded before
        self._org: Organisation | None = None
        self._seen: int | None = None  # the log's position the cache reflects (None: nothing cached yet)

    # -- organisation ------------------------------------------------------------------------

    def organisation(self) -> Organisation:
        if self._org is None:
            try:
                self._org = self.repository.get(ORGANISATION_ID)
            except AggregateNotFoundError:
                self._org = Organisation()
        return self._org

    def load_organisation(self, spec: OrganisationSpec) -> int:
        """Record what changed in the organisation; returns the number of new events."""
        self._org = None
        org = self.organisation()
        changes = org.adopt(spec)
        self._save_in_slices(org)
        return changes

    def extend_organisation(self, units: list[UnitSpec]) -> int:
        """Register units an importer needs (parents first); units already known are left as they are."""
        self._org = None
        org = self.organisation()
        added = org.extend(units)
        if added:
            self._save_in_slices(org)
        return added

    ORG_SLICE = 1_000

    def _save_in_slices(self, org: Organisation) -> None:
        """A national bank's organisation is tens of thousands of events: one insert of them all stalls
        PostgreSQL's pipeline (client and server each wait for the other; seen with 15,000 outlets), so
        they are saved a slice per transaction, in order. A crash between slices leaves a prefix, and
        loading the same file again records only the rest (`adopt` records differences)."""
        events = org.collect_events()
        self._org = None  # until every slice is stored; after a failure it is read back as stored
        for start in range(0, len(events), self.ORG_SLICE):
            self._save_events(events[start:start + self.ORG_SLICE])
        self._org = org

    # -- access log --------------------------------------------------------------------------

    def record_access(self, user: str, role: str, action: str, subject: str, detail: dict[str, Any]) -> None:
        """Record who viewed or exported what (audit of the auditors); one event, never edited."""
        self.save(Access(user, role, action, subject, datetime.now(UTC), detail))

    # -- complaints --------------------------------------------------------------------------

    def complaint(self, complaint_id: str) -> Complaint:
        return self.repository.get(complaint_uuid(complaint_id))

    def record(self, numbered: Iterable[tuple[int, Action]]) -> BatchOutcome:
        """Record a batch of validated actions, each tagged with its source line number."""
        batch, refused = self._seal_personal(list(numbered))
        for attempt in range(self.RETRIES):
            try:
                outcome = self._decide(batch)
                break
            except IntegrityError as error:
                # Another writer got there first (a complaint moved on, an action id was taken), or a complaint
                # taken for new had been recorded before (a re-import): from now on look every complaint and
                # action id up in the store, and decide again: at once the first time, then after a pause.
                self._assume_new = False
                if attempt + 1 == self.RETRIES:
                    raise WritersCollide(f"a batch of {len(batch)} actions collided with other writers "
                                         f"{self.RETRIES} times; nothing of it was recorded: {error}") from error
                if attempt:
                    pause = min(self.BACKOFF_CAP, self.BACKOFF * 2 ** (attempt - 1))
                    time.sleep(pause * random.uniform(0.5, 1.5))  # apart, so the writers do not meet again
        outcome.rejected.extend(refused)
        return outcome

    def _seal_personal(self, batch: list[tuple[int, Action]]) -> tuple[list[tuple[int, Action]], list[tuple[int, str]]]:
        """Personal fields never reach the event store in clear: each is sealed under its customer's key."""
        kept, refused = [], []
        for line, action in batch:
            if isinstance(action, Received) and action.personal:
                if self.vault is None or not action.customer_ref:
                    refused.append((line, f"complaint {action.complaint_id}: personal fields need "
                                    + ("a customer_ref (keys are per customer)" if self.vault else "a key vault")))
                    continue
                sealed = self.vault.seal(action.customer_ref, action.personal)
                action = action.model_copy(update={"personal": sealed})
            kept.append((line, action))
        return kept, refused

    def _decide(self, batch: list[tuple[int, Action]]) -> BatchOutcome:
        outcome = BatchOutcome()
        touched: dict[UUID, Complaint] = {}
        index = self._action_index()
        self._forget_changed(index)
        # Who holds each id already: asked of the store only once a save has collided (it enforces the rule
        # anyway); within the batch, the ids this batch records.
        owners = index.action_owners([a.action_id for _, a in batch]) if index and not self._assume_new else {}
        claimed: dict[str, str] = {}
        units = self.organisation().units
        window = self.window()
        for line, action in batch:
            try:
                window.check("at", action.at, f"complaint {action.complaint_id}")
                self.check_units(action, units)
                uuid = complaint_uuid(action.complaint_id)
                complaint = touched.get(uuid) or self._cached(uuid, isinstance(action, Received))
                if complaint is None or action.action_id not in complaint.history:
                    owner = claimed.get(action.action_id) or owners.get(action.action_id)
                    if owner is not None and owner != action.complaint_id:
                        raise ActionIdTaken(action.action_id, owner, action.complaint_id)
                if complaint is None:
                    complaint = record_new(action)
                    recorded = True
                else:
                    recorded = complaint.record(action)
                touched[uuid] = complaint
            except DomainError as error:
                outcome.rejected.append((line, str(error)))
                continue
            except Exception:
                self._cache.clear()  # a cached complaint may hold this batch's unsaved events
                raise
            if recorded:
                claimed[action.action_id] = action.complaint_id
                outcome.accepted += 1
            else:
                outcome.duplicates += 1
        events = [e for complaint in touched.values() for e in complaint.collect_events()]
        try:
            self._save_events(events, [(e.action_id, e.complaint_id) for e in events])  # type: ignore[attr-defined]
        except Exception:
            for uuid in touched:  # they hold decisions that were not saved
                self._cache.pop(uuid, None)
            raise
        for uuid, complaint in touched.items():
            self._remember(uuid, complaint)
        return outcome

    def _action_index(self) -> ActionIndex | None:
        return self.recorder if hasattr(self.recorder, "action_owners") else None  # type: ignore[return-value]

    def _forget_changed(self, index: ActionIndex | None) -> None:
        """Drop from the cache the complaints other writers changed since it was last brought up to date, so
        that nothing is decided (or refused) on a state the store has left behind."""
        if index is None:
            return
        if self._seen is None or not self._cache:
            self._seen = self.recorder.max_notification_id() or 0
            return
        changed, self._seen = index.originators_after(self._seen)
        for uuid in changed:
            self._cache.pop(uuid, None)

    def _save_events(self, events: Sequence[Any], action_ids: Sequence[tuple[str, str]] = ()) -> None:
        """`Application.save` of our own new events, minus the check of every object against the library's
        runtime protocols (two `isinstance` on a `Protocol` an event, ~20 us on Python 3.11: a third of an
        import). The same steps follow: record in one transaction, snapshots, notify. We keep our own cache,
        so the repository's (which wants aggregates) is not missed. `action_ids` (id, complaint id) go to the
        recorder's store-wide index, in the same transaction."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.events.extend(events)
        if action_ids:
            processing.saved_kwargs["action_ids"] = action_ids
        recordings = self._record(processing)
        if recordings and self._seen is not None:
            first, last = recordings[0].notification.id, recordings[-1].notification.id
            if first == self._seen + 1:  # nobody else recorded in between: the cache is as current as the log
                self._seen = last
        self._take_snapshots(processing)
        self._notify(recordings)
        self.notify(processing.events)  # the library's deprecated hook, as save calls it

    @staticmethod
    def check_units(action: Action, units: Mapping[str, object]) -> None:
        if isinstance(action, Received) and action.outlet not in units:
            raise UnknownUnit(action.outlet)
        if isinstance(action, Assigned) and action.outlet is not None and action.outlet not in units:
            raise UnknownUnit(action.outlet)
        if isinstance(action, ResponsibilityAssigned):
            for department in action.shares:
                unit = units.get(department)
                if not isinstance(unit, dict) or unit.get("kind") != "department":
                    raise UnknownUnit(department, "department")

    def _cached(self, uuid: UUID, received: bool = False) -> Complaint | None:
        """The complaint from the cache or the store; None if it was never recorded.

        A `received` for a complaint not in the cache is taken for new without asking the store (one
        query per complaint is most of an import's reads): if it was recorded after all, saving its
        version 1 again violates the store's uniqueness and `record` decides the batch again, carefully.
        """
        complaint = self._cache.get(uuid)
        if complaint is not None:
            self._cache.move_to_end(uuid)
            return complaint
        if received and self._assume_new:
            return None
        try:
            return self.repository.get(uuid)
        except AggregateNotFoundError:
            return None

    def _remember(self, uuid: UUID, complaint: Complaint) -> None:
        self._cache[uuid] = complaint
        self._cache.move_to_end(uuid)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
