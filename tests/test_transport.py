"""One read model is folded by one transport only (issue 14, part 2): a Kafka home queried without
PLAINTRAIL_KAFKA_BOOTSTRAP is shown as the workers left it, never folded again from the log; a worker refuses
an embedded home; a switch is an explicit command that leaves every event counted once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kafka_stand_ins import TOPICS, Feed, Letters, events_of, on_topic, read_models, reference, synthetic_bank

from consumers.kafka_io import Topics
from consumers.workers import Worker
from domain.actions import parse_action
from plaintrail.cli import main
from plaintrail.commands.rebuild import rebuild
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import transport
from projections.envelope import Envelope
from projections.runner import Projector


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    return synthetic_bank(tmp_path_factory.mktemp("bank"))


def work(settings: Settings, events: list[bytes]) -> int:
    """A Kafka worker of this home folds `events` (its topic) from its stored offset."""
    store = open_read_models(settings)
    try:
        stored = store.position("readmodels", TOPICS.events, 0)
        feed = Feed(on_topic(list(events), TOPICS.events))
        feed.at = 0 if stored is None else stored + 1
        worker = Worker(feed, Letters(), store, settings.tz, topics=TOPICS)
        transport.claim(store, TOPICS.events)  # what Worker.run does before it subscribes
        while worker.poll_once():
            pass
        return worker.folded
    finally:
        store.close()


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    if settings.database_url:
        monkeypatch.setenv("PLAINTRAIL_DATABASE_URL", settings.database_url)
    monkeypatch.delenv("PLAINTRAIL_KAFKA_BOOTSTRAP", raising=False)
    return main(["--home", str(settings.home), *args])


def test_a_kafka_home_queried_without_the_bootstrap_is_shown_as_the_workers_left_it(
        settings: Settings, bank: tuple[dict[str, Any], list[str]], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    org, lines = bank
    monkeypatch.setattr("plaintrail.wiring._told", set())  # each note is said once per process
    events = events_of(settings, org, lines[:400])
    assert work(settings, events) > 0
    expected = reference(settings, events)
    assert read_models(settings) == expected
    assert catch_up(settings) == 0 and catch_up(settings) == 0  # not the whole log again beside the workers
    assert read_models(settings) == expected
    assert "may lag" in capsys.readouterr().err
    assert cli(settings, monkeypatch, "leaderboard", "--period", "2024", "--level", "outlet", "--json") == 0
    assert json.loads(capsys.readouterr().out)  # answered from the workers' read models
    assert read_models(settings) == expected  # a query command leaves them as they are too
    rebuild(settings)  # a rebuild keeps the home's transport: the log is not followed after it
    assert cli(settings, monkeypatch, "transport", "--json") == 0
    assert json.loads(capsys.readouterr().out)["transport"] == "kafka"
    assert read_models(settings) == expected
    assert work(settings, events) == 0  # the workers read their topic again: each event once by its version
    assert read_models(settings) == expected


def test_a_worker_refuses_a_home_the_log_keeps(settings: Settings, bank: tuple[dict[str, Any], list[str]]) -> None:
    org, lines = bank
    events = events_of(settings, org, lines[:200])
    assert catch_up(settings) == len(events)
    before = read_models(settings)
    store = open_read_models(settings)
    try:
        worker = Worker(Feed(on_topic(list(events), TOPICS.events)), Letters(), store, settings.tz, topics=TOPICS)
        with pytest.raises(transport.WrongTransport, match="plaintrail transport kafka"):
            worker.run(once=True)
    finally:
        store.close()
    assert read_models(settings) == before


def test_switching_transport_is_explicit_and_counts_each_event_once(
        settings: Settings, bank: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    org, lines = bank
    events = events_of(settings, org, lines[:300])
    work(settings, events)
    assert cli(settings, monkeypatch, "transport", "embedded", "--json") == 0
    switched = json.loads(capsys.readouterr().out)
    assert switched["transport"] == "embedded" and switched["rebuilt"] == len(events)
    log = open_log(settings)
    more = log.recorder.select_notifications(1, 100_000)
    log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines[300:500]))
    everything = [Envelope.from_notification(n).to_json() for n in log.recorder.select_notifications(1, 100_000)]
    assert len(everything) > len(more)
    assert catch_up(settings, log=log) == len(everything) - len(events)
    assert read_models(settings) == reference(settings, everything)
    store = open_read_models(settings)
    try:  # the old transport's worker, still running, stops instead of folding beside the log
        with pytest.raises(transport.WrongTransport):
            Worker(Feed(on_topic(everything, TOPICS.events)), Letters(), store, settings.tz, topics=TOPICS
                   ).poll_once()
    finally:
        store.close()
    assert cli(settings, monkeypatch, "transport", "kafka", "--json") == 0
    assert json.loads(capsys.readouterr().out)["source"] == Topics().events
    assert catch_up(settings, log=log) == 0
    work(settings, everything)  # from the topic's start: nothing counted twice
    assert read_models(settings) == reference(settings, everything)


def test_a_home_folded_before_it_recorded_its_transport(tmp_path: Path,
                                                         bank: tuple[dict[str, Any], list[str]]) -> None:
    """Homes older than the record: their tracking rows say which transport kept them; both is refused."""
    settings = Settings(home=tmp_path)
    org, lines = bank
    events = events_of(settings, org, lines[:100])
    store = open_read_models(settings)
    try:
        Projector(store, settings.tz).fold([Envelope.from_json(e) for e in events], TOPICS.events, 0, 99, None)
        assert transport.recorded(store) == TOPICS.events
        Projector(store, settings.tz).fold([], "log", 0, 5, None)
        with pytest.raises(transport.WrongTransport, match="several"):
            catch_up(settings, store=store)
    finally:
        store.close()
