"""Old stored events read by new code: one upcaster, applied by the library to aggregates and by the
projections' own decoding (envelopes, the rebuild's folds), on a test-only event class.

A `Ticket.Noted` is recorded at version 1 (a text); the next release's class is version 2 (a text and a
priority, "normal" for the old ones), with `upcast_v1_v2`. Both readers must see version 2; the stored
bytes stay as they were.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.utils import _topic_cache, get_topic

from projections import upcasting
from projections.envelope import Envelope, decode


class Ticket(Aggregate):
    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []

    class Noted(Aggregate.Event):
        text: str

        def apply(self, aggregate: Any) -> None:
            aggregate.notes.append((self.text, getattr(self, "priority", "v1")))

    def note(self, text: str) -> None:
        self.trigger_event(self.Noted, text=text)


class NotedV2(Aggregate.Event):
    """The next release's `Ticket.Noted`: a priority was added; old notes were all of normal priority."""

    class_version = 2
    text: str
    priority: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["priority"] = "normal"

    def apply(self, aggregate: Any) -> None:
        aggregate.notes.append((self.text, self.priority))


NOTED = get_topic(Ticket.Noted)


@pytest.fixture
def recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Application[UUID], UUID, Path]:
    """A ticket with one note, stored by "the old release" in an SQLite file."""
    monkeypatch.setattr(upcasting, "OWN_MODULES", (*upcasting.OWN_MODULES, NOTED))
    monkeypatch.setattr(upcasting, "_known", {})
    path = tmp_path / "events.sqlite"
    app: Application[UUID] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                              "SQLITE_DBNAME": str(path)})
    ticket = Ticket()
    ticket.note("the ATM kept the card")
    app.save(ticket)
    return app, ticket.id, path


def stored_rows(path: Path) -> list[tuple[int, str, int, str, bytes]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                          "ORDER BY rowid").fetchall()


def upgrade(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's code: the topic of the stored notes now names the version-2 class."""
    monkeypatch.setitem(_topic_cache, NOTED, NotedV2)
    monkeypatch.setattr(upcasting, "_known", {})  # a new process would look its classes up afresh


def test_the_library_upcasts_an_old_event_when_it_rebuilds_the_aggregate(
        recorded: tuple[Application[UUID], UUID, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    app, ticket_id, _ = recorded
    assert app.repository.get(ticket_id).notes == [("the ATM kept the card", "v1")]
    upgrade(monkeypatch)
    assert app.repository.get(ticket_id).notes == [("the ATM kept the card", "normal")]


def test_the_projections_decode_upcasts_it_the_same_way_and_leaves_the_stored_bytes(
        recorded: tuple[Application[UUID], UUID, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, path = recorded
    rows = stored_rows(path)
    nid, originator, version, topic, state = next(r for r in rows if r[3] == NOTED)
    assert b"class_version" not in state and decode(state, topic)[1]["text"] == "the ATM kept the card"
    before = Envelope.from_stored(nid, originator, version, topic, state).payload
    assert "priority" not in before
    upgrade(monkeypatch)
    after = Envelope.from_stored(nid, originator, version, topic, state).payload
    assert after == {**before, "priority": "normal"}
    assert stored_rows(path) == rows  # nothing rewritten: the Merkle tree's leaves still hold


def test_an_event_stored_at_the_current_version_is_not_upcast_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upcasting, "OWN_MODULES", (*upcasting.OWN_MODULES, NOTED))
    upgrade(monkeypatch)
    state: dict[str, Any] = {"text": "x", "priority": "urgent", "class_version": 2}
    assert upcasting.upcast(NOTED, state) == {"text": "x", "priority": "urgent"}


def test_an_event_from_a_newer_release_is_refused_not_folded_as_if_it_were_todays(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upcasting, "OWN_MODULES", (*upcasting.OWN_MODULES, NOTED))
    monkeypatch.setattr(upcasting, "_known", {})
    with pytest.raises(upcasting.StoredByNewerRelease, match="version 3"):
        upcasting.upcast(NOTED, {"text": "x", "class_version": 3})


def test_a_topic_outside_our_modules_is_never_imported_by_a_fold() -> None:
    assert upcasting.event_class("os:system") is None
    assert upcasting.current_version("os:system") == 1
    assert upcasting.event_class("domain.complaint:Complaint.Received") is not None
