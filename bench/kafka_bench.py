"""Kafka benchmark on a real local broker (started here by infra/kafka.sh, stopped by PID).

    python -m bench.kafka_bench [--outlets 200 --per-outlet 40]

(a) baseline: a raw kafka-python producer sending the stored events' own bytes (read beforehand) with the
    relay's keys and producer settings; (b) the relay: read the log, frame each stored event, send, wait for
    acks, store the position. Ratio (b)/(a), goal >= 0.9 (issue 21).
(c) baseline: a raw kafka-python consumer of a new group reading the topic (joining the group included), under
    the collector settings the worker runs with (its rate with kafka-python's own settings printed beside it);
    (d) `worker --once` of a new group folding it into the read models with its offsets, until it stops by
    itself. Ratio (d)/(c), goal >= 0.5 (issue 21).
(e) end to end: one action recorded -> its outlet's row on the leaderboard changes, with a relay and a
    worker running; p50 and p99 over repeated single actions, goal p99 < 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import statistics
import threading
import time
from dataclasses import replace
from pathlib import Path

import yaml

from bench.broker import kafka_broker
from consumers import kafka_io
from consumers.relay import RelayPosition, key_of, relay, stored_after
from consumers.workers import Worker
from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.demo_bank import write
from plaintrail.importer import import_file
from plaintrail.settings import Settings
from plaintrail.wiring import open_log, open_read_models
from projections import queries
from projections.bulk import few_collections


def rate(n: int, seconds: float) -> str:
    return f"{n:>8,} messages in {seconds:6.2f} s = {n / seconds:>8,.0f}/s"


def raw_read(settings: Settings, group: str, topic: str, expected: int, tuned: bool) -> float:
    """Seconds a bare kafka-python consumer of a new group takes to read `expected` messages of `topic`. `tuned`:
    under the collector settings the worker runs with (the comparison is of the work, not of the collector: the
    raw consumer itself reads 1.5x faster so)."""
    consumer = kafka_io.consumer(settings, group, consumer_timeout_ms=3000)
    consumer.subscribe([topic])
    started, seen, last = time.perf_counter(), 0, time.perf_counter()
    with few_collections() if tuned else contextlib.nullcontext():
        while seen < expected:
            got = consumer.poll(timeout_ms=1000)
            seen += sum(len(batch) for batch in got.values())
            if got:
                last = time.perf_counter()
            elif time.perf_counter() - last > 10:
                break
    consumer.close()
    return last - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--per-outlet", type=float, default=40)
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="relay and worker measured this many times (median)")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the first round's worker (d) here")
    args = parser.parse_args(argv)
    with kafka_broker("plaintrail-kbench-") as (work, bootstrap):
        settings = Settings(home=work / "home", kafka_bootstrap=bootstrap, kafka_topic_prefix="bench.")
        org, actions, _ = write(work / "data", seed=1, outlets=args.outlets, per_outlet=args.per_outlet)
        log = open_log(settings)
        log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
        import_file(log, actions, "jsonl", settings.home)
        rows = stored_after(log.recorder, 0, 10_000_000)
        payloads = [key_of(row) for row in rows]
        values = [row[4] for row in rows]
        topics = kafka_io.Topics.of(settings)

        producer = kafka_io.producer(settings)
        relay_ratios, worker_ratios, plain_ratios = [], [], []
        for round_ in range(1, args.rounds + 1):  # each round on topics of its own, into read models of its own
            events = f"{topics.events}.{round_}"
            started = time.perf_counter()
            with few_collections():  # as the relay runs: the comparison is of the work, not of the collector
                futures = [producer.send(f"bench.raw.{round_}", key=k, value=v)
                           for k, v in zip(payloads, values, strict=True)]
                producer.flush()
                for f in futures:
                    f.get(timeout=30)
            raw_s = time.perf_counter() - started
            print(f"round {round_}\n(a) raw producer:  {rate(len(values), raw_s)}")
            position = RelayPosition.sqlite(work / f"relay-{round_}.sqlite")
            started = time.perf_counter()
            sent = relay(log, producer, position, events, once=True)
            relay_s = time.perf_counter() - started
            relay_ratios.append(raw_s / relay_s)
            print(f"(b) relay:         {rate(sent, relay_s)}   ratio (b)/(a) = {raw_s / relay_s:.2f} (goal >= 0.9)")

            read_s = raw_read(settings, f"bench-raw-{round_}", events, sent, tuned=True)
            plain_s = raw_read(settings, f"bench-plain-{round_}", events, sent, tuned=False)
            print(f"(c) raw consumer:  {rate(sent, read_s)}   (with the collector as kafka-python leaves it: "
                  f"{sent / plain_s:,.0f}/s)")
            store = open_read_models(Settings(home=work / f"readmodels-{round_}", timezone=settings.timezone))
            worker = Worker(kafka_io.consumer(settings, f"bench-worker-{round_}"), producer, store, settings.tz,
                            topics=replace(topics, events=events))
            profiler = cProfile.Profile() if args.profile and round_ == 1 else None
            started = time.perf_counter()
            if profiler:
                profiler.runcall(worker.run, once=True)
                profiler.dump_stats(str(args.profile))
            else:
                worker.run(once=True)
            fold_s = time.perf_counter() - started
            worker_ratios.append(read_s / fold_s)
            plain_ratios.append(plain_s / fold_s)
            print(f"(d) worker:        {rate(worker.folded, fold_s)}   ratio (d)/(c) = {read_s / fold_s:.2f} "
                  f"(goal >= 0.5; {plain_s / fold_s:.2f} the untuned consumer)")
        relay_median, worker_median = statistics.median(relay_ratios), statistics.median(worker_ratios)
        print(f"median of {args.rounds} rounds: relay {relay_median:.2f} the raw producer (goal >= 0.9: "
              f"{'met' if relay_median >= 0.9 else 'NOT met'}), worker {worker_median:.2f} the raw consumer "
              f"(goal >= 0.5: {'met' if worker_median >= 0.5 else 'NOT met'}; "
              f"{statistics.median(plain_ratios):.2f} the consumer with kafka-python's collector settings)")

        stop = kafka_io.Stop.__new__(kafka_io.Stop)
        stop.event = threading.Event()
        threads = [threading.Thread(target=relay, args=(log, producer, position, events),
                                    kwargs={"stop": stop, "idle": 0.02}, daemon=True),
                   threading.Thread(target=worker.run, kwargs={"stop": stop}, daemon=True)]
        for t in threads:
            t.start()
        time.sleep(3)
        outlet = queries.outlets(store)[0]["unit"]
        period = Period.parse("2024-06")
        latencies = []
        for n in range(args.latency_samples):
            before = queries.period_indicators(store, period).get(outlet, (0, 0, 0, 0))[0]
            action = parse_action({"action_id": f"LAT-{n}", "complaint_id": f"LAT-{n}", "action": "received",
                                   "at": "2024-06-15T10:00:00+08:00", "outlet": outlet, "channel": "app"})
            started = time.perf_counter()
            log.record([(n, action)])
            while queries.period_indicators(store, period).get(outlet, (0, 0, 0, 0))[0] == before:
                time.sleep(0.005)
                if time.perf_counter() - started > 30:
                    break
            latencies.append(time.perf_counter() - started)
        stop.event.set()
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, round(0.99 * len(latencies)))]
        print(f"(e) import -> leaderboard: p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {p99 * 1000:.0f} ms over {len(latencies)} actions (goal p99 < 1000 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
