"""Building a read-model version beside the live one, and making it live (projections/versions.py).

What a version holds that no event gives back is carried over to the new one just before the switch:
the home's transport and the positions of other sources (Kafka workers' offsets per partition). The new
version has by then folded the log up to its head, so every message below a carried offset is already in
it; messages above are folded by the workers, which skip what it already holds by version.
"""

from __future__ import annotations

from dataclasses import replace

from consumers.local import SOURCE
from consumers.replay import Stores
from projections import versions
from projections.runner import PROJECTION, UPSERT_TRACKING
from projections.store import TABLES, ReadModelStore

OWN_TABLES = (*TABLES, "readmodel_transport")


def all_versions(stores: Stores, live: ReadModelStore) -> list[str]:
    if stores.postgres:
        return versions.schema_versions(live.connection)
    return versions.sqlite_versions(stores.home)


def beside(stores: Stores, live: ReadModelStore) -> Stores:
    """A new, empty version next to the live one, after removing any a killed rebuild left behind.
    The caller holds the rebuild lock."""
    for name in all_versions(stores, live):
        if name != live.version:
            remove(stores, live, name)
    number = max([versions.number(n) for n in all_versions(stores, live)] + [versions.number(live.version)]) + 1
    name = f"readmodels_v{number}" if stores.postgres else f"readmodels-v{number}.sqlite"
    return replace(stores, version=name)


def carry_over(live: ReadModelStore, fresh: ReadModelStore) -> None:
    """The home's transport and every position but the log's (which the new version has of its own)."""
    from projections import transport

    source = transport.recorded(live)
    rows = [r for r in live.query("SELECT projection, source, partition, position FROM tracking")
            if (r[0], r[1]) != (PROJECTION, SOURCE)]
    if source is not None:
        transport.record(fresh, source)
    with fresh.transaction() as cursor:
        fresh.executemany(cursor, UPSERT_TRACKING, rows)


def make_live(stores: Stores, live: ReadModelStore, name: str) -> None:
    if stores.postgres:
        versions.switch_schema(live.connection, name)
    else:
        versions.switch_file(stores.home, name)


def remove(stores: Stores, live: ReadModelStore, name: str) -> None:
    if stores.postgres:
        versions.remove_schema_version(live.connection, name, OWN_TABLES)
    else:
        versions.remove_file_version(stores.home, name)
