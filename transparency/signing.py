"""Signed checkpoints: Ed25519 over (size, root, time), so anyone holding the public key can check a tree head.

The private key is a PEM file kept apart from the data (HOME/keys/checkpoint.key, or a path from
PLAINTRAIL_CHECKPOINT_KEY_FILE); whoever can rewrite the database cannot sign for it. An HMAC seal could
only be checked by a holder of its key, who could as well forge it; a signature needs no such trust.
"""

from __future__ import annotations

import base64
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: str  # hex
    timestamp: str  # ISO 8601, UTC
    signature: str  # base64
    public_key: str  # hex of the raw 32 bytes

    def signed_text(self) -> bytes:
        return signed_text(self.size, self.root, self.timestamp)

    def holds(self, public_key: str | None = None) -> bool:
        """The signature is good, made by `public_key` (hex) when given, else by the key the checkpoint names."""
        try:
            key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key or self.public_key))
            key.verify(base64.b64decode(self.signature, validate=True), self.signed_text())
            return True
        except (InvalidSignature, ValueError):
            return False

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "origin": "plaintrail"}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Checkpoint:
        return cls(int(doc["size"]), str(doc["root"]), str(doc["timestamp"]), str(doc["signature"]),
                   str(doc["public_key"]))


def signed_text(size: int, root: str, timestamp: str) -> bytes:
    """Exactly what is signed (docs/transparency.md)."""
    return f"plaintrail checkpoint\n{size}\n{root}\n{timestamp}\n".encode()


def rotation_text(size: int, root: str, timestamp: str, new_public_key: str) -> bytes:
    """What the retiring key signs when it hands over (docs/transparency.md)."""
    return f"plaintrail key rotation\n{size}\n{root}\n{timestamp}\n{new_public_key}\n".encode()


def _verifies(public_key: str, signature: str, text: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(
            base64.b64decode(signature, validate=True), text)
        return True
    except (InvalidSignature, ValueError):
        return False


@dataclass(frozen=True)
class KeyRotation:
    """The retiring key's signed word that `new_public_key` signs from the tree of `size` leaves on: the old
    checkpoints stay checkable (by the old key, up to that size) and the new key is vouched for by the old."""

    size: int
    root: str
    timestamp: str
    old_public_key: str
    new_public_key: str
    signature: str  # by the old key, over rotation_text

    def holds(self) -> bool:
        return _verifies(self.old_public_key, self.signature,
                         rotation_text(self.size, self.root, self.timestamp, self.new_public_key))

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "origin": "plaintrail"}


def key_chain(current: str, rotations: list[KeyRotation]) -> tuple[dict[str, float], list[KeyRotation]]:
    """Which keys may have signed a checkpoint, and up to which size: the current key any, each key it took
    over from up to the size of its hand-over, back along the chain of rotations that hold. The rotations
    outside that chain (or that do not hold) are returned apart: verify reports them."""
    chain: dict[str, float] = {current: float("inf")}
    left = list(rotations)
    newest = current
    while True:
        step = next((r for r in left if r.new_public_key == newest and r.holds()
                     and r.old_public_key not in chain), None)
        if step is None:
            return chain, left
        chain[step.old_public_key] = step.size
        left.remove(step)
        newest = step.old_public_key


class SigningKey:
    """The log's Ed25519 key, read from (or first written to) its PEM file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def pending(self) -> Path:
        """The key of a first build under way: it becomes the key once the first checkpoint is written, so a
        build killed before that is taken up again, not mistaken for a tree deleted under its key."""
        return self.path.with_name(self.path.name + ".new")

    def begin(self) -> None:
        if self.pending.is_file():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        descriptor = os.open(self.pending, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())

    def commit(self) -> None:
        os.replace(self.pending, self.path)  # atomic: the key is there whole, or still pending

    @property
    def successor(self) -> Path:
        """The next key while a rotation is under way: it replaces the key once the hand-over is stored."""
        return self.path.with_name(self.path.name + ".next")

    def hand_over(self, size: int, root: str) -> KeyRotation:
        """Make the next key (or take up the one a killed rotation left) and sign the hand-over to it with this
        one; `retire` then puts it in place, once the hand-over is stored."""
        if not self.successor.is_file():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            descriptor = os.open(self.successor, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
        new = SigningKey(self.successor).public_hex()
        timestamp = datetime.now(UTC).isoformat(timespec="microseconds")
        signature = base64.b64encode(self._private().sign(rotation_text(size, root, timestamp, new))).decode()
        return KeyRotation(size, root, timestamp, self.public_hex(), new, signature)

    def retire(self) -> None:
        os.replace(self.successor, self.path)  # atomic: the old key is gone, the new one there whole

    def _private(self) -> Ed25519PrivateKey:
        path = self.path if self.path.is_file() else self.pending
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 key")
        return key

    def public_hex(self) -> str:
        return self._private().public_key().public_bytes(serialization.Encoding.Raw,
                                                         serialization.PublicFormat.Raw).hex()

    def sign(self, size: int, root: str) -> Checkpoint:
        timestamp = datetime.now(UTC).isoformat(timespec="microseconds")
        private = self._private()
        signature = base64.b64encode(private.sign(signed_text(size, root, timestamp))).decode()
        public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return Checkpoint(size, root, timestamp, signature, public.hex())
