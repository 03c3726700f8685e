"""`plaintrail rebuild`: fold all the events again, from the first, into a new read-model version, then switch to it."""

from __future__ import annotations

import argparse
import sys
import time

from consumers.replay import Rebuilt
from plaintrail import wiring
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, fold_problems, fold_problems_note, open_log, open_read_models


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "rebuild", help="recompute every read model from the events (queries keep answering meanwhile)",
        description="Fold the whole event log again into a new read-model version beside the live one (never "
        "touching the events), then make it live in one step: queries and the dashboard keep answering from "
        "the live version until the switch, and a rebuild killed half-way leaves it as it was. "
        "The result equals what the incremental path computed; run it after changing a projection. "
        "An event no fold can place is left out and reported (`plaintrail verify` lists them). "
        "Exit status: 0 rebuilt, 2 another rebuild is under way, 70 internal error.")
    parser.add_argument("--json", action="store_true",
                        help='print {"events": n, "seconds": s, "workers": w, "peak_memory_mb": m, '
                        '"fold_problems": n}')
    parser.add_argument("--workers", type=int, metavar="N",
                        help="processes folding ranges of complaints side by side (default: one per core; "
                        "a log under 100,000 events folds in one)")
    parser.set_defaults(func=run)


def rebuild(settings: Settings, progress: bool = False, workers: int | None = None) -> int:
    """Rebuild, then fold whatever was recorded while it ran; returns events folded."""
    return rebuild_measured(settings, progress, workers).events


def rebuild_measured(settings: Settings, progress: bool = False, workers: int | None = None) -> Rebuilt:
    log = open_log(settings)
    store = open_read_models(settings)
    try:
        done = wiring.rebuild(settings, progress, workers, log=log, store=store)
        return Rebuilt(done.events + catch_up(settings, log=log, store=store), done.workers,
                       done.peak_mb)
    finally:
        store.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    started = time.perf_counter()
    try:
        done = rebuild_measured(settings, progress=sys.stderr.isatty(), workers=args.workers)
    except wiring.RebuildUnderWay as error:
        print(f"plaintrail rebuild: {error}", file=sys.stderr)
        return 2
    seconds = round(time.perf_counter() - started, 3)
    unfolded = fold_problems(settings)
    if unfolded:
        print(fold_problems_note(unfolded), file=sys.stderr)
    if args.json:
        print_json({"events": done.events, "seconds": seconds, "workers": done.workers,
                    "peak_memory_mb": round(done.peak_mb, 1), "fold_problems": unfolded})
    else:
        print(f"rebuilt the read models from {done.events} events in {seconds} s "
              f"({done.workers} process{'es' if done.workers > 1 else ''}, at most {done.peak_mb:.0f} MB of memory "
              f"{'each' if done.workers > 1 else 'used'})")
    return 0
