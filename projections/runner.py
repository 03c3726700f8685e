"""The fold core both transports call: fold a batch of envelopes and store its tracking position.

One transaction holds the batch's rows and the new position, and the events of the batch no fold
could place (`projections/problems.py`): such an event is reported and skipped, never allowed to
stop the read side. Before writing, the transaction checks
that the stored position is still the one this batch follows; if another process moved it, the batch
is refused (`PositionMoved`) and the caller re-reads from the new position, so two runners never
fold the same event twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from itertools import groupby
from typing import Any

import orjson

from domain.facts import ComplaintFacts
from projections import complaints, org, problems, score_memo
from projections.bulk import few_collections
from projections.envelope import Envelope
from projections.store import ReadModelStore

PROJECTION = "readmodels"
UPSERT_TRACKING = """INSERT INTO tracking (projection, source, partition, position) VALUES (?, ?, ?, ?)
    ON CONFLICT (projection, source, partition) DO UPDATE SET position = excluded.position"""


class PositionMoved(RuntimeError):
    """Another runner folded this source's events since this batch was read."""


class RebuildUnderWay(PositionMoved):
    """A rebuild is folding the read models afresh: nothing else folds until it is done."""


def folded(facts: ComplaintFacts | None, version: int, event_type: str, recorded_at: str,
           payload: dict[str, Any]) -> tuple[ComplaintFacts, bool]:
    """One complaint's facts after an event (`facts` None: nothing folded yet), and whether it was new."""
    if facts is None:
        if event_type != "Complaint.Received":
            raise ValueError(f"{event_type} for {payload.get('complaint_id')} before it was received")
        return ComplaintFacts.received(version, recorded_at, payload), True
    return facts, facts.apply(version, event_type, recorded_at, payload)


