"""The liabilities memo is only a cache: scores and SLA counts read through it equal the same computed
straight from every complaint's facts, however and whenever the memo was filled; a new event, other SLA
rules or a tampered memo row never leak into a result."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.synthetic import write_bank
from domain import scoring
from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from domain.policy import Policy
from domain.sla import SlaRules, evaluate
from plaintrail import sla_rules, wiring
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models
from projections import liabilities, queries, scores, sla_report
from projections.store import ReadModelStore

PERIODS = ("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2024-05")
MID_YEAR = datetime(2024, 7, 15, tzinfo=UTC)  # many complaints still open: their verdicts move with the clock
LATER = datetime(2026, 1, 1, tzinfo=UTC)
FROM_FACTS = ("fine.", "outlet.effective.", "outlet.sla_breach")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[str]]:
    folder = tmp_path_factory.mktemp("bank")
    org_path, actions_path, _ = write_bank(folder, complaints=400, seed=11, outlet_count=12)
    return yaml.safe_load(org_path.read_text(encoding="utf-8")), actions_path.read_text("utf-8").splitlines()


def record(settings: Settings, lines: list[str]) -> None:
    log = open_log(settings)
    outcome = log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines, 1))
    assert not outcome.rejected
    catch_up(settings, log=log)


def through_memo(store: ReadModelStore, period: Period, now: datetime, rules: SlaRules) -> Any:
    found, corrections = scores.entries(store, period, Policy.load(), UTC, now, rules)
    entries = sorted(json.dumps([e.subject, e.as_json()], sort_keys=True) for e in found
                     if e.rule.startswith(FROM_FACTS))
    summary, watch = sla_report.summary(store, period, "outlet", UTC, now, rules)
    return entries, sorted(json.dumps(c, sort_keys=True) for c in corrections), summary, watch


def straight(store: ReadModelStore, period: Period, now: datetime, rules: SlaRules) -> Any:
    """The same answers from the facts alone, without the memo."""
    policy, chart = Policy.load(), queries.org_chart(store)
    found = [e for f in queries.facts_validated_in(store, period)
             for e in scoring.complaint_entries(f, chart, policy, UTC)]
    counts: dict[tuple[str, str], Counter[str]] = {}
    for facts in queries.facts_received_in(store, period):
        rows = evaluate(facts, now, UTC, rules)
        breached = [r["regime"] for r in rows if r["verdict"] == "breached"]
        entry = scoring.sla_breach_entry(facts.complaint_id, facts.outlet, policy.on(facts.received_at.date()),
                                         breached, (scoring.received_id(facts),))
        found.extend([entry] if entry else [])
        if facts.is_complaint:
            for r in rows:
                counts.setdefault((facts.outlet, r["regime"]), Counter())[r["verdict"]] += 1
    start, end = period.start(UTC), period.end(UTC)
    corrections = []
    for facts in queries.facts_with_annulments(store):
        people = chart.responsible(facts.outlet, facts.received_at.date())
        named = sorted({p for r in policy.on(end.date()).roles for p in people[r]})
        corrections += [dict(c, outlet=facts.outlet, people=named) for c in scoring.correction(facts, UTC, start, end)]
    entries = sorted(json.dumps([e.subject, e.as_json()], sort_keys=True) for e in found)
    verdicts = {(r["unit"], r["regime"]): {v: r[v] for v in sla_report.VERDICTS}
                for r in sla_report.summary(store, period, "outlet", UTC, now, rules)[0]}
    assert verdicts == {k: {v: c[v] for v in sla_report.VERDICTS} for k, c in counts.items()}
    return entries, sorted(json.dumps(c, sort_keys=True) for c in corrections)


def test_memo_equals_the_facts_however_it_was_filled(tmp_path: Path, history: tuple[dict[str, Any], list[str]],
                                                     ) -> None:
    org, lines = history
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(org))
    cut = random.Random(5).randrange(len(lines) // 3, 2 * len(lines) // 3)
    record(settings, lines[:cut])
    store = open_read_models(settings)
    rules = SlaRules()
    for text in PERIODS:  # fill the memo from half a history: much of it goes stale below
        through_memo(store, Period.parse(text), MID_YEAR, rules)
    filled = store.query("SELECT COUNT(*) FROM liabilities")[0][0]
    assert filled > 100
    record(settings, lines[cut:])
    business = SlaRules(cbirc_unit="business")
    for now in (MID_YEAR, LATER):
        for period in map(Period.parse, PERIODS):
            for sla in (rules, business):
                entries, corrections, _, _ = through_memo(store, period, now, sla)
                assert (entries, corrections) == straight(store, period, now, sla)
                assert through_memo(store, period, now, sla)[:2] == (entries, corrections)  # warm
    for each in map(Period.parse, PERIODS):  # HR's people-only path gives the same people as the full one
        full, fixes = scores.entries(store, each, Policy.load(), UTC, LATER, rules)
        people, same_fixes = scores.entries(store, each, Policy.load(), UTC, LATER, rules, outlets=False)
        assert scores.person_rows(people, same_fixes, {}) == scores.person_rows(full, fixes, {})
        assert not any(e.rule.startswith("outlet.") for e in people) and len(people) < len(full)
    year = Period.parse("2024")
    found = through_memo(store, year, LATER, rules)
    assert any('"fine.' in e for e in found[0]) and any("outlet.sla_breach" in e for e in found[0]) and found[1]
    store.close()


def test_a_stale_or_foreign_memo_row_is_never_used(tmp_path: Path, history: tuple[dict[str, Any], list[str]],
                                                   ) -> None:
    org, lines = history
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(org))
    record(settings, lines)
    store = open_read_models(settings)
    period, rules = Period.parse("2024Q2"), SlaRules()
    expected = through_memo(store, period, LATER, rules)
    lie = json.dumps({"received_id": "x", "liability": None, "verdicts": {}, "annulments": []})
    with store.transaction() as cursor:  # one lie under an old version, one under other rules
        store.execute(cursor, "UPDATE liabilities SET record = ?, version = version - 1 WHERE complaint_id IN "
                      "(SELECT complaint_id FROM liabilities ORDER BY complaint_id LIMIT 50)", [lie])
        store.execute(cursor, "UPDATE liabilities SET record = ?, rules = 'other' WHERE record <> ?", [lie, lie])
    assert through_memo(store, period, LATER, rules) == expected
    assert store.query("SELECT COUNT(*) FROM liabilities WHERE record = ?", [lie])[0][0] == 0  # refilled
    with store.transaction() as cursor:
        store.execute(cursor, "DELETE FROM liabilities")
    assert through_memo(store, period, LATER, rules) == expected
    store.close()


def test_a_rebuild_fills_the_memo_of_what_scores_read_with_what_a_query_would(
        tmp_path: Path, history: tuple[dict[str, Any], list[str]]) -> None:
    org, lines = history
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(org))
    record(settings, lines)
    wiring.rebuild(settings)
    store = open_read_models(settings)
    rules = sla_rules.load()
    key = liabilities.rules_key(rules, settings.tz)
    try:
        memo = {c: (v, k, r) for c, v, k, r in
                store.query("SELECT complaint_id, version, rules, record FROM liabilities")}
        wanted = [f for f in queries.all_facts(store)
                  if f.is_complaint and f.effective is True and f.standing_validation
                  or any(h["action"] == "annulled" for h in f.history.values())]
        assert len(wanted) > 40 and set(memo) == {f.complaint_id for f in wanted}  # those, and only those
        for facts in wanted:
            assert memo[facts.complaint_id] == (facts.version, key, liabilities.record_of(facts, settings.tz,
                                                                                           rules).text())
        for period in map(Period.parse, PERIODS):  # HR's path finds every memo row it reads
            scores.entries(store, period, Policy.load(), settings.tz, LATER, rules, outlets=False)
        assert store.query("SELECT COUNT(*) FROM liabilities")[0][0] == len(memo)
        for period in map(Period.parse, PERIODS):
            assert through_memo(store, period, LATER, rules)[:2] == straight(store, period, LATER, rules)
    finally:
        store.close()


def test_a_rebuild_with_unreadable_sla_rules_still_rebuilds_and_leaves_the_memo_to_the_query(
        tmp_path: Path, history: tuple[dict[str, Any], list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    org, lines = history
    settings = Settings(home=tmp_path)
    open_log(settings).load_organisation(OrganisationSpec.parse(org))
    record(settings, lines)
    monkeypatch.setenv("PLAINTRAIL_SLA_RULES", str(tmp_path / "no-such-rules.toml"))
    sla_rules.load.cache_clear()  # a process reads its rules once: this one has read the default ones already
    try:
        assert wiring.rebuild(settings).events > len(lines)
    finally:
        sla_rules.load.cache_clear()
    store = open_read_models(settings)
    try:
        assert store.query("SELECT COUNT(*) FROM liabilities")[0][0] == 0
        assert store.query("SELECT COUNT(*) FROM complaint_facts")[0][0] > 100
    finally:
        store.close()
