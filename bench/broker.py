"""A throwaway Kafka broker for a benchmark: started by infra/kafka.sh in a temp folder, stopped by its PID."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "infra" / "kafka.sh"


@contextmanager
def kafka_broker(prefix: str) -> Iterator[tuple[Path, str]]:
    """(a work folder, the broker's bootstrap address) while the broker runs."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    bootstrap = subprocess.run([str(SCRIPT), "start", str(work)], check=True, capture_output=True,
                               text=True).stdout.strip().splitlines()[-1]
    try:
        yield work, bootstrap
    finally:
        subprocess.run([str(SCRIPT), "stop", str(work)], check=False)


def create_topic(work: Path, topic: str, partitions: int) -> None:
    subprocess.run([str(SCRIPT), "topic", str(work), topic, str(partitions)], check=True)
