"""Dead letters: a message a consumer cannot use goes to its dead-letter topic and the consumer goes on.

A letter carries the reason and where the message lies (topic, partition, offset), so nothing is
dropped silently and the original can always be read again from its own topic. A letter keeps the
original's bytes up to `KEPT_BYTES`: letters stay well under the broker's message size limit (1 MB by
default), so a huge poison message cannot make its own letter fail.

Only the message can be at fault, never the machinery: a database or broker failure is raised, the
consumer stops, and its restart reads the same messages again (`infrastructure`).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

KEPT_BYTES = 256 * 1024  # of the original, in a letter


def letter(message: Any, reason: str) -> bytes:
    """The letter for `message`: the reason, where it came from and (up to KEPT_BYTES of) its bytes."""
    value = message.value or b""
    kept = value[:KEPT_BYTES]
    return json.dumps({
        "reason": reason, "topic": message.topic, "partition": message.partition, "offset": message.offset,
        "key": message.key.decode("utf-8", "replace") if message.key else None,
        "tombstone": message.value is None, "size": len(value), "truncated": len(kept) < len(value),
        "original_base64": base64.b64encode(kept).decode(),
        "original_text": kept[:10_000].decode("utf-8", "replace"),
    }, ensure_ascii=False).encode()


def dead_letter(producer: Any, topic: str, message: Any, reason: str) -> None:
    """Send the letter and wait for the broker to store it: only then may the consumer move past it."""
    producer.send(topic, key=message.key, value=letter(message, reason)).get(timeout=30)


def infrastructure(error: BaseException) -> bool:
    """True when `error` is the database's, the broker's or the machine's, not the message's: never a
    reason to dead-letter (the message would be lost to a passing outage)."""
    from eventsourcing.persistence import DataError, PersistenceError
    from kafka.errors import KafkaError

    kinds: tuple[type[BaseException], ...] = (PersistenceError, KafkaError, sqlite3.Error, OSError, MemoryError)
    data: tuple[type[BaseException], ...] = (DataError, sqlite3.DataError)  # a value the database refuses
    try:
        import psycopg

        kinds += (psycopg.Error,)
        data += (psycopg.DataError,)
    except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only installs may lack it
        pass
    return isinstance(error, kinds) and not isinstance(error, data)


def why(error: BaseException) -> str:
    """A reason for a letter from an unexpected error: its kind and message."""
    if isinstance(error, RecursionError):
        return "nested too deeply to read"
    return f"{type(error).__name__}: {error}"
