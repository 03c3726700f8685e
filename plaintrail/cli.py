"""The `plaintrail` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from domain.errors import DomainError
from plaintrail.settings import Settings

COMMANDS = [  # modules in plaintrail/commands, in the order --help lists them
    "org", "import_", "demo_data", "timeline", "leaderboard", "scores", "sla", "verify", "rebuild", "users",
    "dashboard", "kafka", "transport", "forget", "indicators", "hot", "report",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plaintrail",
        description="Event-sourced complaint audit and performance scoring for banks.",
        epilog="Settings: --home or PLAINTRAIL_HOME (default ./var) holds the SQLite stores; "
        "PLAINTRAIL_DATABASE_URL=postgresql://... selects PostgreSQL; PLAINTRAIL_KAFKA_BOOTSTRAP turns on "
        "Kafka mode; PLAINTRAIL_TIMEZONE is the bank's time zone (default Asia/Shanghai).",
    )
    parser.add_argument("--home", help="data directory (default: $PLAINTRAIL_HOME or ./var)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"plaintrail.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings = Settings.from_env(args.home)
    try:
        return int(args.func(args, settings) or 0)
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (DomainError, LookupError, ValueError, OSError) as error:
        print(f"plaintrail {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: every batch saved so far is kept; rerun to record the rest", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
