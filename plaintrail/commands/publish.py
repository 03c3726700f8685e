"""`plaintrail publish --period P --level L [--within U]`: record the red/black list as posted (张榜)."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from domain.periods import Period
from domain.policy import Policy
from plaintrail.home import require_record
from plaintrail.output import print_json
from plaintrail.publication import publish
from plaintrail.settings import Settings
from projections.leaderboard import LEVELS


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "publish", help="record the red/black list as posted (张榜): who, when, policy version, N, digest, rows",
        description="Draw the board as `leaderboard` does (every event recorded so far) and record it as posted: "
        "an event with who published it, when, the policy version, N, the rows and a SHA-256 digest of them, in "
        "the Merkle tree like every event. `leaderboard --published` shows it; `--diff-published` what changed "
        "since and which events changed it. Publishing the same board again records a new posting.")
    parser.add_argument("--period", required=True, help="2024-03, 2024Q1 or 2024")
    parser.add_argument("--level", choices=LEVELS, required=True)
    parser.add_argument("--within", metavar="UNIT", help="the board of the units under UNIT")
    parser.add_argument("--size", help="list size N (default: the policy's for the level)")
    parser.add_argument("--policy", type=Path, help="the policy file whose [version.lists] draws the lists")
    parser.add_argument("--by", help="who publishes (default: the operating-system user)")
    parser.add_argument("--json", action="store_true", help="print the posting as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    require_record(settings)
    posting = publish(settings, Period.parse(args.period), args.level, args.by or getpass.getuser(), args.within,
                      args.size, Policy.load(args.policy) if args.policy else None)
    if args.json:
        print_json(posting)
        return 0
    print(f"published the {args.level.replace('_', '-')} list of {posting['period']}"
          + (f" within {posting['within']}" if posting["within"] else "")
          + f" (posting {posting['publication']}): {posting['units']} units, N = {posting['size']}, policy "
          f"{posting['policy_version']}, by {posting['published_by']} at {posting['published_at']}")
    print(f"digest {posting['digest']} (as of log position {posting['position']})")
    return 0
