"""Settings from the command line and the environment, the only place that reads them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse
from zoneinfo import ZoneInfo

from domain.dates import AHEAD, EARLIEST, Window, parse_instant

DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str | None = None
    kafka_bootstrap: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    kafka_api_version: str = "0.9"
    kafka_topic_prefix: str = ""  # several banks or environments on one cluster: "bankA." -> "bankA.complaint-events"
    earliest_at: str = ""  # PLAINTRAIL_EARLIEST_AT: the earliest `at` accepted (default 2000-01-01T00:00:00Z)
    latest_ahead: str = ""  # PLAINTRAIL_LATEST_AHEAD: days after now the latest `at` may lie (default 1)
    checkpoint_key_file: Path | None = None  # the Ed25519 key that signs checkpoints; default HOME/keys/checkpoint.key
    metrics_port: str = ""  # PLAINTRAIL_METRICS_PORT: where relay/worker/intake/dashboard answer /metrics ("": nowhere)
    metrics_host: str = "127.0.0.1"  # PLAINTRAIL_METRICS_HOST: loopback unless an operator opens it up
    kafka_wait: str = ""  # PLAINTRAIL_KAFKA_WAIT: seconds `--once` waits for a partition (default 30)

    @classmethod
    def from_env(cls, home: str | os.PathLike[str] | None = None) -> Settings:
        return cls(
            home=Path(home or os.environ.get("PLAINTRAIL_HOME") or "./var"),
            database_url=os.environ.get("PLAINTRAIL_DATABASE_URL") or None,
            kafka_bootstrap=os.environ.get("PLAINTRAIL_KAFKA_BOOTSTRAP") or None,
            timezone=os.environ.get("PLAINTRAIL_TIMEZONE") or DEFAULT_TIMEZONE,
            kafka_api_version=os.environ.get("PLAINTRAIL_KAFKA_API_VERSION") or "0.9",
            kafka_topic_prefix=os.environ.get("PLAINTRAIL_KAFKA_TOPIC_PREFIX") or "",
            earliest_at=os.environ.get("PLAINTRAIL_EARLIEST_AT") or "",
            latest_ahead=os.environ.get("PLAINTRAIL_LATEST_AHEAD") or "",
            checkpoint_key_file=Path(os.environ["PLAINTRAIL_CHECKPOINT_KEY_FILE"])
            if os.environ.get("PLAINTRAIL_CHECKPOINT_KEY_FILE") else None,
            metrics_port=os.environ.get("PLAINTRAIL_METRICS_PORT") or "",
            metrics_host=os.environ.get("PLAINTRAIL_METRICS_HOST") or "127.0.0.1",
            kafka_wait=os.environ.get("PLAINTRAIL_KAFKA_WAIT") or "",
        )

    def once_wait_s(self, default: float) -> float:
        """PLAINTRAIL_KAFKA_WAIT as seconds; a value that is not a positive number is refused, not guessed."""
        if not self.kafka_wait:
            return default
        try:
            seconds = float(self.kafka_wait)
        except ValueError:
            seconds = float("nan")
        if not 0 < seconds < 86_400 * 365:
            raise ValueError(f"PLAINTRAIL_KAFKA_WAIT={self.kafka_wait!r}: give the seconds to wait, a number > 0")
        return seconds

    def at_window(self) -> Callable[[], Window]:
        """The plausible window of `at`, asked for at each batch: its end moves with the clock.

        Raises ValueError for a setting that is not a date-time (or a date) and a number of days."""
        earliest = EARLIEST
        if self.earliest_at:
            text = self.earliest_at.strip()
            try:
                earliest = parse_instant(f"{text}T00:00:00Z" if len(text) == 10 else text)
            except ValueError as error:
                raise ValueError(f"PLAINTRAIL_EARLIEST_AT: {error}") from None
        ahead = AHEAD
        if self.latest_ahead:
            try:
                ahead = timedelta(days=float(self.latest_ahead))
            except (ValueError, OverflowError):
                raise ValueError(f"PLAINTRAIL_LATEST_AHEAD must be a number of days, not {self.latest_ahead!r}"
                                 ) from None
        return lambda: Window.plausible(datetime.now(UTC), earliest, ahead)

    def metrics_at(self, port: int | None = None) -> int | None:
        """The metrics port asked for (`port` from the command line wins; 0: any free port), or None.

        Raises ValueError for a PLAINTRAIL_METRICS_PORT that is not a port number."""
        if port is not None:
            chosen = port
        elif not self.metrics_port:
            return None
        else:
            try:
                chosen = int(self.metrics_port)
            except ValueError:
                raise ValueError(f"PLAINTRAIL_METRICS_PORT must be a port number, not {self.metrics_port!r}") from None
        if not 0 <= chosen <= 65535:
            raise ValueError(f"the metrics port must lie from 0 to 65535, not {chosen}")
        return chosen

    @property
    def checkpoint_key(self) -> Path:
        """Apart from the data: a path of its own, or HOME/keys/ (not in any database)."""
        return self.checkpoint_key_file or self.home / "keys" / "checkpoint.key"

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
