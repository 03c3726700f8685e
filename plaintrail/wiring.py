"""The composition root: settings in, stores and applications out. Nothing else builds them."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import Any

from consumers import replay
from consumers.kafka_io import Topics
from consumers.local import SOURCE, follow
from domain.application import ComplaintLog
from domain.sla import SlaRules
from plaintrail import sla_rules
from plaintrail.settings import Settings
from projections import problems, transport
from projections.runner import PROJECTION, Projector, RebuildUnderWay
from projections.store import ReadModelStore
from transparency.events import EventTable
from transparency.log import TransparencyLog, TreeProblem
from transparency.signing import Checkpoint, SigningKey
from transparency.store import TreeStore

_told: set[str] = set()  # notes already printed by this process


class SignedLog(ComplaintLog):
    """The event store application whose every save ends by extending the Merkle tree and signing a
    checkpoint: whatever records events (import, org load, hot, forget, intake, the dashboard...) leaves
    nothing unsigned, and a command added later is covered without knowing it."""

    name = "plaintrail"  # the library would name it after the class (and its tables after the name)

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self._tree: TransparencyLog | None = None

    def tree(self) -> TransparencyLog:
        if self._tree is None:
            self._tree = open_transparency(self.settings, self)
        return self._tree

    def _notify(self, recordings: list[Any]) -> None:
        super()._notify(recordings)
        settle(self.settings, self)


def open_log(settings: Settings) -> SignedLog:
    """The event store application, on SQLite under `home` or on PostgreSQL when configured."""
    from plaintrail.vault import open_vault

    return SignedLog(settings, env=settings.event_store_env(), vault=open_vault(settings),
                     window=settings.at_window())


def open_transparency(settings: Settings, log: ComplaintLog | None = None) -> TransparencyLog:
    """The Merkle tree over the log (HOME/integrity.sqlite, or merkle_* tables in the PostgreSQL database) and
    its signing key (HOME/keys/checkpoint.key, or PLAINTRAIL_CHECKPOINT_KEY_FILE)."""
    table = log.recorder.events_table_name if log else events_table(settings)  # type: ignore[attr-defined]
    where = locations(settings, table)
    store = TreeStore.postgres(settings.database_url) if settings.database_url else \
        TreeStore.sqlite(settings.home / "integrity.sqlite")
    return TransparencyLog(store, EventTable(where.events, where.table),
                           SigningKey(settings.checkpoint_key))


def events_table(settings: Settings) -> str:
    """The library's events table, named without opening the application (which would create or index it)."""
    return f"{ComplaintLog.name}_events" if settings.database_url else "stored_events"


def settle(settings: Settings, log: ComplaintLog | None = None, progress: bool = False) -> Checkpoint | None:
    """Extend the tree over every new event and sign a checkpoint; the first build over an existing store
    runs only once the old hash chain verifies."""
    tree = log.tree() if isinstance(log, SignedLog) else open_transparency(settings, log)

    def old_chain_holds() -> None:
        from plaintrail import integrity

        report = integrity.verify(settings)
        if not report["ok"]:
            broken = report["first_broken"]
            raise TreeProblem(f"the old hash chain is broken ({broken['kind']} at event {broken['notification_id']})"
                              ": no Merkle tree is built over an altered log")

    return tree.settle(old_chain_holds, progress)


def open_read_models(settings: Settings) -> ReadModelStore:
    """The read-model tables: beside the event store (same PostgreSQL database, or HOME/readmodels.sqlite)."""
    return locations(settings).open_readmodels()


FILL_APART = 500_000  # events: from here HR's scores are kept one quarter per process (starting one costs ~1 s)


def locations(settings: Settings, table: str = "") -> replay.Stores:
    """Where the stores are, as plain strings (a rebuild's processes open them from these too)."""
    if settings.database_url:
        return replay.Stores(settings.database_url, table, settings.database_url, settings.timezone)
    return replay.Stores(settings.event_store_env()["SQLITE_DBNAME"], table, str(settings.home / "readmodels.sqlite"),
                         settings.timezone)


def chosen_transport(settings: Settings) -> str:
    """The transport the settings ask for: the events topic when PLAINTRAIL_KAFKA_BOOTSTRAP is set, else the log."""
    return Topics.of(settings).events if settings.kafka_bootstrap else transport.EMBEDDED


