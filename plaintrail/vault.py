"""Crypto-shredding: personal fields encrypted per customer, with keys kept apart from the events.

The event store keeps only ciphertext. Each customer reference has its own AES-GCM key in a separate
key store (HOME/keys/vault.sqlite, or PLAINTRAIL_VAULT_PATH). `forget` destroys the key: the events
stay unchanged (so `verify`, scores and rankings still hold) but their personal fields can never be
read again.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from plaintrail.settings import Settings
from projections.store import SqlStore

ERASED = "erased"


class Vault(SqlStore):
    def create(self) -> None:
        self.connection.execute("CREATE TABLE IF NOT EXISTS customer_keys (customer_ref TEXT PRIMARY KEY, "
                                "key TEXT NOT NULL, created_at TEXT NOT NULL)")

    def _key(self, customer_ref: str, create: bool) -> bytes | None:
        rows = self.query("SELECT key FROM customer_keys WHERE customer_ref = ?", (customer_ref,))
        if rows:
            return base64.b64decode(rows[0][0])
        if not create:
            return None
        key = AESGCM.generate_key(bit_length=256)
        with self.transaction() as cursor:
            self.execute(cursor, "INSERT INTO customer_keys (customer_ref, key, created_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (customer_ref) DO NOTHING",
                         (customer_ref, base64.b64encode(key).decode(), datetime.now(UTC).isoformat()))
        return self._key(customer_ref, create=False)

    def seal(self, customer_ref: str, personal: dict[str, str]) -> dict[str, Any]:
        """The form an event keeps: which fields there were, and their ciphertext under the customer's key."""
        key = self._key(customer_ref, create=True)
        assert key is not None
        nonce = os.urandom(12)
        plain = json.dumps(personal, ensure_ascii=False, sort_keys=True).encode()
        sealed = AESGCM(key).encrypt(nonce, plain, customer_ref.encode())
        return {"customer_ref": customer_ref, "fields": sorted(personal),
                "ciphertext": base64.b64encode(nonce + sealed).decode()}

    def open(self, sealed: dict[str, Any]) -> dict[str, str]:
        """The personal fields, or each marked erased once the customer was forgotten."""
        key = self._key(sealed["customer_ref"], create=False)
        if key is None:
            return dict.fromkeys(sealed["fields"], ERASED)
        raw = base64.b64decode(sealed["ciphertext"])
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], sealed["customer_ref"].encode())
        result: dict[str, str] = json.loads(plain)
        return result

    def forget(self, customer_ref: str) -> bool:
        """Destroy the customer's key; True if there was one."""
        with self.transaction() as cursor:
            cursor.execute(self.sql("DELETE FROM customer_keys WHERE customer_ref = ?"), (customer_ref,))
            gone = cursor.rowcount > 0
        if self.dialect == "sqlite":
            self.connection.execute("VACUUM")  # no copy of the key left in free pages ...
            self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # ... or in the write-ahead log
        return bool(gone)


def open_vault(settings: Settings) -> Vault:
    path = Path(os.environ.get("PLAINTRAIL_VAULT_PATH") or settings.home / "keys" / "vault.sqlite")
    vault = Vault.sqlite(path)
    path.chmod(0o600)
    return vault
