"""`plaintrail org load FILE`: record the organisation (units, people, dated roles) as events."""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from domain.organisation import OrganisationSpec
from plaintrail.output import print_json
from plaintrail.settings import Settings
from plaintrail.wiring import open_log


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    org = sub.add_parser("org", help="the organisation: units, people and their dated roles")
    org_sub = org.add_subparsers(dest="org_command", metavar="SUBCOMMAND", required=True)
    load = org_sub.add_parser(
        "load", help="load an organisation file (YAML); records only what changed",
        description="Load units and people with dated roles from a YAML file. Loading the same file "
        "again records nothing; a changed file records the differences as new events.")
    load.add_argument("file", type=Path)
    load.add_argument("--json", action="store_true", help="print the result as JSON")
    load.set_defaults(func=load_org)


def load_org(args: argparse.Namespace, settings: Settings) -> int:
    try:
        data = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{args.file} is not valid YAML: {error}") from None
    spec = OrganisationSpec.parse(data or {})
    changes = open_log(settings).load_organisation(spec)
    result = {"units": len(spec.units), "people": len(spec.people), "changes": changes}
    if args.json:
        print_json(result)
    else:
        print(f"organisation: {result['units']} units, {result['people']} people, {changes} changes recorded")
    return 0
