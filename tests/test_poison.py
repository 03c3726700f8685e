"""Poison messages never stop intake or a worker: each goes to its dead-letter topic with the reason, partition
and offset, the consumer goes on, and nothing valid is lost or counted twice (issue 14, part 4 and the fuzz).

The consumers run on their real message handlers with stand-ins for the Kafka client (a list of messages and
a list of letters); tests/test_kafka_faults.py runs the same through the real broker."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka_stand_ins import TOPICS, Feed, Letters, events_of, new_log, on_topic, read_models, reference, synthetic_bank

from consumers.dead_letters import KEPT_BYTES
from consumers.intake import MAX_ACTION_BYTES, Intake
from consumers.workers import Worker
from domain.application import ComplaintLog
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models
from projections.runner import Projector


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    return synthetic_bank(tmp_path_factory.mktemp("bank"))


def hostile(rng: random.Random, n: int, valid: dict[str, Any]) -> bytes | None:
    """One poison message of many kinds; `valid` is an action to damage."""
    kind = n % 14
    if kind == 0:
        return None  # a tombstone
    if kind == 1:
        return b"[" * rng.randrange(2_000, 20_000)  # deeper than the JSON reader goes
    if kind == 2:
        return json.dumps({**valid, "action_id": f"D{n}", "note": json.loads("[" * 900 + "]" * 900)}).encode()
    if kind == 3:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))  # not JSON, not UTF-8
    if kind == 4:
        size = 900_000 if n % 280 == 4 else MAX_ACTION_BYTES  # a few near the broker's limit
        return json.dumps({**valid, "action_id": f"H{n}", "note": "x" * size}).encode()  # too large
    if kind == 5:
        return json.dumps(rng.choice([[], 42, "received", None, True, 1.5e300, [valid]])).encode()  # not an object
    if kind == 6:
        return json.dumps({**valid, "action_id": f"T{n}", "at": rng.choice([1700000000, None, [], "yesterday"])}
                          ).encode()  # a wrong type
    if kind == 7:
        return json.dumps({**valid, "action_id": f"C{n}", "action": rng.choice(["teleport", "", 7])}).encode()
    if kind == 8:  # refused by the state machine: a callback for a complaint never received
        return json.dumps({"action_id": f"S{n}", "complaint_id": f"NEVER-{n}", "action": "callback",
                           "satisfied": True, "at": "2024-03-05T10:00:00+08:00"}).encode()
    if kind == 9:
        return json.dumps({**valid, "action_id": f"U{n}", "complaint_id": f"NEW-{n}", "action": "received",
                           "outlet": "NO-SUCH-OUTLET", "channel": "app"}).encode()  # an unknown outlet
    if kind == 10:
        return json.dumps({**valid, "action_id": n, "complaint_id": {"id": 1}}).encode()  # wrong id types
    if kind == 11:
        return b'{"action_id": "X' + str(n).encode() + b'", "action": "received", "at": '  # cut short
    if kind == 12:
        return json.dumps({"action_id": f"N{n}", "complaint_id": f"NEW-{n}", "action": "received",
                           "at": "2024-03-05T09:00:00+08:00", "outlet": "O-0001", "channel": "fax"}).encode()
    return b"\xef\xbb\xbf" + json.dumps({**valid, "action_id": f"B{n}"}).encode()[:-1]  # a BOM, no closing brace


def test_ten_thousand_mixed_messages_through_intake(tmp_path: Path, bank: tuple[dict[str, Any], list[str]]) -> None:
    """Valid actions in order among poison of every kind (and some valid ones sent twice): no crash, every
    valid action recorded once, every other message dead-lettered once with a reason and its offset."""
    org, lines = bank
    rng = random.Random(14)
    log = new_log(Settings(home=tmp_path), org)
    values: list[bytes | None] = []
    valid_offsets, repeated = set(), 0
    for done, line in enumerate(lines, 1):
        while rng.random() < 0.82:
            values.append(hostile(rng, len(values), json.loads(line)))
        valid_offsets.add(len(values))
        values.append(line.encode())
        if rng.random() < 0.05:  # a redelivery of an earlier valid action: a duplicate, not a dead letter
            values.append(lines[rng.randrange(done)].encode())
            valid_offsets.add(len(values) - 1)
            repeated += 1
    assert len(values) >= 10_000
    letters = Letters()
    intake = Intake(Feed(on_topic(values, TOPICS.actions)), letters, log, TOPICS)
    while intake.poll_once():
        pass
    dead = letters.by_offset()
    assert intake.accepted == len(lines) and intake.duplicates == repeated  # zero valid actions lost
    assert set(dead) == set(range(len(values))) - valid_offsets and len(letters.sent) == len(dead)
    assert intake.dead == len(dead) == len(values) - len(lines) - repeated
    for offset, letter in dead.items():
        assert letter["reason"] and letter["partition"] == 0 and letter["topic"] == TOPICS.actions
        assert letter["tombstone"] == (values[offset] is None)
        assert letter["size"] == len(values[offset] or b"") and len(letter["original_base64"]) <= KEPT_BYTES * 4 / 3 + 4
    reasons = [letter["reason"] for letter in dead.values()]
    assert any("tombstone" in r for r in reasons) and any("too large" in r for r in reasons)
    assert any("nested too deeply" in r for r in reasons) and any("not JSON" in r for r in reasons)
    complaint_ids = {json.loads(line)["complaint_id"] for line in lines}
    versions = {cid: log.complaint(cid).version for cid in complaint_ids}
    assert sum(versions.values()) == len(lines)  # each valid action recorded once, nothing else on those complaints


def test_an_action_that_breaks_its_batch_is_found_and_dead_lettered(
        settings: Settings, bank: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """An error no validator foresaw (here: a stand-in raising OverflowError) costs only its own message."""
    org, lines = bank
    log = new_log(settings, org)
    original = ComplaintLog.record
    actions = [json.loads(line) for line in lines[:40]]
    bad = next(n for n in range(10, 40)  # one that no later action of the batch depends on
               if all(a["complaint_id"] != actions[n]["complaint_id"] for a in actions[n + 1:]))

    def record(self: ComplaintLog, numbered: Any) -> Any:
        numbered = list(numbered)
        if any(action.action_id == actions[bad]["action_id"] for _, action in numbered):
            raise OverflowError("date value out of range")
        return original(self, numbered)

    monkeypatch.setattr(ComplaintLog, "record", record)
    letters = Letters()
    intake = Intake(Feed(on_topic([line.encode() for line in lines[:40]], TOPICS.actions)), letters, log, TOPICS)
    intake.poll_once()
    assert intake.accepted == 39 and intake.dead == 1
    assert letters.sent[0][1]["offset"] == bad and "OverflowError" in letters.sent[0][1]["reason"]


def test_an_action_id_taken_by_another_complaint_is_dead_lettered_naming_its_owner(
        settings: Settings, bank: tuple[dict[str, Any], list[str]]) -> None:
    """action_id is unique across the store: the same id on another complaint is refused (never a duplicate,
    never recorded), and the letter names the complaint that holds it; the batch's other actions are kept."""
    org, lines = bank
    log = new_log(settings, org)
    actions = [json.loads(line) for line in lines[:30]]
    first = actions[0]
    reused = {"action_id": first["action_id"], "complaint_id": "C-REUSED-1", "action": "received",
              "at": first["at"], "outlet": first["outlet"], "channel": first.get("channel", "app")}
    values = [line.encode() for line in lines[:30]] + [json.dumps(reused).encode(), lines[0].encode()]
    letters = Letters()
    intake = Intake(Feed(on_topic(values, TOPICS.actions)), letters, log, TOPICS)
    while intake.poll_once():
        pass
    assert intake.accepted == 30 and intake.duplicates == 1 and intake.dead == 1
    letter = letters.sent[0][1]
    assert letter["offset"] == 30 and first["complaint_id"] in letter["reason"] and "C-REUSED-1" in letter["reason"]
    assert log.complaint(first["complaint_id"]).version == sum(a["complaint_id"] == first["complaint_id"]
                                                                for a in actions)


