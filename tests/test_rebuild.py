"""A rebuild from the events gives byte-identical answers to the incremental path, and a crash mid-fold
loses nothing and counts nothing twice."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.synthetic import write_bank
from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.commands.rebuild import rebuild
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import queries
from projections.leaderboard import LEVELS, board
from projections.runner import PositionMoved, Projector
from projections.store import ReadModelStore

PERIODS = ("2024-01", "2024-02", "2024-06", "2024Q2", "2024Q4", "2024", "2025-01")


def answers(settings: Settings) -> bytes:
    """Everything the read models answer, as canonical JSON bytes."""
    store = open_read_models(settings)
    try:
        out: dict[str, Any] = {}
        for period in map(Period.parse, PERIODS):
            for level in LEVELS:
                out[f"{level}/{period}"] = board(*queries.unit_lines(store, period, level, period.previous), size=3)
            out[f"validated/{period}"] = [f.to_json() for f in queries.facts_validated_in(store, period)]
        out["facts"] = store.query("SELECT * FROM complaint_facts ORDER BY complaint_id")
        out["indicators"] = store.query("SELECT * FROM indicators WHERE work_orders + complaints + "
                                        "regulator_transferred + effective > 0 ORDER BY unit, period")
        return json.dumps(out, sort_keys=True, ensure_ascii=False).encode()
    finally:
        store.close()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    folder = tmp_path_factory.mktemp("bank")
    org_path, actions_path, _ = write_bank(folder, complaints=300, seed=7, outlet_count=12)
    org = yaml.safe_load(org_path.read_text(encoding="utf-8"))
    lines = actions_path.read_text("utf-8").splitlines()
    return assessed(org, lines)


def assessed(org: dict[str, Any], lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The history with the assessment's actions too: departments' shares, appeals and their decisions, rewards
    (and an annulled share), spread through the log so both folds meet them in every order."""
    top = next(u["id"] for u in org["units"] if u["kind"] == "hq")
    org["units"] += [{"id": "D-A", "kind": "department", "parent": top}, {"id": "D-B", "kind": "department",
                                                                           "parent": top}]
    actions = [json.loads(line) for line in lines]
    withdrawn = {a["complaint_id"] for a in actions if a["action"] == "withdrawn"}
    extra: list[tuple[int, dict[str, Any]]] = []
    for index, a in enumerate(actions):
        if a["action"] != "validated" or a["complaint_id"] in withdrawn:
            continue
        cid, at, n = a["complaint_id"], a["at"], len(extra)
        base = {"complaint_id": cid, "at": at}
        if a["effective"]:
            extra.append((index, dict(base, action_id=f"{cid}-R{n}", action="responsibility_assigned",
                                      shares={"D-A": "0.7", "D-B": "0.3"})))
            if n % 3 == 0:
                extra.append((index, dict(base, action_id=f"{cid}-X{n}", action="annulled",
                                          target_action_id=f"{cid}-R{n}", reason="wrong split")))
            extra.append((index, dict(base, action_id=f"{cid}-A{n}", action="appealed", subject="someone",
                                      rule="fine.hq", reason="contested")))
            extra.append((index, dict(base, action_id=f"{cid}-D{n}", action="appeal_decided", actor="boss",
                                      appeal_action_id=f"{cid}-A{n}", decision="overturned", reason="r")))
        elif not a["bank_caused"]:
            extra.append((index, dict(base, action_id=f"{cid}-W{n}", action="rewarded", recipient="someone",
                                      reason="helped")))
    for index, action in reversed(extra):  # each right after its validation
        actions.insert(index + 1, action)
    return org, [json.dumps(a, ensure_ascii=False) for a in actions]


def record(settings: Settings, org: dict[str, Any], lines: list[str], chunks: int, seed: int) -> None:
    """Record the history in random-sized chunks, catching the read models up after each."""
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(org))
    rng = random.Random(seed)
    cuts = sorted(rng.sample(range(1, len(lines)), chunks - 1))
    for start, end in zip([0, *cuts], [*cuts, len(lines)], strict=True):
        outcome = log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines[start:end], 1))
        assert not outcome.rejected
        catch_up(settings, log=log)


