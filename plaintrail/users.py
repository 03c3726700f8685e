"""Dashboard users: bcrypt-hashed passwords in HOME/users.yaml, in streamlit-authenticator's format.

The file also carries each user's role and unit (the scope), and the cookie key, made at random
when the file is first written. Hashing is bcrypt, as streamlit-authenticator checks it: no home-made crypto.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import yaml

from projections.access import ROLES, Viewer

DEMO_USERS = (  # (user, password, role, unit): printed by `make demo` and in the README
    ("manager", "plaintrail-manager", "management", None),
    ("pudong", "plaintrail-pudong", "branch", None),
    ("auditor", "plaintrail-auditor", "audit", None),
    ("hr", "plaintrail-hr", "hr", None),
    ("admin", "plaintrail-admin", "admin", None),
)


def users_path(home: Path) -> Path:
    return home / "users.yaml"


def load(home: Path) -> dict[str, Any]:
    path = users_path(home)
    if path.exists():
        config: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    else:
        config = {}
    config.setdefault("cookie", {"name": "plaintrail", "key": secrets.token_hex(32), "expiry_days": 1})
    config.setdefault("credentials", {"usernames": {}})
    config.setdefault("scopes", {})
    return config


def add(home: Path, user: str, password: str, role: str, unit: str | None = None, name: str = "") -> None:
    import bcrypt  # the hash streamlit-authenticator checks at login (its own Hasher is bcrypt too)

    Viewer(user, role, unit)  # validates role and unit
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    config = load(home)
    config["credentials"]["usernames"][user] = {
        "name": name or user, "email": f"{user}@plaintrail.invalid",
        "password": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode(),
        "roles": [role],
    }
    config["scopes"][user] = {"role": role, "unit": unit}
    home.mkdir(parents=True, exist_ok=True)
    path = users_path(home)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)


def viewer(home: Path, user: str) -> Viewer:
    scope = load(home)["scopes"].get(user)
    if scope is None:
        raise LookupError(f"no dashboard user {user}")
    return Viewer(user, scope["role"], scope.get("unit"))


__all__ = ["DEMO_USERS", "ROLES", "add", "load", "viewer"]