class Projector:
    """Folds envelopes into the read models, keeping recently folded facts in memory between batches."""

    def __init__(self, store: ReadModelStore, tz: tzinfo, cache_size: int = 20_000) -> None:
        self.store = store
        self.tz = tz
        self.cache: dict[str, ComplaintFacts] = {}
        self.cache_size = cache_size
        self.redeliveries = False  # True where the transport may deliver an event twice (Kafka)
        self.marks = score_memo.Marks()  # the months each complaint's answers lie in (HR's kept scores)
        self.problems: list[problems.Problem] = []  # this batch's events that could not be folded
        self.epoch = store.epoch  # the store's version count when the cache was filled

    def fold(self, envelopes: Sequence[Envelope], source: str, partition: int, position: int,
             after: int | None, unreadable: Sequence[problems.Problem] = ()) -> int:
        """Fold `envelopes` (read after position `after`) and record `position`; returns events applied.

        `unreadable`: events of the batch the transport could not even decode, reported with it."""
        self.problems = list(unreadable)
        try:
            with few_collections():  # the cached facts are long-lived: full collections walked them for a quarter
                return self._fold(envelopes, source, partition, position, after)  # of the fold's time
        except BaseException:
            self.cache.clear()  # the transaction rolled back: memory may be ahead of the store
            raise
        finally:
            self.problems = []

    def _fold(self, envelopes: Sequence[Envelope], source: str, partition: int, position: int,
              after: int | None) -> int:
        epoch = self.store.epoch  # the version the cache and this batch's reads belong to
        if epoch != self.epoch:
            self.cache.clear()
            self.epoch = epoch
        first: dict[str, int] = {}  # each complaint's first version in this batch
        for e in envelopes:
            if e.complaint_id is not None and e.event_type.startswith("Complaint."):
                first.setdefault(e.complaint_id, e.version)
        ids = set(first)
        # A complaint first seen at version 1 has no row yet, unless the transport can deliver twice.
        self._load([i for i, v in first.items() if (v > 1 or self.redeliveries) and i not in self.cache])
        deltas = complaints.IndicatorDeltas()
        before = {i: complaints.contribution(self.cache[i], self.tz) for i in ids if i in self.cache}
        org_events = [e for e in envelopes if e.event_type.startswith("Organisation.")]
        applied = 0
        last: dict[str, Envelope] = {}  # each complaint's last event in this batch
        for envelope in envelopes:
            if envelope.event_type.startswith("Complaint."):
                if envelope.complaint_id is None:
                    self.problems.append(problems.of_envelope(envelope, "a complaint event without a complaint_id"))
                    continue
                applied += self._apply(envelope)
                last[envelope.complaint_id] = envelope
        facts_rows = []
        months: set[str] = set()  # what this batch may change in HR's kept scores (projections/score_memo.py)
        for complaint_id in sorted(ids):
            facts = self.cache.get(complaint_id)
            if facts is None:
                continue
            months |= self.marks.of(facts)
            try:
                after_batch = complaints.contribution(facts, self.tz)
                facts_rows.append(complaints.facts_row(facts, self.tz))
            except Exception as error:  # its stored row stays as it was before this batch
                self.problems.append(problems.of_envelope(last[complaint_id], error))
                del self.cache[complaint_id]
                continue
            was = before.get(complaint_id)
            if was != after_batch:  # most events move no count: nothing to add for them
                if was is not None:
                    deltas.add(*was, -1)
                deltas.add(*after_batch, +1)
        with self.store.transaction() as cursor:
            if self.store.epoch != epoch:  # a rebuild's version became live since this batch was read
                raise PositionMoved("the read models moved to a new version; read again from its position")
            self._check_position(cursor, source, partition, after)
            applied += self.fold_organisation(cursor, org_events)
            self.store.executemany(cursor, problems.INSERT, self.problems)
            self.store.executemany(cursor, complaints.UPSERT_FACTS, facts_rows)
            self.store.executemany(cursor, complaints.ADD_INDICATORS, deltas.rows())
            self.store.executemany(cursor, score_memo.MARK, [(m,) for m in sorted(months)])
            self.store.execute(cursor, UPSERT_TRACKING, (PROJECTION, source, partition, position))
        if len(self.cache) > self.cache_size:  # keep what this batch touched: those are the live ones
            self.cache = {i: self.cache[i] for i in ids if i in self.cache}
        if len(self.marks.seen) > self.cache_size:
            self.marks.keep_only(self.cache)
        return applied

    def fold_organisation(self, cursor: Any, events: list[Envelope]) -> int:
        """Fold the organisation's events inside the caller's transaction; returns how many were new.

        An event whose statements cannot be made is reported in `fold_problems` and left out."""
        statements, fresh = self._organisation(cursor, events)
        for statement, group in groupby(statements, key=lambda pair: pair[0]):
            self.store.executemany(cursor, statement, [params for _, params in group])
        if statements:
            units = self.store.execute(cursor, "SELECT unit, kind, parent FROM org_units").fetchall()
            self.store.execute(cursor, "DELETE FROM org_rollup")
            self.store.executemany(cursor, "INSERT INTO org_rollup (outlet, sub_branch, branch) VALUES (?, ?, ?)",
                                   org.rollup_rows(units))
        return fresh

    def _organisation(self, cursor: Any, events: list[Envelope]) -> tuple[list[tuple[str, tuple[Any, ...]]], int]:
        """The SQL of the organisation events not folded yet (a redelivered one must not undo a later one)."""
        if not events:
            return [], 0
        row = self.store.execute(cursor, "SELECT value FROM readmodel_meta WHERE key = 'organisation_version'"
                                 ).fetchone()
        done = int(row[0]) if row else 0
        fresh = [e for e in events if e.version > done]
        if fresh:
            self.store.execute(cursor, "INSERT INTO readmodel_meta (key, value) VALUES ('organisation_version', ?) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(fresh[-1].version),))
        found: list[tuple[str, tuple[Any, ...]]] = []
        refused = []
        for e in fresh:
            try:
                found.extend(org.statements(e))
            except Exception as error:
                refused.append(problems.of_envelope(e, error))
        self.store.executemany(cursor, problems.INSERT, refused)
        return found, len(fresh) - len(refused)

    def _apply(self, envelope: Envelope) -> int:
        """Fold one complaint event; one that cannot be placed is reported and leaves the facts as they were."""
        assert envelope.complaint_id is not None
        try:
            self.cache[envelope.complaint_id], applied = folded(
                self.cache.get(envelope.complaint_id), envelope.version, envelope.event_type, envelope.recorded_at,
                envelope.payload)
        except Exception as error:
            self.problems.append(problems.of_envelope(envelope, error))
            return 0
        return int(applied)

    def _load(self, complaint_ids: list[str]) -> None:
        for start in range(0, len(complaint_ids), 500):
            chunk = complaint_ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for (text,) in self.store.query(f"SELECT facts FROM complaint_facts WHERE complaint_id IN ({marks})",
                                            chunk):
                facts = ComplaintFacts.from_json(orjson.loads(text))
                self.cache[facts.complaint_id] = facts

    def _check_position(self, cursor: Any, source: str, partition: int, after: int | None) -> None:
        if self.store.dialect == "postgres":  # SQLite's BEGIN IMMEDIATE already serialises writers
            self.store.execute(cursor, "SELECT pg_advisory_xact_lock(hashtext(?))",
                               (f"{PROJECTION}|{source}|{partition}",))
        if self.store.rebuilding(cursor):
            raise RebuildUnderWay("a rebuild is under way; it brings the read models up to date")
        self.store.execute(cursor, "SELECT position FROM tracking WHERE projection = ? AND source = ? "
                           "AND partition = ?", (PROJECTION, source, partition))
        row = cursor.fetchone()
        stored = None if row is None else int(row[0])
        if stored != after:
            raise PositionMoved(f"{source}[{partition}] is at {stored}, this batch follows {after}")

