"""The national bank in Kafka mode, end to end: imported, relayed, folded by 3 workers on 6 partitions.

    python -m bench.kafka_national_bench --workdir /data/bench/national   # 1M complaints, ~8.3M events
    python -m bench.kafka_national_bench --complaints 20000 --outlets 2000  # a smaller bank, minutes

(1) the store, built once through the real import (kept under --workdir: a later run reuses it and prints the
    import's time as it was measured then); (2) `relay --once` onto a 6-partition topic of a local broker;
(3) three `plaintrail worker` processes of one group folding the topic into a new home's read models, timed
until every partition's offset is stored; (4) `plaintrail rebuild` of the same events in embedded mode, and
the two read models compared table by table (digests of every row in key order). Prints each stage's rate and
the total time; the broker is started here by infra/kafka.sh and stopped by its PID.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.broker import create_topic, kafka_broker
from bench.kafka_scale_bench import copy_events, fold_with
from bench.rebuild_bench import build
from consumers import kafka_io
from consumers.relay import RelayPosition, relay
from plaintrail.settings import Settings
from plaintrail.wiring import open_log
from projections.store import ReadModelStore
from projections.versions import live_file

TABLES = {"complaint_facts": "complaint_id", "indicators": "unit, period", "org_units": "unit",
          "org_roles": "key", "org_people": "person"}


def digests(path: Path) -> dict[str, tuple[int, str]]:
    """(rows, sha256 of every row in key order) per table: 1M complaints' facts compared without holding them."""
    store = ReadModelStore.sqlite(path)
    found = {}
    try:
        for table, key in TABLES.items():
            digest, count = hashlib.sha256(), 0
            for row in store.connection.execute(f"SELECT * FROM {table} ORDER BY {key}"):
                digest.update(repr(row).encode())
                count += 1
            found[table] = (count, digest.hexdigest())
    finally:
        store.close()
    return found


def rate(events: int, seconds: float) -> str:
    return f"{events:,} events in {seconds:7.1f} s = {events / seconds:>8,.0f} events/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_national_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--outlets", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--workdir", type=Path, required=True, help="keeps the built store between runs")
    args = parser.parse_args(argv)
    marker = args.workdir / f"import-seconds-{args.complaints}-{args.outlets}-{args.seed}"
    built_before = (args.workdir / f"built-{args.complaints}-{args.outlets}-{args.seed}").exists()
    started = time.perf_counter()
    settings = build(args.workdir, args.complaints, args.outlets, args.seed)
    if not built_before:
        marker.write_text(f"{time.perf_counter() - started:.1f}")
    log = open_log(settings)  # held: the application closes its connections when collected
    total_events = log.recorder.max_notification_id() or 0
    import_s = float(marker.read_text()) if marker.exists() else 0.0
    print(f"(1) import:  {rate(total_events, import_s)}  (one process; measured when the store was built)"
          if import_s else "(1) import:  the store was built by another command: its time was not measured here")
    with kafka_broker("plaintrail-knational-") as (work, bootstrap):
        kafka = Settings(home=settings.home, kafka_bootstrap=bootstrap, kafka_topic_prefix="national.")
        topic = "national.complaint-events"
        create_topic(work, topic, args.partitions)
        producer = kafka_io.producer(kafka, patient=True)
        began = time.perf_counter()
        sent = relay(log, producer, RelayPosition.sqlite(work / "relay.sqlite"), topic, once=True)
        relay_s = time.perf_counter() - began
        producer.close()
        print(f"(2) relay:   {rate(sent, relay_s)}  onto {args.partitions} partitions")
        fold_s = fold_with(args.workers, work / "kafka-home", kafka, sent)
        print(f"(3) {args.workers} workers: {rate(sent, fold_s)}")
        reference = work / "embedded"
        reference.mkdir()
        copy_events(settings.home / "events.sqlite", reference)
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "plaintrail.cli", "--home", str(reference), "rebuild"], check=True,
                       stdout=subprocess.DEVNULL, env={k: v for k, v in os.environ.items()
                                                       if not k.startswith(("PLAINTRAIL_KAFKA", "PLAINTRAIL_DATA"))})
        rebuild_s = time.perf_counter() - began
        print(f"(4) embedded rebuild of the same events for reference: {rate(total_events, rebuild_s)}")
        got, expected = digests(work / "kafka-home" / live_file(work / "kafka-home")), digests(
            reference / live_file(reference))
        for table in TABLES:
            same = got[table] == expected[table]
            print(f"    {table:16} {got[table][0]:>10,} rows  equal to the embedded mode's: {same}")
        print(f"total, import + relay + fold: {import_s + relay_s + fold_s:,.0f} s; "
              f"read models equal: {got == expected}")
    return 0 if got == expected else 1


if __name__ == "__main__":
    raise SystemExit(main())
