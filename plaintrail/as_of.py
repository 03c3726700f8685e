"""The record as it stood at a past moment (`--as-of T`): the read models folded afresh, into a throwaway store,
from the events recorded by T.

The same `Projector` the live read models use folds them, and the same queries read them: no second
implementation of any rule, so the answer is the one a store fed only those events would give. It costs a read
of the log up to T (and a little beyond): seconds for a branch, minutes for a national bank's year (README).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from consumers.local import BATCH, readable
from domain.application import ComplaintLog
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections.runner import Projector
from projections.store import ReadModelStore

SOURCE = "as_of"
# Events carry the time they were made, a moment before their batch is saved: the log is in that order but
# for batches saved side by side. Reading stops once a whole batch was made this long after T.
SETTLED = timedelta(days=1)


def parse_moment(text: str, settings: Settings, option: str = "--as-of") -> datetime:
    """An ISO 8601 date-time from the command line; without an offset, in the bank's time zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: not an ISO 8601 date-time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


@contextmanager
def record_as_of(settings: Settings, moment: datetime, log: ComplaintLog | None = None,
                 progress: bool = False) -> Iterator[ReadModelStore]:
    """A read-model store holding exactly the events recorded by `moment`; deleted on leaving."""
    log = log or open_log(settings)
    with tempfile.TemporaryDirectory(prefix="plaintrail-as-of-") as directory:
        store = ReadModelStore.sqlite(Path(directory) / "readmodels.sqlite")
        try:
            fold_recorded_by(log, store, settings, moment, progress)
            yield store
        finally:
            store.close()


@contextmanager
def read_models(settings: Settings, as_of: datetime | None = None) -> Iterator[ReadModelStore]:
    """The live read models, caught up; or, with `as_of`, the record as it stood then (a throwaway store)."""
    progress = sys.stderr.isatty()
    if as_of is not None:
        with record_as_of(settings, as_of, progress=progress) as then:
            yield then
        return
    store = open_read_models(settings)
    try:
        catch_up(settings, progress=progress, store=store)
        yield store
    finally:
        store.close()


def fold_recorded_by(log: ComplaintLog, store: ReadModelStore, settings: Settings, moment: datetime,
                     progress: bool = False) -> int:
    """Fold into `store` every event recorded by `moment`, in the log's order; returns how many."""
    if moment.tzinfo is None:
        raise ValueError(f"--as-of needs a time zone: {moment.isoformat()}")
    cut = moment.astimezone(UTC)
    projector = Projector(store, settings.tz)
    last = log.recorder.max_notification_id() or 0
    bar = tqdm(total=last, unit="event", desc=f"record as of {moment.isoformat()}", unit_scale=True) \
        if progress and last > BATCH else None
    after, total = 0, 0
    try:
        while True:
            notifications = log.recorder.select_notifications(after + 1, BATCH)
            if not notifications:
                break
            envelopes, unreadable = readable(notifications)
            times = [datetime.fromisoformat(e.recorded_at) for e in envelopes]
            kept = [e for e, t in zip(envelopes, times, strict=True) if t <= cut]
            total += projector.fold(kept, SOURCE, 0, notifications[-1].id, after or None, unreadable)
            after = notifications[-1].id
            if bar is not None:
                bar.update(len(notifications))
            if times and min(times) > cut + SETTLED:
                break
    finally:
        if bar is not None:
            bar.close()
    return total
