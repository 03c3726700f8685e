"""The whole ServiceNow incident event log (120k rows) imported end to end, against the raw batched save.

    python -m bench.servicenow_bench

(a) plaintrail: `plaintrail import servicenow_incident_event_log.csv.gz --format servicenow` as a user runs it
    (CSV parsing, the mapping, validation, the aggregate, batched saves, then the read models and the seal);
(b) baseline: the same events, read back from (a)'s store, saved again with the library's own batched
    `Application.save` into a fresh store (what any eventsourcing application must pay to store them).
Prints events/s of each and the ratio (a)/(b), to set beside the write-side import bench's ratio.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from eventsourcing.persistence import Notification, StoredEvent

from domain.application import ComplaintLog
from plaintrail.cli import main as cli
from plaintrail.settings import Settings
from plaintrail.wiring import open_log

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow_incident_event_log.csv.gz"


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="plaintrail-snbench-"))
    home = work / "home"
    started = time.perf_counter()
    cli(["--home", str(home), "import", str(DATA), "--format", "servicenow", "--json"])
    import_s = time.perf_counter() - started
    log = open_log(Settings(home=home))
    events = log.recorder.max_notification_id() or 0
    target = ComplaintLog(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                               "SQLITE_DBNAME": str(work / "baseline.sqlite")})
    batches, start = [], 1
    while notes := log.recorder.select_notifications(start, 2000):
        batches.append([log.mapper.to_domain_event(_stored(n)) for n in notes])
        start = notes[-1].id + 1
    started = time.perf_counter()
    for batch in batches:
        target.save(*batch)
    save_s = time.perf_counter() - started
    print(f"(a) plaintrail import, end to end: {events:,} events in {import_s:.1f} s = {events / import_s:,.0f}/s")
    print(f"(b) eventsourcing batched save:    {events:,} events in {save_s:.1f} s = {events / save_s:,.0f}/s")
    print(f"    ratio (a)/(b) = {save_s / import_s:.2f}")
    return 0


def _stored(note: Notification) -> StoredEvent:
    return StoredEvent(note.originator_id, note.originator_version, note.topic, note.state)


if __name__ == "__main__":
    raise SystemExit(main())
