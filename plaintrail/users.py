"""Dashboard users: bcrypt-hashed passwords in HOME/users.yaml, in streamlit-authenticator's format.

The file also carries each user's role and unit (the scope), and the cookie key, made at random
when the file is first written. Hashing is bcrypt, as streamlit-authenticator checks it: no home-made crypto.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
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
    # A new password ends the user's sessions: each remembers the stamp it logged in under (dashboard/app.py).
    config["scopes"][user] = {"role": role, "unit": unit, "password_changed": datetime.now(UTC).isoformat()}
    home.mkdir(parents=True, exist_ok=True)
    path = users_path(home)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=True), encoding="utf-8")
    path.chmod(0o600)


def password_changed(config: dict[str, Any], user: str) -> str | None:
    """When the user's password was last set (ISO 8601), None for a file written before this was kept."""
    scope = config["scopes"].get(user) or {}
    return scope.get("password_changed")


def cookie_still_good(config: dict[str, Any], token: dict[str, Any]) -> bool:
    """Whether a re-login cookie was issued after the user's password was last set (a change ends sessions)."""
    changed = password_changed(config, str(token.get("username")))
    if changed is None:
        return True
    issued = float(token["exp_date"]) - float(config["cookie"]["expiry_days"]) * 86_400
    return issued >= datetime.fromisoformat(changed).timestamp()


def viewer(home: Path, user: str) -> Viewer:
    scope = load(home)["scopes"].get(user)
    if scope is None:
        raise LookupError(f"no dashboard user {user}")
    return Viewer(user, scope["role"], scope.get("unit"))


__all__ = ["DEMO_USERS", "ROLES", "add", "cookie_still_good", "load", "password_changed", "viewer"]