def rebuild(settings: Settings, progress: bool = False, workers: int | None = None, log: ComplaintLog | None = None,
            store: ReadModelStore | None = None) -> replay.Rebuilt:
    """Fold every event again into a new read-model version beside the live one (in `workers` processes,
    default one per core), bring it up to the log's head, and make it live; queries and folds go on
    against the live version meanwhile (projections/versions.py). `store` follows the switch.

    Kafka workers carry on in the new version from the offsets the live one had (consumers/switch.py)."""
    from consumers import switch
    from plaintrail.commands import scores  # HR's scores kept before the version goes live

    log = log or open_log(settings)
    own_store = store is None
    store = store or open_read_models(settings)
    try:
        with store.rebuild_lock() as mine:
            if not mine:
                raise RebuildUnderWay("another process is rebuilding the read models; try again when it is done")
            if transport.recorded(store) is None:
                transport.record(store, chosen_transport(settings))
            where = locations(settings, log.recorder.events_table_name)  # type: ignore[attr-defined]
            old, aside = store.version, switch.beside(where, store)
            fresh = aside.open_readmodels()
            try:
                done = replay.rebuild(replace(aside, rules=scoring_rules()), fresh,
                                      log.recorder.max_notification_id() or 0,
                                      workers or os.cpu_count() or 1, progress, settings.home)
                caught = follow(log, fresh, Projector(fresh, settings.tz))
                switch.carry_over(store, fresh)
                caught += follow(log, fresh, Projector(fresh, settings.tz))  # past every carried offset
                apart = (workers or os.cpu_count() or 1) if done.events >= FILL_APART else 1
                scores.fill(settings, fresh, aside, apart)
                switch.make_live(where, store, aside.version)
            finally:
                fresh.close()
            store.refresh(force=True)
            if old != aside.version:
                switch.remove(where, store, old)
            return replay.Rebuilt(done.events + caught, done.workers, done.peak_mb)
    finally:
        if own_store:
            store.close()


def scoring_rules() -> SlaRules | None:
    """The SLA rules the liabilities memo is keyed by, for the rebuild to fill it; None (the memo left to the
    first query) when they cannot be read: a rebuild never fails on the rules file, the query says what is wrong."""
    try:
        return sla_rules.load()
    except (OSError, ValueError):
        return None


def catch_up(settings: Settings, progress: bool = False, log: ComplaintLog | None = None,
             store: ReadModelStore | None = None) -> int:
    """Bring the read models up to the last recorded event when this home follows the log (embedded mode);
    returns events folded.

    The home's recorded transport decides, not the environment: a home kept by Kafka workers is shown as
    the workers left it (with a note when PLAINTRAIL_KAFKA_BOOTSTRAP is missing: the answers may lag), and
    an embedded home is followed even where the bootstrap is set. A home nothing folded yet is claimed for
    the log here, or left for the first worker in Kafka mode. A rebuild that died half-way is done again
    first, and a long log folded from nothing (a new or dropped store, a new schema) is folded the
    rebuild's way, a complaint at a time."""
    own_store = store is None
    store = store or open_read_models(settings)
    try:
        source = transport.recorded(store)
        if source is None and settings.kafka_bootstrap:
            return 0  # the first worker records Kafka
        if source is not None and source != transport.EMBEDDED:
            if not settings.kafka_bootstrap:
                note(f"this home's read models are kept by {transport.describe(source)}: shown as the workers "
                     "left them, they may lag the event log (set PLAINTRAIL_KAFKA_BOOTSTRAP to run in Kafka mode)")
            return 0
        if settings.kafka_bootstrap:
            note("this home's read models follow the event log (embedded mode), so this command brings them up "
                 "to date itself; `plaintrail transport kafka` hands them to Kafka workers")
        transport.claim(store, transport.EMBEDDED)
        log = log or open_log(settings)
        folded = 0
        from_nothing = store.position(PROJECTION, SOURCE) is None and \
            (log.recorder.max_notification_id() or 0) >= replay.ALONE_BELOW
        if from_nothing or store.rebuilding():  # a long log from the first: the rebuild's way
            try:
                folded = rebuild(settings, progress, log=log, store=store).events
            except RebuildUnderWay:
                return 0  # the rebuilding process brings the read models up to date
        return folded + follow(log, store, Projector(store, settings.tz), progress)
    finally:
        if own_store:
            store.close()


def fold_problems(settings: Settings, store: ReadModelStore | None = None) -> int:
    """How many stored events the read models could not place (`plaintrail verify` lists them)."""
    own_store = store is None
    store = store or open_read_models(settings)
    try:
        return problems.count(store)
    finally:
        if own_store:
            store.close()


def fold_problems_note(count: int) -> str:
    return (f"{count} event{'s' if count != 1 else ''} could not be folded into the read models "
            "(left out of every count); `plaintrail verify` lists them")


def audit_record(settings: Settings, seals_file: os.PathLike[str] | None = None,
                 exported: list[Checkpoint] | None = None, progress: bool = False) -> dict[str, Any]:
    """`plaintrail verify`: every row against the Merkle tree and its signed checkpoints (and against exported
    checkpoints, and the old HMAC seals of an exported copy, when given)."""
    from pathlib import Path

    from transparency.audit import audit

    tree = open_transparency(settings)
    try:
        report = audit(tree, gaps_allowed=bool(settings.database_url), extra=exported, progress=progress)
    finally:
        tree.store.close()
    if seals_file is not None:  # copies taken before the tree superseded the seals
        from plaintrail import integrity

        old = integrity.verify(settings, Path(seals_file))
        report["seals_checked"] = old["seals_checked"]
        report["problems"] += [dict(p, kind=f"old chain: {p['kind']}") for p in old["problems"]]
        report["ok"] = report["ok"] and old["ok"]
        report["first_broken"] = report["first_broken"] or (report["problems"] or [None])[0]
    return report


def note(text: str) -> None:
    """Say something to the person at the terminal once per process (stderr: JSON on stdout stays clean)."""
    if text not in _told:
        _told.add(text)
        print(f"plaintrail: {text}", file=sys.stderr)
