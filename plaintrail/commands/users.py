"""`plaintrail users add|demo|list`: who may log in to the dashboard, with which role and scope."""

from __future__ import annotations

import argparse
import getpass

from plaintrail import users
from plaintrail.output import print_table
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_read_models


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("users", help="dashboard users: add, demo set, list",
                            description="Manage dashboard logins (bcrypt hashes in HOME/users.yaml).")
    actions = parser.add_subparsers(dest="users_action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add or replace a user")
    add.add_argument("user")
    add.add_argument("--role", required=True, choices=users.ROLES)
    add.add_argument("--unit", help="for role branch: the unit whose subtree the user sees")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--password", help="the password (default: asked on the terminal)")
    add.set_defaults(func=run_add)
    demo = actions.add_parser("demo", help="the demo users with the passwords the README gives")
    demo.add_argument("--unit", help="scope of the demo branch user (default: the first sub-branch)")
    demo.set_defaults(func=run_demo)
    listing = actions.add_parser("list", help="users, roles and scopes (never passwords)")
    listing.set_defaults(func=run_list)


def run_add(args: argparse.Namespace, settings: Settings) -> int:
    password = args.password or getpass.getpass(f"password for {args.user}: ")
    users.add(settings.home, args.user, password, args.role, args.unit, args.name)
    print(f"user {args.user} ({args.role}{' of ' + args.unit if args.unit else ''}) saved in {settings.home}")
    return 0


def first_sub_branch(settings: Settings) -> str:
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store)
        rows = store.query("SELECT unit FROM org_units WHERE kind IN ('sub_branch', 'branch') "
                           "ORDER BY CASE kind WHEN 'sub_branch' THEN 0 ELSE 1 END, unit LIMIT 1")
    finally:
        store.close()
    if not rows:
        raise LookupError("load an organisation first (plaintrail org load FILE): the branch user needs a unit")
    return str(rows[0][0])


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    unit = args.unit or first_sub_branch(settings)
    for user, password, role, _ in users.DEMO_USERS:
        users.add(settings.home, user, password, role, unit if role == "branch" else None)
    print_table([{"user": u, "password": p, "role": r, "unit": unit if r == "branch" else ""}
                 for u, p, r, _ in users.DEMO_USERS], ["user", "password", "role", "unit"])
    return 0


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    scopes = users.load(settings.home)["scopes"]
    print_table([{"user": u, **s} for u, s in sorted(scopes.items())], ["user", "role", "unit"])
    return 0
