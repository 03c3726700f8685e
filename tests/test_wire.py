"""The relay's messages (schema version 2): each stored event's own bytes framed, decoded by the worker into the
very envelope embedded mode builds; forged frames refused with their reason; the relay's reads and keys."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from kafka_stand_ins import TOPICS, Feed, Letters, events_of, on_topic, read_models, reference, synthetic_bank

from consumers.relay import key_of, stored_after
from consumers.workers import Worker
from plaintrail.settings import Settings
from plaintrail.wiring import open_log, open_read_models
from projections.envelope import Envelope, wire

FIXTURE = Path(__file__).parent / "fixtures" / "store"


def stored_rows() -> list[tuple[int, str, int, str, bytes]]:
    connection = sqlite3.connect(f"file:{FIXTURE / 'events.sqlite'}?immutable=1", uri=True)  # writes nothing beside it
    try:
        return connection.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                                  "ORDER BY rowid").fetchall()
    finally:
        connection.close()


def test_every_stored_event_framed_reads_back_as_the_envelope_embedded_mode_builds() -> None:
    rows = stored_rows()
    assert len({row[3] for row in rows}) >= 15  # organisation, complaint, publication and access events alike
    for notification_id, originator_id, version, topic, state in rows:
        framed = wire(notification_id, originator_id, version, topic, state)
        assert state in framed  # the stored bytes travel untouched
        assert Envelope.from_json(framed) == Envelope.from_stored(notification_id, originator_id, version, topic,
                                                                  state)


def test_the_relay_reads_what_the_library_reads_and_keys_by_complaint(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(FIXTURE, home)
    log = open_log(Settings(home=home))
    ours = stored_after(log.recorder, 0, 10_000)
    theirs = log.recorder.select_notifications(1, 10_000)
    assert [(r[0], UUID(str(r[1])), r[2], r[3], r[4]) for r in ours] == \
        [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in theirs]
    assert [r[0] for r in stored_after(log.recorder, 5, 3)] == [6, 7, 8]
    for row in ours:
        complaint = orjson.loads(row[4]).get("complaint_id")
        assert key_of(row) == (complaint or str(UUID(str(row[1])))).encode()  # the keys earlier relays gave


STATE = b'{"timestamp":{"_type_":"datetime_iso","_data_":"2024-03-05T01:12:00+00:00"},"complaint_id":"C-1"}'
UUID_TEXT = "0b7e2c6e-65a4-4b35-9a47-0d4b5f6b1a11"


@pytest.mark.parametrize(("value", "reason"), [
    (b'{"schema_version":2,"notification_id":1,"originator_id":"x","version":1,"topic":"t","state":{}}',
     "originator_id is not a UUID"),
    (b'{"schema_version":2,"notification_id":1,"originator_id":"%s","version":1,"topic":"t","state":{}}'
     % UUID_TEXT.encode(), "no recording time"),
    (b'{"schema_version":2,"notification_id":1,"originator_id":"%s","version":1,"topic":"t","state":[1]}'
     % UUID_TEXT.encode(), "state is list"),
    (b'{"schema_version":2,"notification_id":-1,"originator_id":"%s","version":1,"topic":"t","state":%s}'
     % (UUID_TEXT.encode(), STATE), "out of range"),
    (b'{"schema_version":2,"notification_id":1,"originator_id":"%s","version":1,"topic":"t","state":%s,"x":1}'
     % (UUID_TEXT.encode(), STATE), "unknown fields ['x']"),
    (b'{"schema_version":2,"notification_id":1,"originator_id":"%s","version":1,"topic":"t",'
     b'"state":{"timestamp":{"_type_":"datetime_iso"}}}' % UUID_TEXT.encode(), "cannot be read as a stored t"),
    (b'{"schema_version":3}', "not a plaintrail envelope of schema version 1 or 2"),
])
def test_a_forged_frame_is_refused_with_its_reason(value: bytes, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        Envelope.from_json(value)
    assert reason in str(refused.value)


def test_a_frame_from_a_newer_release_is_refused_not_folded() -> None:
    newer = STATE[:-1] + b',"class_version":99}'
    framed = wire(1, UUID(UUID_TEXT), 1, "domain.complaint:Complaint.Received", newer)
    with pytest.raises(ValueError, match="version 99"):
        Envelope.from_json(framed)


class Counted(Feed):
    """A one-partition consumer that counts its polls and answers what `Worker.run` asks of a subscription."""

    polls = 0

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        pass

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0}

    def poll(self, timeout_ms: int = 0) -> dict[Any, Any]:
        self.polls += 1
        return super().poll(timeout_ms)


def test_a_worker_folds_frames_as_embedded_mode_does_and_once_stops_at_the_last_message(tmp_path: Path) -> None:
    org, lines = synthetic_bank(tmp_path / "bank")
    settings = Settings(home=tmp_path / "home")
    v1 = events_of(settings, org, lines[:400])  # the envelopes embedded mode folds
    log = open_log(settings)
    frames = [wire(*row) for row in stored_after(log.recorder, 0, 100_000)]
    assert len(frames) == len(v1)
    worker_home = Settings(home=tmp_path / "worker")
    store = open_read_models(worker_home)
    feed = Counted(on_topic(frames, TOPICS.events), per_poll=500)
    worker = Worker(feed, Letters(), store, worker_home.tz, topics=TOPICS)
    try:
        assert worker.run(once=True) == len(frames) and worker.dead == 0
    finally:
        store.close()
    assert feed.polls == -(-len(frames) // 500)  # no empty polls waited out once the end was read
    assert read_models(worker_home) == reference(settings, v1)


def test_a_damaged_stored_row_goes_out_keyed_by_its_aggregate_and_the_worker_refuses_it() -> None:
    aggregate = UUID("8f14e45f-ceea-467f-a0e6-b3c1f1a0b001")
    for state in (b'{"timestamp": not json', b"[1, 2]"):
        row = (9, aggregate.hex, 1, "domain.complaint:Complaint.Received", state)
        assert key_of(row) == str(aggregate).encode()  # the relay carries on
        with pytest.raises(ValueError, match="not JSON|state is list"):
            Envelope.from_json(wire(*row))  # the worker dead-letters it with the reason
    good = (10, aggregate.hex, 2, "domain.complaint:Complaint.Assigned", STATE)
    assert key_of(good) == b"C-1"  # the damaged rows taught the key cache nothing
