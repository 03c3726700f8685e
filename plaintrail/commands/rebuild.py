"""`plaintrail rebuild`: drop every read model and fold all the events again from the first."""

from __future__ import annotations

import argparse
import sys
import time

from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "rebuild", help="drop and recompute every read model from the events",
        description="Drop the read-model tables (never the events) and fold the whole event log again. "
        "The result equals what the incremental path computed; run it after changing a projection.")
    parser.add_argument("--json", action="store_true", help='print {"events": n, "seconds": s}')
    parser.set_defaults(func=run)


def rebuild(settings: Settings, progress: bool = False) -> int:
    store = open_read_models(settings)
    try:
        store.drop()
        return catch_up(settings, progress=progress, store=store, force=True)
    finally:
        store.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    events = rebuild(settings, progress=sys.stderr.isatty())
    seconds = round(time.perf_counter() - started, 3)
    if args.json:
        print_json({"events": events, "seconds": seconds})
    else:
        print(f"rebuilt the read models from {events} events in {seconds} s")
    return 0
