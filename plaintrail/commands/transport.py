"""`plaintrail transport [embedded|kafka]`: which transport keeps this home's read models, and switching it."""

from __future__ import annotations

import argparse

from consumers.kafka_io import Topics
from plaintrail import wiring
from plaintrail.output import print_json
from plaintrail.settings import Settings
from projections import transport


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "transport", help="show or switch what keeps the read models: embedded (the log) or kafka (workers)",
        description="A home's read models are folded by one transport only: the embedded runner (every command "
        "follows the event log) or Kafka workers (`plaintrail worker` follows complaint-events); folding them by "
        "both would count every event twice. The home records its transport the first time anything folds it. "
        "Without an argument, show it. `kafka` hands the read models to the workers (they read their topic from "
        "the start, each event once by its version); `embedded` rebuilds them from the log. Stop the old "
        "transport's runners first: a worker of a home switched away stops with exit status 2.")
    parser.add_argument("to", nargs="?", choices=["embedded", "kafka"], help="switch to this transport")
    parser.add_argument("--json", action="store_true", help='print {"transport": ..., "source": ..., "rebuilt": n}')
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    store = wiring.open_read_models(settings)
    rebuilt, source = None, None
    try:
        if args.to is not None:
            wanted = transport.EMBEDDED if args.to == "embedded" else Topics.of(settings).events
            try:
                current, doubtful = transport.recorded(store), False
            except transport.WrongTransport:  # folded by both before homes recorded it: start clean
                current, doubtful = None, True
            if current != wanted:
                transport.record(store, wanted)
                # The workers' positions mean nothing to the log: fold it afresh (so too after two transports).
                if args.to == "embedded" or doubtful:
                    rebuilt = wiring.rebuild(settings, store=store).events + wiring.catch_up(settings, store=store)
        source = transport.recorded_or_none(store)
    finally:
        store.close()
    kind = None if source is None else ("embedded" if source == transport.EMBEDDED else "kafka")
    if args.json:
        print_json({"transport": kind, "source": source, "rebuilt": rebuilt})
    else:
        print("nothing has folded this home's read models yet" if source is None else transport.describe(source))
        if rebuilt is not None:
            print(f"rebuilt the read models from {rebuilt} events")
    return 0
