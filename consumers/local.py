"""The embedded runner: follows the notification log in process and folds it into the read models.

No Kafka needed. Every query command calls `catch_up` first, so what it shows includes every event
recorded so far. SQLite cannot push notifications, so the log is polled (read in batches) instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import Notification
from tqdm import tqdm

from domain.application import ComplaintLog
from projections import problems
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
        envelopes, unreadable = readable(notifications)
        try:
            total += projector.fold(envelopes, SOURCE, 0, notifications[-1].id, after, unreadable)
        except RebuildUnderWay:
            break  # the rebuilding process folds these
        except PositionMoved:
            continue  # another process folded these; carry on from where it got to
        if bar is not None:
            bar.update(len(notifications))
    if bar is not None:
        bar.close()
    return total



def readable(notifications: Sequence[Notification]) -> tuple[list[Envelope], list[problems.Problem]]:
    """The envelopes of the notifications, and a problem for each one whose stored state cannot be read
    (a forged or damaged row): it is reported with the batch, and the rest are folded."""
    envelopes, unreadable = [], []
    for n in notifications:
        try:
            envelopes.append(Envelope.from_notification(n))
        except Exception as error:
            unreadable.append(problems.problem(n.originator_id, n.originator_version, n.id, None,
                                               n.topic.rsplit(":", 1)[-1], problems.unreadable(error)))
    return envelopes, unreadable
