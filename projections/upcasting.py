"""Old stored events read by new code: the eventsourcing library's upcasters, applied where it is not.

Stored events are never rewritten (the Merkle tree hashes their bytes). When an event class changes its
fields it says so with the library's mechanism: `class_version = N` on the class and a static method
`upcast_vK_vK+1(state)` for each step, which edits the stored state dict in place. The library applies
them when it rebuilds an aggregate (`repository.get`); the projections read stored states themselves,
straight to plain JSON (envelope.decode), so they apply the same methods here, from the class the topic
names. One set of upcasters thus serves the aggregates, the rebuild's folds and the Kafka envelopes.

An upcaster sees the library's typed values (datetime, Decimal) on the aggregate's path and plain JSON
(ISO text, decimal strings) on this one: write it to add, rename or drop keys with plain defaults
(a string, a number, None), which read the same on both paths.
"""

from __future__ import annotations

import contextlib
from typing import Any

from eventsourcing.utils import TopicError, resolve_topic

VERSION_KEY = "class_version"  # where the library keeps a stored event's version (absent: version 1)
OWN_MODULES = ("domain.",)  # topics looked up here: a damaged or forged row must not make a fold import anything


class StoredByNewerRelease(ValueError):
    """An event recorded by a later release than the code reading it: its meaning may have changed, so it is
    refused (`verify` lists it) rather than folded as if it were today's."""


_known: dict[str, tuple[Any, int]] = {}  # topic -> (class or None, its version): asked for every event decoded


def _lookup(topic: str) -> tuple[Any, int]:
    """The class a stored topic names and its version, once per topic and process (a release is a process:
    the library's lookup takes a lock, and a class attribute missing from a long MRO is slow to find)."""
    found = _known.get(topic)
    if found is None:
        cls = None
        if topic.startswith(OWN_MODULES):
            with contextlib.suppress(TopicError, ImportError, AttributeError):
                cls = resolve_topic(topic)
        found = _known[topic] = (cls, int(getattr(cls, VERSION_KEY, 1)))
    return found


def event_class(topic: str) -> Any:
    """The class a stored topic names; None when no code of ours names it."""
    return _lookup(topic)[0]


def current_version(topic: str) -> int:
    return _lookup(topic)[1]


def upcast(topic: str, state: dict[str, Any]) -> dict[str, Any]:
    """`state` (a stored event's state, `class_version` included if it was stored) as today's class has it."""
    stored = state.pop(VERSION_KEY, 1)
    cls, current = _lookup(topic)
    if stored > current:
        raise StoredByNewerRelease(f"{topic.rsplit(':', 1)[-1]} was stored as version {stored}; this release "
                                   f"reads up to version {current}: upgrade plaintrail to read it")
    while stored < current:
        getattr(cls, f"upcast_v{stored}_v{stored + 1}")(state)
        stored += 1
    return state