@pytest.mark.parametrize("seed", [1, 2])
def test_rebuild_equals_incremental(settings: Settings, history: tuple[dict[str, Any], list[str]], seed: int) -> None:
    record(settings, *history, chunks=25, seed=seed)
    incremental = answers(settings)
    assert b'"annulled": ["' in incremental  # the history holds corrections, not only the happy path
    assert b'appeal_decided' in incremental and b'responsibility_assigned' in incremental and b'rewarded' in incremental
    events = rebuild(settings)
    assert events == open_log(settings).recorder.max_notification_id()
    assert answers(settings) == incremental


def test_crash_mid_fold_then_restart_counts_each_event_once(
        tmp_path: Path, history: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(home=tmp_path)
    org, lines = history
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(org))
    log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines, 1))
    calls = {"n": 0}
    original = ReadModelStore.executemany

    def crash_on_third(self: ReadModelStore, cursor: Any, statement: str, rows: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            original(self, cursor, statement, rows)  # half the batch written, then the process dies
            raise KeyboardInterrupt("killed mid-batch")
        original(self, cursor, statement, rows)

    monkeypatch.setattr(ReadModelStore, "executemany", crash_on_third)
    monkeypatch.setattr("consumers.local.BATCH", 500)
    with pytest.raises(KeyboardInterrupt):
        catch_up(settings, log=log)
    monkeypatch.setattr(ReadModelStore, "executemany", original)
    catch_up(settings, log=log)
    after_crash = answers(settings)
    rebuild(settings)
    assert answers(settings) == after_crash


def test_a_second_runner_never_folds_the_same_batch(tmp_path: Path, history: tuple[dict[str, Any], list[str]]) -> None:
    settings = Settings(home=tmp_path)
    org, lines = history
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(org))
    log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines[:200], 1))
    from projections.envelope import Envelope

    notifications = log.recorder.select_notifications(1, 50)
    envelopes = [Envelope.from_notification(n, log.mapper.transcoder) for n in notifications]
    first, second = open_read_models(settings), open_read_models(settings)
    Projector(first, settings.tz).fold(envelopes, "log", 0, notifications[-1].id, None)
    with pytest.raises(PositionMoved):
        Projector(second, settings.tz).fold(envelopes, "log", 0, notifications[-1].id, None)
    catch_up(settings, log=log)
    folded = answers(settings)
    rebuild(settings)
    assert answers(settings) == folded


