"""Kafka benchmark on a real local broker (started here by infra/kafka.sh, stopped by PID).

    python -m bench.kafka_bench [--outlets 200 --per-outlet 40]

(a) baseline: a raw kafka-python producer sending the very envelopes the relay sends (pre-encoded), with the
    relay's producer settings; (b) the relay: read the log, build envelopes, send, wait for acks, store the
    position. Ratio (b)/(a), goal >= 0.8.
(c) baseline: a raw kafka-python consumer reading the topic; (d) a worker folding it into the read models
    with its offsets. Ratio (d)/(c), goal >= 0.7.
(e) end to end: one action recorded -> its outlet's row on the leaderboard changes, with a relay and a
    worker running; p50 and p99 over repeated single actions, goal p99 < 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import yaml

from bench.broker import kafka_broker
from consumers import kafka_io
from consumers.relay import RelayPosition, relay
from consumers.workers import Worker
from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from domain.periods import Period
from plaintrail.demo_bank import write
from plaintrail.importer import import_file
from plaintrail.settings import Settings
from plaintrail.wiring import open_log, open_read_models
from projections import queries
from projections.envelope import Envelope


def rate(n: int, seconds: float) -> str:
    return f"{n:>8,} messages in {seconds:6.2f} s = {n / seconds:>8,.0f}/s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.kafka_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--per-outlet", type=float, default=40)
    parser.add_argument("--latency-samples", type=int, default=40)
    args = parser.parse_args(argv)
    with kafka_broker("plaintrail-kbench-") as (work, bootstrap):
        settings = Settings(home=work / "home", kafka_bootstrap=bootstrap, kafka_topic_prefix="bench.")
        org, actions, _ = write(work / "data", seed=1, outlets=args.outlets, per_outlet=args.per_outlet)
        log = open_log(settings)
        log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
        import_file(log, actions, "jsonl", settings.home)
        notes = list(log.recorder.select_notifications(1, 10_000_000))
        payloads = [(Envelope.from_notification(n).complaint_id or str(n.originator_id)).encode() for n in notes]
        values = [Envelope.from_notification(n).to_json() for n in notes]
        topics = kafka_io.Topics.of(settings)

        producer = kafka_io.producer(settings)
        started = time.perf_counter()
        futures = [producer.send("bench.raw", key=k, value=v) for k, v in zip(payloads, values, strict=True)]
        producer.flush()
        for f in futures:
            f.get(timeout=30)
        raw_s = time.perf_counter() - started
        print(f"(a) raw producer:  {rate(len(values), raw_s)}")
        position = RelayPosition.sqlite(settings.home / "relay.sqlite")
        started = time.perf_counter()
        sent = relay(log, producer, position, topics.events, once=True)
        relay_s = time.perf_counter() - started
        print(f"(b) relay:         {rate(sent, relay_s)}   ratio (b)/(a) = {raw_s / relay_s:.2f} (goal >= 0.8)")

        consumer = kafka_io.consumer(settings, "bench-raw", consumer_timeout_ms=3000)
        consumer.subscribe([topics.events])
        started, seen, last = time.perf_counter(), 0, time.perf_counter()
        while seen < sent:
            got = consumer.poll(timeout_ms=1000)
            seen += sum(len(batch) for batch in got.values())
            if got:
                last = time.perf_counter()
            elif time.perf_counter() - last > 10:
                break
        read_s = last - started
        consumer.close()
        print(f"(c) raw consumer:  {rate(seen, read_s)}")
        store = open_read_models(settings)
        worker = Worker(kafka_io.consumer(settings, "bench-worker"), producer, store, settings.tz, topics=topics)
        started = time.perf_counter()
        worker.run(once=True)
        fold_s = time.perf_counter() - started
        print(f"(d) worker:        {rate(worker.folded, fold_s)}   ratio (d)/(c) = {read_s / fold_s:.2f} (goal >= 0.7)"
              " (the worker's time includes joining the group and its final empty polls)")

        stop = kafka_io.Stop.__new__(kafka_io.Stop)
        stop.event = threading.Event()
        threads = [threading.Thread(target=relay, args=(log, producer, position, topics.events),
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
