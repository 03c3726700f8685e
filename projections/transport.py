"""Which transport keeps a home's read models: the embedded runner (the event log) or Kafka workers (a topic).

The two count the same events under different tracking positions, so a read model folded by both
counts every event twice. The store records its transport, named by the source it follows ("log",
or the events topic), the first time anything folds it, and every folder checks it before folding.
The record lives in a table of its own that a rebuild or a schema change does not drop: it belongs
to the home, not to the read models' contents. Only `plaintrail transport` changes it.
"""

from __future__ import annotations

import weakref

from projections.runner import PROJECTION
from projections.store import ReadModelStore

EMBEDDED = "log"  # the embedded runner's source (consumers.local.SOURCE)
_made: weakref.WeakSet[ReadModelStore] = weakref.WeakSet()  # stores whose connection made sure of the table


class WrongTransport(ValueError):
    """This folder would fold read models that another transport keeps."""


def describe(source: str) -> str:
    return "the embedded runner (every command folds the event log)" if source == EMBEDDED else \
        f"Kafka workers (`plaintrail worker`, topic {source})"


def _table(store: ReadModelStore) -> None:
    if store in _made:
        return
    try:
        store.connection.execute("CREATE TABLE IF NOT EXISTS readmodel_transport "
                                 "(one INTEGER PRIMARY KEY CHECK (one = 1), source TEXT NOT NULL)")
    except Exception:  # PostgreSQL: two processes creating it at once, one of them is told it exists
        store.query("SELECT source FROM readmodel_transport")  # raises unless the other one made it
    _made.add(store)


def _stored(store: ReadModelStore) -> str | None:
    _table(store)
    rows = store.query("SELECT source FROM readmodel_transport")
    return str(rows[0][0]) if rows else None


def recorded(store: ReadModelStore) -> str | None:
    """The transport recorded for this home; for a home folded before it was recorded, the one source its
    tracking rows follow; None for a home nothing has folded yet."""
    stored = _stored(store)
    if stored is not None:
        return stored
    sources = {str(s) for (s,) in store.query("SELECT DISTINCT source FROM tracking WHERE projection = ?",
                                              (PROJECTION,))}
    if len(sources) > 1:
        raise WrongTransport(f"this home's read models were folded by several transports ({', '.join(sorted(sources))}"
                             "): choose one with `plaintrail transport embedded|kafka`, which rebuilds them")
    return sources.pop() if sources else None


def recorded_or_none(store: ReadModelStore) -> str | None:
    """`recorded`, with a home folded by several transports taken as none (switching repairs it)."""
    try:
        return recorded(store)
    except WrongTransport:
        return None


def record(store: ReadModelStore, source: str) -> None:
    """Make `source` this home's transport (a switch: the caller brings the read models in line)."""
    _table(store)
    with store.transaction() as cursor:
        store.execute(cursor, "INSERT INTO readmodel_transport (one, source) VALUES (1, ?) "
                      "ON CONFLICT (one) DO UPDATE SET source = excluded.source", (source,))


def claim(store: ReadModelStore, source: str) -> None:
    """Before folding from `source`: record it if this home has none yet, or refuse if it has another.
    Two first claims at once (a worker and a query on a new home): the first recorded wins, the other refuses."""
    current = _stored(store)
    if current is None:
        found = recorded(store)  # a home folded before homes recorded it keeps the transport that folded it
        with store.transaction() as cursor:
            store.execute(cursor, "INSERT INTO readmodel_transport (one, source) VALUES (1, ?) ON CONFLICT (one) "
                          "DO NOTHING", (found or source,))
            current = str(store.execute(cursor, "SELECT source FROM readmodel_transport").fetchone()[0])
    if current != source:
        target = "embedded" if source == EMBEDDED else "kafka"
        raise WrongTransport(
            f"this home's read models are kept by {describe(current)}; folding them by {describe(source)} "
            f"too would count every event twice. Stop the other transport's runners and run "
            f"`plaintrail transport {target}` to switch")
