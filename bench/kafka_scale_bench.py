"""Kafka mode scaling: one worker against three of one consumer group on a 6-partition topic.

    python -m bench.kafka_scale_bench [--outlets 200 --per-outlet 50]

The relay publishes a generated bank's events once; then (1) one worker and (3) three workers (separate
processes) fold them into fresh read models, timed until every partition's offset is stored. The read
models of both runs must equal the embedded mode's. Prints the throughput of each and the ratio 3/1.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench.broker import create_topic, kafka_broker
from consumers import kafka_io
from consumers.relay import RelayPosition, relay
from domain.organisation import OrganisationSpec
from plaintrail.demo_bank import write
from plaintrail.importer import import_file
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.store import ReadModelStore
from projections.versions import live_file


def snapshot(path: Path) -> list[list[tuple[Any, ...]]]:
    store = ReadModelStore.sqlite(path)
    try:
        return [store.query("SELECT complaint_id, facts FROM complaint_facts ORDER BY complaint_id"),
                store.query("SELECT * FROM indicators ORDER BY unit, period")]
    finally:
        store.close()


def copy_events(source: Path, folder: Path) -> None:
    """A consistent copy of the event store (a plain file copy would miss what is still in its WAL)."""
    with sqlite3.connect(source) as src, sqlite3.connect(folder / "events.sqlite") as dst:
        src.backup(dst)


def fold_with(workers: int, home: Path, settings: Settings, total: int) -> float:
    """Seconds for `workers` processes of one group to fold every published event into `home`'s read models."""
    home.mkdir(parents=True)
    copy_events(settings.home / "events.sqlite", home)  # the org and names; the folds come from Kafka
    env = dict(os.environ, PLAINTRAIL_HOME=str(home), PLAINTRAIL_KAFKA_BOOTSTRAP=settings.kafka_bootstrap or "",
               PLAINTRAIL_KAFKA_TOPIC_PREFIX=settings.kafka_topic_prefix)
    started = time.perf_counter()
    running = [subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "worker"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    store = ReadModelStore.sqlite(home / live_file(home))
    try:
        while True:
            rows = store.query("SELECT SUM(position + 1) FROM tracking WHERE source LIKE ?", ("%complaint-events",))
            if rows and rows[0][0] is not None and int(rows[0][0]) >= total:
                break
            time.sleep(0.05)
        took = time.perf_counter() - started
    finally:
        store.close()
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            process.wait(timeout=60)
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_scale_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--per-outlet", type=float, default=50)
    args = parser.parse_args(argv)
    with kafka_broker("plaintrail-kscale-") as (work, bootstrap):
        settings = Settings(home=work / "home", kafka_bootstrap=bootstrap, kafka_topic_prefix="scale.")
        create_topic(work, "scale.complaint-events", 6)
        org, actions, _ = write(work / "data", seed=3, outlets=args.outlets, per_outlet=args.per_outlet)
        log = open_log(settings)
        log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
        import_file(log, actions, "jsonl", settings.home)
        producer = kafka_io.producer(settings)
        total = relay(log, producer, RelayPosition.sqlite(settings.home / "relay.sqlite"), "scale.complaint-events",
                      once=True)
        producer.close()
        one = fold_with(1, work / "one", settings, total)
        three = fold_with(3, work / "three", settings, total)
        reference = work / "embedded"
        reference.mkdir()
        copy_events(settings.home / "events.sqlite", reference)
        subprocess.run([sys.executable, "-m", "plaintrail.cli", "--home", str(reference), "rebuild"], check=True,
                       stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items()
                                                       if not k.startswith("PLAINTRAIL_KAFKA")})
        expected = snapshot(reference / live_file(reference))
        print(f"1 worker : {total:,} events in {one:5.1f} s = {total / one:,.0f} events/s")
        print(f"3 workers: {total:,} events in {three:5.1f} s = {total / three:,.0f} events/s")
        print(f"ratio 3/1 = {one / three:.2f} on {os.cpu_count()} cores (the broker runs on them too)")
        for name in ("one", "three"):
            got = snapshot(work / name / live_file(work / name))
            facts, sums = (sum(1 for a, b in zip(g, e, strict=False) if a != b) + abs(len(g) - len(e))
                           for g, e in zip(got, expected, strict=True))
            print(f"read models of '{name}' equal the embedded mode's: {got == expected}"
                  + ("" if got == expected else f" ({facts} complaints, {sums} indicator rows differ)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
