"""Prometheus metrics of a running process: what it did (its own counters, read at each scrape) and where
the home stands (sampled from the stores at each scrape, as `plaintrail status` reads them).

Names start with `plaintrail_`; infra/grafana-dashboard.json draws them. Each process gets a registry of
its own: the process's counters, the home's sample, and the process/platform collectors of the library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from plaintrail.settings import Settings

Sample = Callable[[], Iterable[Metric]]


class Sampled(Collector):
    """A collector made of a function: called at every scrape, in the scraping thread."""

    def __init__(self, sample: Sample) -> None:
        self.sample = sample

    def collect(self) -> Iterable[Metric]:
        return list(self.sample())


def registry(settings: Settings, role: str, own: Sample | None = None) -> CollectorRegistry:
    """Everything a `role` process (relay, worker, intake, dashboard) shows on its metrics port."""
    found = CollectorRegistry()
    ProcessCollector(registry=found)
    PlatformCollector(registry=found)
    found.register(Sampled(lambda: home_sample(settings, role)))
    if own is not None:
        found.register(Sampled(own))
    return found


def gauge(name: str, text: str, value: float | None = None, labels: dict[str, str] | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, text, labels=list(labels) if labels else None)
    if value is not None:
        family.add_metric(list(labels.values()) if labels else [], value)
    return family


def home_sample(settings: Settings, role: str) -> Iterable[Metric]:
    """The home as `status` reads it (never the broker: that is the workers' own lag, below)."""
    from monitoring.status import status

    up = gauge("plaintrail_store_up", "1 when the stores answered this scrape, 0 when they did not")
    try:
        found = status(settings, kafka=False)
    except Exception:  # a database away: say so, never fail the scrape (the process counters still count)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    info = InfoMetricFamily("plaintrail_read_model", "The live read-model version and the home's transport")
    info.add_metric([], {"version": str(found["read_model_version"]), "transport": str(found["transport"]),
                         "role": role})
    position = gauge("plaintrail_projection_position", "The log's notification id each projection has folded "
                     "up to", labels={"projection": ""})
    lag = gauge("plaintrail_projection_lag", "Events recorded that each projection has not folded yet",
                labels={"projection": ""})
    for p in found["projections"]:
        if p["position"] is not None:
            position.add_metric([p["name"]], p["position"])
            lag.add_metric([p["name"]], p["lag"])
    out: list[Metric] = [up, info, position, lag,
                         gauge("plaintrail_log_head", "The last notification id recorded", found["log_head"]),
                         gauge("plaintrail_fold_problems", "Stored events no fold could place (verify lists them)",
                               found["fold_problems"])]
    mark = found["checkpoint"]
    if mark is not None:
        out += [gauge("plaintrail_checkpoint_age_seconds", "Seconds since the last signed checkpoint",
                      mark["age_seconds"]),
                gauge("plaintrail_checkpoint_size", "Events the last signed checkpoint covers", mark["size"]),
                gauge("plaintrail_checkpoint_events_not_covered", "Events recorded after the last checkpoint",
                      mark["events_not_covered"])]
    rebuild = found["rebuild"] or {"events_folded": 0, "events_total": 0}
    out += [gauge("plaintrail_rebuild_in_progress", "1 while a rebuild folds a new read-model version",
                  1 if found["rebuild"] else 0),
            gauge("plaintrail_rebuild_events_folded", "Events the rebuild under way has folded",
                  rebuild["events_folded"]),
            gauge("plaintrail_rebuild_events_total", "Events the rebuild under way folds in all",
                  rebuild["events_total"])]
    if settings.kafka_bootstrap or found["transport"] not in (None, "log"):
        from monitoring.status import relayed

        relay_at = relayed(settings)
        out += [gauge("plaintrail_relay_position", "The last notification id the broker acknowledged", relay_at),
                gauge("plaintrail_relay_lag", "Events recorded that the relay has not yet published",
                      max(0, found["log_head"] - relay_at))]
    return out


def consumer_sample(group: str, lag: dict[tuple[str, int], tuple[int, int]]) -> list[Metric]:
    """Per partition this consumer holds: the next offset it reads and the messages after it."""
    offset = gauge("plaintrail_consumer_offset", "The next offset this consumer reads, per partition",
                   labels={"group": "", "topic": "", "partition": ""})
    behind = gauge("plaintrail_consumer_lag", "Messages in the partition after this consumer's offset",
                   labels={"group": "", "topic": "", "partition": ""})
    for (topic, partition), (position, messages) in sorted(lag.items()):
        offset.add_metric([group, topic, str(partition)], position)
        behind.add_metric([group, topic, str(partition)], messages)
    return [offset, behind]


def counter(name: str, text: str, value: float, labels: dict[str, str] | None = None) -> CounterMetricFamily:
    family = CounterMetricFamily(name, text, labels=list(labels) if labels else None)
    family.add_metric(list(labels.values()) if labels else [], value)
    return family


def worker_sample(worker: Any, group: str) -> Sample:
    def sample() -> list[Metric]:
        return [counter("plaintrail_events_folded", "Events this worker folded into the read models",
                        worker.folded, {"projection": worker.projection}),
                counter("plaintrail_dead_lettered", "Messages this process sent to a dead-letter topic",
                        worker.dead, {"topic": worker.dlq}),
                *consumer_sample(group, worker.lag)]
    return sample


def intake_sample(intake: Any, group: str) -> Sample:
    def sample() -> list[Metric]:
        return [counter("plaintrail_events_recorded", "Actions this process recorded as events",
                        intake.accepted, {"by": "intake"}),
                counter("plaintrail_actions_duplicate", "Actions already recorded (same action_id), taken once",
                        intake.duplicates),
                counter("plaintrail_dead_lettered", "Messages this process sent to a dead-letter topic",
                        intake.dead, {"topic": intake.topics.actions_dlq}),
                *consumer_sample(group, intake.lag)]
    return sample


def relay_sample(published: dict[str, int], topic: str) -> Sample:
    def sample() -> list[Metric]:
        return [counter("plaintrail_events_published", "Events this relay published and the broker acknowledged",
                        published.get("events", 0), {"topic": topic})]
    return sample


def dashboard_sample(answers: Callable[[], bool]) -> Sample:
    def sample() -> list[Metric]:
        return [gauge("plaintrail_dashboard_up", "1 when Streamlit answers its own health check", int(answers()))]
    return sample
