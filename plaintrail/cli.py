"""The `plaintrail` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from domain.errors import DomainError
from plaintrail import exits
from plaintrail.settings import Settings

COMMANDS = [  # modules in plaintrail/commands, in the order --help lists them
    "org", "import_", "demo_data", "timeline", "leaderboard", "scores", "sla", "verify", "rebuild", "users",
    "dashboard", "kafka", "transport", "forget", "indicators", "hot", "report", "staff",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plaintrail", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Event-sourced complaint audit and performance scoring for banks.",
        epilog="settings:\n"
        "  --home or PLAINTRAIL_HOME (default ./var) holds the SQLite stores\n"
        "  PLAINTRAIL_DATABASE_URL=postgresql://... selects PostgreSQL\n"
        "  PLAINTRAIL_KAFKA_BOOTSTRAP turns on Kafka mode\n"
        "  PLAINTRAIL_TIMEZONE is the bank's time zone (default Asia/Shanghai)\n"
        "  an action's `at` must lie from PLAINTRAIL_EARLIEST_AT (default 2000-01-01T00:00:00Z)\n"
        "    to PLAINTRAIL_LATEST_AHEAD days after now (default 1)\n"
        "  PLAINTRAIL_CHECKPOINT_KEY_FILE is the key that signs checkpoints (default HOME/keys/checkpoint.key)\n\n"
        + exits.EPILOG,
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
        return int(args.func(args, settings) or exits.OK)
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exits.OK
    except (DomainError, LookupError, ValueError, OSError) as error:
        print(f"plaintrail {args.command}: {error}", file=sys.stderr)
        return exits.USAGE
    except KeyboardInterrupt:
        print("interrupted: every batch saved so far is kept; rerun to record the rest", file=sys.stderr)
        return exits.INTERRUPTED
    except Exception as error:  # a bug or a broken store: never 1, which means "some lines rejected"
        return exits.internal_error(args.command, error, settings.home)


if __name__ == "__main__":
    sys.exit(main())
