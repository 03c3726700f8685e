"""`plaintrail demo-data`: write a believable demo bank (organisation + a year of actions)."""

from __future__ import annotations

import argparse
from pathlib import Path

from plaintrail.demo_bank import write
from plaintrail.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "demo-data", help="write a demo bank's organisation file and actions file",
        description="A Shanghai-like branch with sub-branches and outlets of different quality, staff with dated "
        "roles, and a year of complaints on every path (regulator transfers, escalations, mediation, callbacks, "
        "validations, compensation, public opinion, withdrawals, reopenings, corrections). Deterministic per seed; "
        "load it with `plaintrail org load DIR/bank.yaml` and `plaintrail import DIR/actions.jsonl`.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--outlets", type=int, default=470, help="outlets (ICBC Shanghai has about 470)")
    parser.add_argument("--months", type=int, default=12, help="months of complaints from January (1-12)")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--per-outlet", type=float, default=8.0, help="complaints per outlet per year, on average")
    parser.add_argument("--out", type=Path, default=Path("demo-bank"), help="folder to write (default ./demo-bank)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.outlets < 1:
        raise ValueError("--outlets must be at least 1")
    org, actions, count = write(args.out, args.seed, args.outlets, args.months, args.year, args.per_outlet)
    print(f"wrote {org} ({args.outlets} outlets) and {actions} ({count:,} actions)")
    return 0