@pytest.mark.parametrize("workers", [2, 3])
def test_rebuild_in_processes_equals_incremental(settings: Settings, history: tuple[dict[str, Any], list[str]],
                                                 workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ranges of complaints folded in separate (spawned) processes add up to the one-process answers."""
    record(settings, *history, chunks=5, seed=workers)
    incremental = answers(settings)
    monkeypatch.setattr("consumers.replay.ALONE_BELOW", 0)
    events = rebuild(settings, workers=workers)
    assert events == open_log(settings).recorder.max_notification_id()
    assert answers(settings) == incremental


def test_ranges_cover_every_originator_once() -> None:
    from consumers.replay import bounds

    for parts in (1, 2, 3, 7):
        cuts = bounds(parts)
        assert cuts[0][0] == "0" * 32 and cuts[-1][1] is None and len(cuts) == parts
        assert all(high == low for (_, high), (low, _) in zip(cuts, cuts[1:], strict=False))


def test_a_rebuild_that_died_leaves_the_live_version_serving_and_the_next_one_clears_it_away(
        settings: Settings, history: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    record(settings, *history, chunks=3, seed=5)
    before = answers(settings)
    original = ReadModelStore.executemany
    calls = {"n": 0}

    def die_on_second_write(self: ReadModelStore, cursor: Any, statement: str, rows: Any) -> None:
        calls["n"] += 1
        original(self, cursor, statement, rows)
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed mid-rebuild")

    monkeypatch.setattr("consumers.replay.WRITE_EVERY", 40)
    monkeypatch.setattr(ReadModelStore, "executemany", die_on_second_write)
    with pytest.raises(KeyboardInterrupt):
        rebuild(settings)
    monkeypatch.setattr(ReadModelStore, "executemany", original)
    store = open_read_models(settings)
    try:  # the live version was never touched: it answers as before, with nothing to fold
        assert store.meta("rebuild") is None and store.position("readmodels", "log") is not None
        was_live = store.version
    finally:
        store.close()
    log = open_log(settings)
    assert catch_up(settings, log=log) == 0 and answers(settings) == before
    if not settings.database_url:
        assert len(list(settings.home.glob("readmodels*.sqlite"))) == 2  # the killed build's version, left aside
    assert rebuild(settings) == log.recorder.max_notification_id()  # all of it, once, into a new version
    assert answers(settings) == before
    store = open_read_models(settings)
    try:
        assert store.version != was_live
        if not settings.database_url:
            assert [p.name for p in settings.home.glob("readmodels*.sqlite")] == [store.version]  # both old gone
        else:
            from projections import versions
            assert versions.schema_versions(store.connection) == [store.version]
    finally:
        store.close()


def test_a_second_rebuild_waits_for_the_first(tmp_path: Path, history: tuple[dict[str, Any], list[str]]) -> None:
    from plaintrail.wiring import RebuildUnderWay

    settings = Settings(home=tmp_path)
    record(settings, *history, chunks=2, seed=3)
    store = open_read_models(settings)
    try:
        with store.rebuild_lock() as mine:
            assert mine
            with pytest.raises(RebuildUnderWay):
                rebuild(settings)
            store.set_meta("rebuild", "under way")
            assert catch_up(settings) == 0  # the holder of the lock brings the read models up to date
    finally:
        store.close()
    assert catch_up(settings) == open_log(settings).recorder.max_notification_id()


def test_rebuild_reports_its_processes_and_their_memory(
        tmp_path: Path, history: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    from plaintrail.commands.rebuild import rebuild_measured

    settings = Settings(home=tmp_path)
    record(settings, *history, chunks=2, seed=9)
    alone = rebuild_measured(settings, workers=4)  # a small log folds in one process whatever is asked
    assert alone.workers == 1 and 20 < alone.peak_mb < 2_000
    monkeypatch.setattr("consumers.replay.ALONE_BELOW", 0)
    split = rebuild_measured(settings, workers=2)
    assert split.workers == 2 and 20 < split.peak_mb < 2_000
    assert split.events == alone.events == open_log(settings).recorder.max_notification_id()


def test_nothing_folds_beside_a_rebuild_and_a_long_log_from_nothing_is_folded_the_rebuilds_way(
        tmp_path: Path, history: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """An incremental runner that started before the rebuild's marker would add its batch to the rebuild's sums:
    its transaction sees the marker and folds nothing. A store with nothing folded and a long log goes the
    rebuild's way (one complaint at a time) and answers the same."""
    from projections.envelope import Envelope
    from projections.runner import RebuildUnderWay

    settings = Settings(home=tmp_path)
    record(settings, *history, chunks=2, seed=4)
    expected = answers(settings)
    log = open_log(settings)
    store = open_read_models(settings)
    try:
        store.drop()
        store.set_meta("rebuild", "under way")
        notifications = log.recorder.select_notifications(1, 50)
        envelopes = [Envelope.from_notification(n) for n in notifications]
        with pytest.raises(RebuildUnderWay):
            Projector(store, settings.tz).fold(envelopes, "log", 0, notifications[-1].id, None)
        assert store.query("SELECT COUNT(*) FROM complaint_facts")[0][0] == 0
        store.drop()  # nothing folded, no marker
    finally:
        store.close()
    calls: list[int] = []
    monkeypatch.setattr("consumers.replay.ALONE_BELOW", 10)
    original = ReadModelStore.drop

    def counted_drop(self: ReadModelStore) -> None:
        calls.append(1)
        original(self)

    monkeypatch.setattr(ReadModelStore, "drop", counted_drop)
    assert catch_up(settings, log=log) == log.recorder.max_notification_id()
    assert calls and answers(settings) == expected
