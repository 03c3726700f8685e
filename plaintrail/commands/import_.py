"""`plaintrail import FILE`: record every valid action, explain every rejected line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from plaintrail.formats import formats, import_external
from plaintrail.importer import BATCH_SIZE, import_file
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.sources import READERS, guess_format
from plaintrail.wiring import catch_up, fold_problems, fold_problems_note, open_log


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "import", help="import actions from a file (JSON Lines or CSV)",
        description="Validate each line, record the valid actions as events (re-importing an action_id "
        "is a no-op), and write each rejected line with its number and reason to a rejects file. "
        "Each `at` must be RFC 3339 with an offset (2024-03-05T09:12:00+08:00) and lie in the plausible window "
        "(PLAINTRAIL_EARLIEST_AT .. now + PLAINTRAIL_LATEST_AHEAD days). "
        "Exit status: 0 all recorded, 1 some lines rejected, 2 the file could not be read, 70 internal error.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", choices=[*sorted(READERS), *sorted(formats())],
                        help="jsonl or csv (the contract's actions; default from the file name), or a real-data "
                        "export: cfpb, servicenow, bpic2013 (gzip allowed); see docs/importers.md")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"actions saved per transaction (default {BATCH_SIZE})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    fmt = args.format or guess_format(path)
    log = open_log(settings)
    if args.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    progress = sys.stderr.isatty()
    if fmt in READERS:
        report = import_file(log, path, fmt, settings.home, progress=progress, batch_size=args.batch_size)
    else:
        report = import_external(log, path, fmt, settings.home, progress=progress, batch_size=args.batch_size)
    unfolded = None
    if not settings.kafka_bootstrap:  # embedded mode: the read models follow at once
        catch_up(settings, progress=sys.stderr.isatty(), log=log)
        unfolded = fold_problems(settings)
    if unfolded:
        print(fold_problems_note(unfolded), file=sys.stderr)
    if args.json:
        print_json(report.as_json() | ({"fold_problems": unfolded} if unfolded else {}))
    else:
        total = report.accepted + report.duplicates + report.rejected
        if total == 0:
            print(f"{path}: no actions found (the file is empty)", file=sys.stderr)
        print(f"accepted {report.accepted}, duplicates {report.duplicates}, rejected {report.rejected}")
        if report.rejected:
            print(f"rejected lines, with reasons: {report.rejects_file}")
    return 1 if report.rejected else 0
