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
    "dashboard", "kafka", "transport", "forget", "indicators", "hot", "report", "staff", "publish", "access_log",
    "status",
]
HOME_HELP = "data directory (default: $PLAINTRAIL_HOME or ./var); before or after the command"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="plaintrail", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Event-sourced complaint audit and performance scoring for banks.",
        epilog="settings:\n"
        "  --home or PLAINTRAIL_HOME (default ./var) holds the SQLite stores\n"
        "  PLAINTRAIL_DATABASE_URL=postgresql://... selects PostgreSQL\n"
        "  PLAINTRAIL_KAFKA_BOOTSTRAP turns on Kafka mode; PLAINTRAIL_KAFKA_WAIT (seconds, default 30) is how\n"
        "    long a `--once` relay, worker or intake waits for the broker before exiting 69\n"
        "  PLAINTRAIL_TIMEZONE is the bank's time zone (default Asia/Shanghai)\n"
        "  an action's `at` must lie from PLAINTRAIL_EARLIEST_AT (default 2000-01-01T00:00:00Z)\n"
        "    to PLAINTRAIL_LATEST_AHEAD days after now (default 1)\n"
        "  PLAINTRAIL_CHECKPOINT_KEY_FILE is the key that signs checkpoints (default HOME/keys/checkpoint.key)\n\n"
        + exits.EPILOG,
    )
    parser.add_argument("--home", help=HOME_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"plaintrail.commands.{name}").register(sub)
    home_anywhere(parser)
    return parser


def home_anywhere(parser: argparse.ArgumentParser, seen: set[int] | None = None) -> None:
    """`plaintrail report ... --home DIR` as well as `plaintrail --home DIR report ...`: every (sub)command
    takes --home too; SUPPRESS leaves the value given before the command alone when none comes after."""
    seen = set() if seen is None else seen
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                if id(child) not in seen:
                    seen.add(id(child))
                    child.add_argument("--home", default=argparse.SUPPRESS, help=HOME_HELP)
                    home_anywhere(child, seen)


# Options whose empty value would be taken for "not given": a script's unset variable (`--as-of "$T"`) would then get
# today's answer for a past one, or everyone's for one person's. Refused instead.
NOT_EMPTY = ("as_of", "at", "since", "within", "user", "action", "person", "size", "unit", "by", "csv", "xlsx")


def empty_option(args: argparse.Namespace) -> str | None:
    """What to say of the first option in NOT_EMPTY given an empty (or blank) value, if any."""
    for dest in NOT_EMPTY:
        value = getattr(args, dest, None)
        if isinstance(value, str) and not value.strip():
            option = "--" + dest.replace("_", "-")
            return f"{option} was given an empty value: give one, or leave {option} out"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (slip := empty_option(args)) is not None:
        print(f"plaintrail {args.command}: {slip}", file=sys.stderr)
        return exits.USAGE
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
