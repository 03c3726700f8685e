"""Shared fixtures: a real PostgreSQL server for the session, a fresh database per test, and
`settings` parametrized over both event-store backends."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from plaintrail.settings import Settings

# Property tests explore the same cases on every run: CI stays deterministic.
hypothesis_settings.register_profile("plaintrail", derandomize=True, database=None)
hypothesis_settings.load_profile("plaintrail")

ROOT = Path(__file__).resolve().parents[1]
POSTGRES = ROOT / "infra" / "postgres.sh"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway server on 127.0.0.1 (infra/postgres.sh), stopped by its PID at the end. A server that
    cannot start fails the tests that need it: CI must prove both backends, never skip one."""
    folder = tempfile.mkdtemp(prefix="plaintrail-pg-")  # under /tmp: the server's own user can reach it
    try:
        done = subprocess.run([str(POSTGRES), "start", folder], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"PostgreSQL did not start: {done.stderr.strip()}")
        yield done.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(POSTGRES), "stop", folder], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's server, dropped afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    base = postgres_server.rsplit("/", 1)[0]
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{base}/{name}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A fresh home on SQLite, or the same with its events and read models in a fresh PostgreSQL database."""
    if request.param == "postgres":
        return Settings(home=tmp_path, database_url=request.getfixturevalue("postgres_url"))
    return Settings(home=tmp_path)


KAFKA = ROOT / "infra" / "kafka.sh"


class Broker:
    """The session's Kafka broker, with restart for fault tests."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.bootstrap = self.start()

    def start(self) -> str:
        done = subprocess.run([str(KAFKA), "start", self.folder], capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            pytest.fail(f"Kafka did not start: {done.stderr.strip()[-2000:]}")
        return done.stdout.strip().splitlines()[-1]

    def stop(self) -> None:
        subprocess.run([str(KAFKA), "stop", self.folder], capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Broker]:
    """ZooKeeper + Kafka 0.9 on 127.0.0.1 (infra/kafka.sh), stopped by PID at the end; failing, not skipping."""
    folder = tempfile.mkdtemp(prefix="plaintrail-kafka-")
    broker = Broker(folder)
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(folder, ignore_errors=True)
