"""A throwaway Kafka broker for a benchmark: started by infra/kafka.sh in a temp folder, stopped by its PID."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "kafka.sh"


@contextmanager
def kafka_broker(prefix: str) -> Iterator[tuple[Path, str]]:
    """(a work folder, the broker's bootstrap address) while the broker runs; the folder (the broker's log and
    any copies a bench made: 17 GB after the national bank) is removed afterwards unless PLAINTRAIL_BENCH_KEEP=1."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        bootstrap = subprocess.run([str(SCRIPT), "start", str(work)], check=True, capture_output=True,
                                   text=True).stdout.strip().splitlines()[-1]
        try:
            yield work, bootstrap
        finally:
            subprocess.run([str(SCRIPT), "stop", str(work)], check=False)
    finally:
        if os.environ.get("PLAINTRAIL_BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def create_topic(work: Path, topic: str, partitions: int) -> None:
    subprocess.run([str(SCRIPT), "topic", str(work), topic, str(partitions)], check=True)