def test_a_database_failure_is_raised_never_dead_lettered(
        tmp_path: Path, bank: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    org, lines = bank
    log = new_log(Settings(home=tmp_path), org)

    def record(self: ComplaintLog, numbered: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(ComplaintLog, "record", record)
    letters = Letters()
    intake = Intake(Feed(on_topic([line.encode() for line in lines[:10]], TOPICS.actions)), letters, log, TOPICS)
    with pytest.raises(sqlite3.OperationalError):
        intake.poll_once()
    assert letters.sent == []  # the restart reads them again


def poisoned(events: list[bytes], unfoldable: int) -> Iterator[bytes | None]:
    """The events with poison between them: a tombstone, deep nesting, wrong shapes, and one that folds badly."""
    poison: list[bytes | None] = [
        None, b"[" * 50_000, b"\xff\xfe garbage", b"{}", json.dumps({**json.loads(events[5]), "version": "2"}).encode(),
        json.dumps({**json.loads(events[5]), "payload": []}).encode(),
        json.dumps({**json.loads(events[5]), "extra": 1}).encode(),
        json.dumps({**json.loads(events[5]), "version": 2**40}).encode()]
    for n, event in enumerate(events):
        if n % 7 == 3 and poison:
            yield poison.pop()
        yield event
        if n == unfoldable:
            yield json.dumps({**json.loads(event), "notification_id": 10**9}).encode()  # breaks its batch below


class BreaksOn(Projector):
    """A projector for which envelope `bad` cannot be folded (whatever a future fold may trip on)."""

    bad = 10**9

    def fold(self, envelopes: Any, *args: Any) -> int:
        if any(e.notification_id == self.bad for e in envelopes):
            raise KeyError("payload field 'at' missing")
        return super().fold(envelopes, *args)


def worker(settings: Settings, letters: Letters, values: list[bytes | None]) -> Worker:
    store = open_read_models(settings)
    built = Worker(Feed(on_topic(values, TOPICS.events), per_poll=60), letters, store, settings.tz, topics=TOPICS)
    built.projector = BreaksOn(store, settings.tz)
    built.projector.redeliveries = True
    return built


def test_a_worker_dead_letters_what_it_cannot_read_or_fold_and_goes_on(
        settings: Settings, bank: tuple[dict[str, Any], list[str]]) -> None:
    org, lines = bank
    events = events_of(settings, org, lines[:300])
    values = list(poisoned(events, unfoldable=40))
    letters = Letters()
    running = worker(settings, letters, values)
    while running.poll_once():
        pass
    running.store.close()
    assert running.lag == {(TOPICS.events, 0): (len(values), 0)}  # what its metrics say: read to the end
    dead = letters.by_offset()
    assert len(dead) == running.dead == len(values) - len(events) == 9
    assert all(values[o] is not None and values[o] in events or o in dead for o in range(len(values)))
    assert all(letter["topic"] == TOPICS.events and letter["reason"] for letter in dead.values())
    assert any("cannot be folded" in letter["reason"] and "KeyError" in letter["reason"] for letter in dead.values())
    assert read_models(settings) == reference(settings, events)
    store = open_read_models(settings)
    try:
        assert store.position("readmodels", TOPICS.events, 0) == len(values) - 1  # the partition moved past all
    finally:
        store.close()


def test_a_crash_after_a_dead_letter_neither_loses_nor_double_counts(
        settings: Settings, bank: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    org, lines = bank
    events = events_of(settings, org, lines[:200])
    values = list(poisoned(events, unfoldable=20))
    letters = Letters()
    first = worker(settings, letters, values)
    original = Projector.fold
    calls = {"n": 0}

    def crash_on_third_batch(self: Projector, *args: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("kill -9 after the letters, before the batch's transaction")
        return original(self, *args)

    monkeypatch.setattr(Projector, "fold", crash_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        while first.poll_once():
            pass
    first.store.close()
    monkeypatch.setattr(Projector, "fold", original)
    restarted = worker(settings, letters, values)  # the same messages again, from the stored offset
    stored = restarted.store.position("readmodels", TOPICS.events, 0)
    restarted.consumer.at = 0 if stored is None else stored + 1  # type: ignore[attr-defined]
    while restarted.poll_once():
        pass
    restarted.store.close()
    assert read_models(settings) == reference(settings, events)
    assert set(letters.by_offset()) == {o for o, v in enumerate(values) if v not in events}


def test_embedded_catch_up_is_untouched_by_poison_handling(settings: Settings,
                                                           bank: tuple[dict[str, Any], list[str]]) -> None:
    """The embedded runner folds the same events to the same read models the worker does."""
    org, lines = bank
    events = events_of(settings, org, lines[:150])
    assert catch_up(settings) == len(events)
    assert read_models(settings) == reference(settings, events)


class Skips(Feed):
    """A client that leaves out some offsets the first time it hands out their batch (or every time: a hole
    compaction made), as a fetch racing a seek might."""

    def __init__(self, messages: list[Any], skipped: set[int], per_poll: int, always: bool = False) -> None:
        super().__init__(messages, per_poll)
        self.skipped, self.always = skipped, always

    def poll(self, timeout_ms: int = 0) -> dict[Any, list[Any]]:
        found = super().poll(timeout_ms)
        for tp, batch in found.items():
            found[tp] = [m for m in batch if m.offset not in self.skipped]
            if not self.always:
                self.skipped -= {m.offset for m in batch}
        return found


@pytest.mark.parametrize("skipped", [{60}, {75}, {61, 62, 130}])
def test_a_worker_reads_again_from_a_hole_the_client_left_and_folds_every_event(
        settings: Settings, bank: tuple[dict[str, Any], list[str]], skipped: set[int]) -> None:
    org, lines = bank
    events = events_of(settings, org, lines[:300])
    store = open_read_models(settings)
    running = Worker(Skips(on_topic(events, TOPICS.events), set(skipped), per_poll=60), Letters(), store,
                     settings.tz, topics=TOPICS)
    running.projector.redeliveries = True
    while running.poll_once():
        pass
    store.close()
    assert running.folded == len(events) and running.dead == 0
    assert read_models(settings) == reference(settings, events)


def test_a_hole_that_is_there_every_time_is_taken_as_real(
        settings: Settings, bank: tuple[dict[str, Any], list[str]]) -> None:
    org, lines = bank
    events = events_of(settings, org, lines[:300])
    store = open_read_models(settings)
    running = Worker(Skips(on_topic(events, TOPICS.events), {90}, per_poll=60, always=True), Letters(), store,
                     settings.tz, topics=TOPICS)
    running.projector.redeliveries = True
    polls = 0
    while running.poll_once() and polls < 50:
        polls += 1
    assert polls < 50  # it went on past the hole, read once more
    assert store.position(running.projection, TOPICS.events, 0) == len(events) - 1  # to the end of the partition
    store.close()
    assert running.holes == {}
