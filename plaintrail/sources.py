"""Readers of action files: each yields one `Row` per line, already parsed or with the reason it can't be.

Reading is streamed line by line in binary, so a 100 MB file never sits in memory and one bad byte
sequence spoils only its own line.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

MAX_LINE_BYTES = 1 << 20  # one action is a few hundred bytes; a megabyte line is an attack or an accident


@dataclass(frozen=True)
class Row:
    line: int
    raw: str
    data: dict[str, Any] | None = None
    error: str | None = None


def _decode(raw: bytes) -> tuple[str, str | None]:
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return raw.decode("utf-8", errors="replace"), f"not valid UTF-8 (byte {error.start})"


def _lines(stream: IO[bytes]) -> Iterator[tuple[bytes, bool]]:
    """(line, too_long) with memory bounded by MAX_LINE_BYTES: the rest of an oversized line is skipped
    in chunks, never held whole (a 100 MB line costs a megabyte)."""
    while raw := stream.readline(MAX_LINE_BYTES + 1):
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield raw, True
        else:
            yield raw, False


def read_jsonl(stream: IO[bytes]) -> Iterator[Row]:
    for number, (raw, too_long) in enumerate(_lines(stream), start=1):
        if too_long or len(raw) > MAX_LINE_BYTES:
            yield Row(number, raw[:200].decode("utf-8", "replace") + "...",
                      error=f"line is longer than {MAX_LINE_BYTES} bytes")
            continue
        text, problem = _decode(raw.rstrip(b"\r\n"))
        if problem:
            yield Row(number, text, error=problem)
            continue
        if not text.strip():
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        try:
            data = orjson.loads(text)  # strict JSON (no NaN), and several times faster than json
        except (ValueError, RecursionError) as error:
            yield Row(number, text, error=f"malformed JSON: {error}")
            continue
        if not isinstance(data, dict):
            yield Row(number, text, error=f"an action must be a JSON object, not {type(data).__name__}")
            continue
        yield Row(number, text, data=data)


def read_csv(stream: IO[bytes]) -> Iterator[Row]:
    """CSV with the contract's column names; empty cells mean 'not given'.

    Physical lines come from the same bounded reader as JSON Lines, so an oversized line (or an
    unterminated quote in one) is skipped without ever being held whole.
    """
    oversized: list[tuple[int, str]] = []

    def lines() -> Iterator[str]:
        for number, (raw, too_long) in enumerate(_lines(stream), start=1):
            if too_long or len(raw) > MAX_LINE_BYTES:
                oversized.append((number, raw[:200].decode("utf-8", "replace") + "..."))
                yield "\n"  # a blank row in its place: the reader skips it, the reject is reported below
                continue
            text = raw.decode("utf-8", errors="surrogateescape")
            yield text.removeprefix("\ufeff") if number == 1 else text

    yield from _csv_rows(csv.reader(lines()), oversized)


def _csv_rows(reader: Any, oversized: list[tuple[int, str]]) -> Iterator[Row]:
    def skipped(upto: int) -> Iterator[Row]:
        while oversized and oversized[0][0] <= upto:
            number, preview = oversized.pop(0)
            yield Row(number, preview, error=f"line is longer than {MAX_LINE_BYTES} bytes")

    try:
        header = next(reader)
    except StopIteration:
        yield from skipped(reader.line_num)
        return
    header = [h.strip() for h in header]
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            yield from skipped(reader.line_num)
            return
        except csv.Error as error:
            yield from skipped(reader.line_num)
            number, start = start, reader.line_num + 1
            yield Row(number, "", error=f"malformed CSV: {error}")
            continue
        yield from skipped(reader.line_num)
        number, start = start, reader.line_num + 1
        raw = ",".join(cells)
        if not any(c.strip() for c in cells):
            continue
        if any("\udc80" <= ch <= "\udcff" for c in cells for ch in c):
            yield Row(number, raw.encode("utf-8", "replace").decode(), error="not valid UTF-8")
            continue
        if len(cells) != len(header):
            yield Row(number, raw, error=f"has {len(cells)} cells, the header has {len(header)}")
            continue
        data = {k: v.strip() for k, v in zip(header, cells, strict=True) if v.strip() != ""}
        yield Row(number, raw, data=data)


READERS: dict[str, Callable[[IO[bytes]], Iterator[Row]]] = {"jsonl": read_jsonl, "csv": read_csv}


def guess_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz",)]
    return "csv" if suffixes and suffixes[-1] == ".csv" else "jsonl"
