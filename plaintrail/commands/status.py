"""`plaintrail status [--json]`: the log head, every projection's position and lag, the live read-model version,
a rebuild under way, the last checkpoint, Kafka's groups and lag, the dead letters (monitoring/status.py)."""

from __future__ import annotations

import argparse
from typing import Any

from monitoring.status import status
from plaintrail.output import print_json
from plaintrail.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "status", help="how far the log, the projections, Kafka and the checkpoints got (read only)",
        description="What is happening now, read without changing anything (no catch-up, no rebuild): the log "
        "head, each projection's position and lag (in Kafka mode: events the relay has not published plus "
        "messages the workers have not folded), the live read-model version, a rebuild under way and its "
        "progress, the last signed checkpoint and its age, the Kafka consumer groups with their lag per "
        "partition, and the messages waiting in the dead-letter topics. A broker that does not answer is "
        "reported, not waited on. Exit status: 0; 2 when the home does not exist.")
    parser.add_argument("--json", action="store_true",
                        help='print {"log_head": n, "read_model_version": v, "projections": [{"name", "position", '
                        '"lag"}], "rebuild", "checkpoint", "fold_problems", "dead_letters", "kafka"}')
    parser.add_argument("--no-kafka", action="store_true", help="leave the broker alone (positions from the stores)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.database_url and not settings.home.is_dir():
        raise LookupError(f"no plaintrail home at {settings.home.resolve()}: pass the --home the data was loaded into")
    found = status(settings, kafka=not args.no_kafka)
    if args.json:
        print_json(found)
    else:
        print("\n".join(lines(found)))
    return 0


def lines(found: dict[str, Any]) -> list[str]:
    out = [f"log head        {found['log_head']:,} events",
           f"read models     {found['read_model_version']} ({mode(found['transport'])})"]
    for p in found["projections"]:
        lag = "unknown (the broker did not answer)" if p["lag"] is None else f"{p['lag']:,}"
        position = "unknown" if p["position"] is None else f"{p['position']:,}"
        out.append(f"  {p['name']:<13} position {position}, lag {lag}")
    rebuild = found["rebuild"]
    out.append("rebuild         " + ("none under way" if rebuild is None else
               f"under way into {rebuild['version']}: {rebuild['events_folded']:,} of {rebuild['events_total']:,} "
               f"events ({rebuild['percent']}%)"))
    mark = found["checkpoint"]
    out.append("checkpoint      " + ("none signed yet" if mark is None else
               f"size {mark['size']:,}, signed {mark['timestamp']} ({mark['age_seconds']:.0f} s ago), "
               + ("covers the whole log" if not mark["events_not_covered"] else
                  f"{mark['events_not_covered']:,} events not covered yet")))
    out.append(f"fold problems   {found['fold_problems']:,}" + (" (plaintrail verify lists them)"
                                                                 if found["fold_problems"] else ""))
    kafka = found["kafka"]
    if kafka is not None:
        relay = kafka["relay"]
        out.append(f"kafka           {kafka['bootstrap']}: " + ("reachable" if kafka["reachable"] else
                   f"NOT reachable ({kafka.get('error', '')})") + f"; relay at {relay['position']:,} "
                   f"(lag {relay['lag']:,})")
        for group in kafka["consumer_groups"]:
            out.append(f"  {group['group']} on {group['topic']}: lag {group['lag']:,} "
                       f"({len(group['partitions'])} partitions)")
        out.append("dead letters    " + (", ".join(f"{t} {n:,}" for t, n in found["dead_letters"].items())
                                         or "unknown"))
    return out


def mode(source: str | None) -> str:
    if source is None:
        return "nothing folded yet"
    return "embedded: folded by the commands themselves" if source == "log" else f"Kafka: workers fold {source}"
