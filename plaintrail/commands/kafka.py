"""Kafka mode: `plaintrail kafka up|down|status`, `relay`, `worker`, `intake`."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from consumers import kafka_io
from consumers.intake import Intake
from consumers.relay import RelayPosition, relay
from consumers.workers import Worker
from monitoring.endpoint import watch
from monitoring.health import Health
from monitoring.metrics import intake_sample, relay_sample, worker_sample
from plaintrail import exits
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import open_log, open_read_models
from projections.runner import PROJECTION

SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "kafka.sh"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    kafka = sub.add_parser("kafka", help="a local Kafka broker on 127.0.0.1 under --home: up, down, status",
                           description="Install (npm) and run ZooKeeper + Kafka 0.9 on loopback under HOME/kafka. "
                           "`up` prints the bootstrap address to export as PLAINTRAIL_KAFKA_BOOTSTRAP.")
    kafka.add_argument("action", choices=["up", "down", "status"])
    kafka.add_argument("--partitions", type=int, default=6, help="partitions of complaint-events (default 6)")
    kafka.set_defaults(func=run_kafka)
    for name, text in (("relay", "publish every recorded event, in order, to complaint-events (a broker outage is "
                                 "waited out, with a line on stderr)"),
                       ("worker", "fold complaint-events into the read models (one consumer group per projection); "
                                  "a message it cannot read or fold goes to complaint-events.dlq"),
                       ("intake", "record raw actions from complaint-actions; bad ones (not JSON, invalid, refused, "
                                  "empty, over 64 KiB) go to complaint-actions.dlq with the reason")):
        parser = sub.add_parser(name, help=text, description=text + ". Needs PLAINTRAIL_KAFKA_BOOTSTRAP. "
                                "SIGTERM or Ctrl-C finishes the current batch and exits cleanly.")
        parser.add_argument("--once", action="store_true", help="process what is available, then exit")
        parser.add_argument("--json", action="store_true", help="print counts as JSON when done")
        parser.add_argument("--metrics-port", type=int, metavar="PORT",
                            help="answer /metrics (Prometheus), /healthz and /readyz on this port, on "
                            "PLAINTRAIL_METRICS_HOST (default 127.0.0.1); 0 takes any free port (said on stderr); "
                            "default $PLAINTRAIL_METRICS_PORT, else none")
        if name == "worker":
            parser.add_argument("--projection", default=PROJECTION, choices=[PROJECTION],
                                help=f"the projection, i.e. the consumer group and tracking key (default {PROJECTION})")
        parser.set_defaults(func={"relay": run_relay, "worker": run_worker, "intake": run_intake}[name])


def run_kafka(args: argparse.Namespace, settings: Settings) -> int:
    home = str(settings.home.resolve())
    if args.action == "up":
        bootstrap = subprocess.run([str(SCRIPT), "start", home], check=True, capture_output=True, text=True)
        address = bootstrap.stdout.strip().splitlines()[-1]
        topics = kafka_io.Topics.of(settings)
        for topic, partitions in ((topics.events, args.partitions), (topics.actions, args.partitions),
                                  (topics.events_dlq, 1), (topics.actions_dlq, 1)):
            subprocess.run([str(SCRIPT), "topic", home, topic, str(partitions)], check=True)
        print(f"Kafka on {address}\nexport PLAINTRAIL_KAFKA_BOOTSTRAP={address}")
        return 0
    if args.action == "down":
        subprocess.run([str(SCRIPT), "stop", home], check=True)
        print("Kafka stopped")
        return 0
    running = subprocess.run([str(SCRIPT), "status", home]).returncode == 0
    print("running" if running else "not running")
    return 0 if running else 1


def _report(args: argparse.Namespace, counts: dict[str, int]) -> int:
    if args.json:
        print_json(counts)
    else:
        print(", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def _unreachable(args: argparse.Namespace, settings: Settings, error: Exception) -> int:
    print(f"plaintrail {args.command}: {error} (PLAINTRAIL_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}; "
          "`plaintrail kafka status` tells whether the local broker runs)", file=sys.stderr)
    return exits.UNAVAILABLE


def run_relay(args: argparse.Namespace, settings: Settings) -> int:
    wait_s = settings.once_wait_s(kafka_io.ONCE_WAIT_S)
    producer = kafka_io.producer(settings, patient=True)
    position = RelayPosition.sqlite(settings.home / "relay.sqlite") if not settings.database_url else \
        RelayPosition.postgres(settings.database_url)
    topic, health, published = kafka_io.Topics.of(settings).events, Health(), {"events": 0}
    metrics = watch(settings, "relay", args.metrics_port, health, relay_sample(published, topic))
    try:
        sent = relay(open_log(settings), producer, position, topic, once=args.once, stop=kafka_io.Stop(),
                     health=health, published=published, wait_s=wait_s)
    except kafka_io.BrokerUnreachable as error:
        return _unreachable(args, settings, error)
    finally:
        producer.close(timeout=5)  # a broker still away keeps nothing: unacknowledged events go out next run
        position.close()
        if metrics is not None:
            metrics.shutdown()
    return _report(args, {"published": sent})


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    group = f"{settings.kafka_topic_prefix}plaintrail-{args.projection}"
    wait_s = settings.once_wait_s(kafka_io.ONCE_WAIT_S)
    consumer = kafka_io.consumer(settings, group)
    producer, store = kafka_io.producer(settings), open_read_models(settings)
    metrics = None
    try:
        worker = Worker(consumer, producer, store, settings.tz, args.projection, kafka_io.Topics.of(settings))
        metrics = watch(settings, "worker", args.metrics_port, worker.health, worker_sample(worker, group))
        worker.run(once=args.once, stop=kafka_io.Stop(), wait_s=wait_s)
    except kafka_io.BrokerUnreachable as error:
        return _unreachable(args, settings, error)
    finally:
        if metrics is not None:
            metrics.shutdown()
        consumer.close()
        producer.close()
        store.close()
    return _report(args, {"folded": worker.folded, "dead_lettered": worker.dead})


def run_intake(args: argparse.Namespace, settings: Settings) -> int:
    group = f"{settings.kafka_topic_prefix}plaintrail-intake"
    wait_s = settings.once_wait_s(kafka_io.ONCE_WAIT_S)
    consumer = kafka_io.consumer(settings, group)
    producer = kafka_io.producer(settings)
    intake = Intake(consumer, producer, open_log(settings), kafka_io.Topics.of(settings))
    metrics = watch(settings, "intake", args.metrics_port, intake.health, intake_sample(intake, group))
    try:
        counts = intake.run(once=args.once, stop=kafka_io.Stop(), wait_s=wait_s)
    except kafka_io.BrokerUnreachable as error:
        return _unreachable(args, settings, error)
    finally:
        if metrics is not None:
            metrics.shutdown()
        consumer.close()
        producer.close()
    return _report(args, counts)
