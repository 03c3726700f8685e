"""The embedded runner: follows the notification log in process and folds it into the read models.

No Kafka needed. Every query command calls `catch_up` first, so what it shows includes every event
recorded so far. SQLite cannot push notifications, so the log is polled (read in batches) instead.
"""

from __future__ import annotations

from tqdm import tqdm

from domain.application import ComplaintLog
from projections.envelope import Envelope
from projections.runner import PROJECTION, PositionMoved, Projector, RebuildUnderWay
from projections.store import ReadModelStore

SOURCE = "log"
BATCH = 20_000


def follow(log: ComplaintLog, store: ReadModelStore, projector: Projector, progress: bool = False) -> int:
    """Fold every notification after the stored position; returns how many events were folded."""
    total = 0
    last = log.recorder.max_notification_id() or 0
    bar = None
    while True:
        after = store.position(PROJECTION, SOURCE)
        if bar is None and progress and last - (after or 0) > BATCH:
            bar = tqdm(total=last - (after or 0), unit="event", desc="projecting", unit_scale=True)
        notifications = log.recorder.select_notifications((after or 0) + 1, BATCH)
        if not notifications:
            break
        envelopes = [Envelope.from_notification(n, log.mapper.transcoder) for n in notifications]
        try:
            total += projector.fold(envelopes, SOURCE, 0, notifications[-1].id, after)
        except RebuildUnderWay:
            break  # the rebuilding process folds these
        except PositionMoved:
            continue  # another process folded these; carry on from where it got to
        if bar is not None:
            bar.update(len(notifications))
    if bar is not None:
        bar.close()
    return total

