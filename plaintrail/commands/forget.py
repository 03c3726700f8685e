"""`plaintrail forget CUSTOMER_REF` and `plaintrail retention`: erase personal data, keep the record."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta

from plaintrail.output import print_json, print_table
from plaintrail.settings import Settings
from plaintrail.vault import open_vault
from plaintrail.wiring import catch_up, open_log, open_read_models


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    forget = sub.add_parser("forget", help="destroy a customer's key: personal fields become unreadable",
                            description="Crypto-shredding: the events stay as they are (verify, scores and "
                            "rankings still hold); the customer's personal fields read as erased from now on.")
    forget.add_argument("customer_ref")
    forget.set_defaults(func=run_forget)
    retention = sub.add_parser("retention", help="complaints closed more than N years ago, for erasure",
                               description="List customers whose complaints all closed more than --years ago "
                               "(PBOC and the FCA keep files 3 years). --forget erases them.")
    retention.add_argument("--years", type=float, default=3.0)
    retention.add_argument("--forget", action="store_true", help="forget every customer listed")
    retention.add_argument("--json", action="store_true")
    retention.set_defaults(func=run_retention)


def run_forget(args: argparse.Namespace, settings: Settings) -> int:
    vault = open_vault(settings)
    try:
        existed = vault.forget(args.customer_ref)
    finally:
        vault.close()
    open_log(settings).record_access("cli", "admin", "customer.forget", args.customer_ref, {"had_key": existed})
    print(f"{args.customer_ref}: key destroyed" if existed else f"{args.customer_ref}: no personal data was held")
    return 0


def run_retention(args: argparse.Namespace, settings: Settings) -> int:
    cutoff = datetime.now(UTC) - timedelta(days=365.25 * args.years)
    store = open_read_models(settings)
    try:
        catch_up(settings, store=store)
        rows = store.query("SELECT state, facts FROM complaint_facts WHERE facts LIKE '%customer_ref%'")
    finally:
        store.close()
    due: dict[str, str] = {}
    still_open: set[str] = set()
    for state, text in rows:
        facts = json.loads(text)
        ref = facts.get("customer_ref")
        if not ref:
            continue
        if state not in ("closed", "withdrawn"):
            still_open.add(ref)
            continue
        ended = max(h["at"] for h in facts["history"].values() if h["action"] in ("closed", "withdrawn"))
        if datetime.fromisoformat(ended) < cutoff:
            due[ref] = max(due.get(ref, ""), ended)
    due = {r: at for r, at in due.items() if r not in still_open}
    listed: list[dict[str, object]] = [{"customer_ref": r, "last_closed": at} for r, at in sorted(due.items())]
    if args.forget:
        vault = open_vault(settings)
        try:
            for row in listed:
                row["forgotten"] = vault.forget(str(row["customer_ref"]))
        finally:
            vault.close()
    if args.json:
        print_json(listed)
    else:
        print_table(listed, ["customer_ref", "last_closed", "forgotten"] if args.forget else
                    ["customer_ref", "last_closed"])
    return 0
