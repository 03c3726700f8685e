"""Tamper evidence: a hash chain over the notification log, sealed with a keyed MAC.

Each link hashes the previous link and the stored event's canonical bytes (position, aggregate,
version, type and the exact stored state), so altering, deleting, inserting or reordering any stored
event changes every later link. A seal is an HMAC of a link made with a key kept outside the event
store: whoever can rewrite the database and the links still cannot forge a seal.
"""

from __future__ import annotations

import hashlib
import hmac

GENESIS = b"\x00" * 32


def link(previous: bytes, notification_id: int, originator_id: str, version: int, topic: str, state: bytes) -> bytes:
    digest = hashlib.sha256(previous)
    digest.update(f"{notification_id}|{originator_id}|{version}|{topic}|".encode())
    digest.update(state)
    return digest.digest()


def seal(key: bytes, notification_id: int, head: bytes, sealed_at: str) -> str:
    message = f"{notification_id}|{head.hex()}|{sealed_at}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal_holds(key: bytes, notification_id: int, head: bytes, sealed_at: str, mac: str) -> bool:
    return hmac.compare_digest(seal(key, notification_id, head, sealed_at), mac)
