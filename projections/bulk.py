"""Bulk reads allocate tens of thousands of small objects that all stay alive until the answer is
built; the default collector thresholds then walk the whole heap over and over for nothing to free
(a third of a quarter's scoring time). Collections become rare, not off, while such a read runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def few_collections(young: int = 50_000) -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], young), before[1], max(before[2], 100))
    try:
        yield
    finally:
        gc.set_threshold(*before)
