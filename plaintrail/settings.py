"""Settings from the command line and the environment, the only place that reads them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None = None
    kafka_bootstrap: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    kafka_api_version: str = "0.9"
    kafka_topic_prefix: str = ""  # several banks or environments on one cluster: "bankA." -> "bankA.complaint-events"

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        return cls(
            home=Path(home or os.environ.get("PLAINTRAIL_HOME") or "./var"),
            database_url=os.environ.get("PLAINTRAIL_DATABASE_URL") or None,
            kafka_bootstrap=os.environ.get("PLAINTRAIL_KAFKA_BOOTSTRAP") or None,
            timezone=os.environ.get("PLAINTRAIL_TIMEZONE") or DEFAULT_TIMEZONE,
            kafka_api_version=os.environ.get("PLAINTRAIL_KAFKA_API_VERSION") or "0.9",
            kafka_topic_prefix=os.environ.get("PLAINTRAIL_KAFKA_TOPIC_PREFIX") or "",
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def event_store_env(self) -> dict[str, str]:
        """The eventsourcing library's settings: SQLite under home, or PostgreSQL from the URL; either way
        with the recorder that keeps `action_id` unique across the store (plaintrail/action_ids.py)."""
        if self.database_url:
            url = urlparse(self.database_url)
            if url.scheme not in ("postgres", "postgresql"):
                raise ValueError(f"PLAINTRAIL_DATABASE_URL must be postgresql://..., not {url.scheme}://")
            return {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_DBNAME": url.path.lstrip("/") or "plaintrail",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "APPLICATION_RECORDER_TOPIC": "plaintrail.action_ids:PostgresActionIndexRecorder",
            }
        self.home.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.home / "events.sqlite"),
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "plaintrail.action_ids:SQLiteActionIndexRecorder",
        }
