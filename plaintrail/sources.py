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

from domain.actions import ACTION_NAMES

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
    """CSV with the contract's column names; empty cells mean 'not given'."""
    for row in csv_rows(stream, starts_record=_names_an_action):
        yield row if row.data is None else Row(row.line, row.raw, data={k: v for k, v in row.data.items() if v})


def _names_an_action(record: dict[str, str]) -> bool:
    return record.get("action", "").strip() in ACTION_NAMES


def csv_rows(stream: IO[bytes], lenient: bool = False,
             starts_record: Callable[[dict[str, str]], bool] | None = None) -> Iterator[Row]:
    """One `Row` per CSV record, its cells (stripped) by column name, or the reason it was rejected.

    Records are assembled from the bounded physical lines, so an oversized line is skipped without being
    held whole. A quoted field may span lines, but a quote that is never closed must not swallow the rows
    after it: while a field is open, a line that reads as a whole record by itself (the header's number of
    cells, and `starts_record` says yes) ends the damaged record, which is rejected, and starts the next.
    `lenient` is for exports written by other systems: a short record's missing trailing cells read as
    empty, and bytes that are not UTF-8 as U+FFFD.
    """
    header: list[str] | None = None
    unusable = ""  # why the header cannot be used, if it cannot

    def is_record(cells: list[str] | None) -> bool:
        assert header is not None
        return (len(header) > 1 and cells is not None and len(cells) == len(header)
                and (starts_record is None or starts_record(dict(zip(header, cells, strict=True)))))

    def ends_damage(record: _OpenRecord, text: str) -> bool:
        """A line that is a record by itself ends an open record, unless it closes the open field as CSV
        closes one (the quote followed by a comma or the line's end) into a whole record: the last line of
        a multi-line text may look like a record, but a following row's own quotes do not close that way."""
        return is_record(_cells_alone(text)) and not (
            not _ends_inside_quotes(text, True) and record.size + len(text) <= MAX_LINE_BYTES
            and is_record(_cells_strictly(record.text() + text)))

    open_record: _OpenRecord | None = None
    for number, text, too_long in _text_lines(stream):
        if too_long:
            if open_record is not None:
                yield open_record.unclosed(f"line {number} is too long to belong to it")
                open_record = None
            yield Row(number, text, error=f"line is longer than {MAX_LINE_BYTES} bytes")
            continue
        if number == 1:
            text = text.removeprefix("\ufeff")
        if header is None:
            if text.strip():
                header, unusable = _header(number, text)
            continue
        if unusable:
            if text.strip():
                yield Row(number, _shown(text.rstrip("\r\n")), error=f"no usable header: {unusable}")
            continue
        if open_record is not None:
            if ends_damage(open_record, text):
                yield open_record.unclosed(f"line {number} is a record of its own")
                open_record = None
            else:
                open_record.add(text)
                if not open_record.inside:
                    yield from _record(header, open_record.line, open_record.text(), lenient, open_record.error(),
                                       last=open_record.last)
                    open_record = None
                continue
        if '"' in text and _ends_inside_quotes(text, False):
            open_record = _OpenRecord(number, text)
        elif text.strip():
            yield from _record(header, number, text, lenient)
    if open_record is not None:
        yield open_record.unclosed("the file ends first")


def _text_lines(stream: IO[bytes]) -> Iterator[tuple[int, str, bool]]:
    """(number, text, too_long); bytes that are not UTF-8 are kept as surrogates, to be told apart later."""
    for number, (raw, too_long) in enumerate(_lines(stream), start=1):
        if too_long or len(raw) > MAX_LINE_BYTES:
            yield number, raw[:200].decode("utf-8", "replace") + "...", True
        else:
            yield number, raw.decode("utf-8", errors="surrogateescape"), False


def _header(number: int, text: str) -> tuple[list[str], str]:
    cells = _cells_alone(text)
    if cells is None:
        return [], f"the header (line {number}) is not a whole CSV record (a quote never closed, or malformed)"
    header = [h.strip() for h in cells]
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    return header, f"the header names {', '.join(repeated)} more than once" if repeated else ""


def _ends_inside_quotes(text: str, inside: bool) -> bool:
    """Whether a quoted field is still open at the end of this line, by the csv module's own rules: a
    quote opens a field only as its first character; inside one, "" is a quote and a lone " closes it
    (anything after the close, up to the next comma, is plain text)."""
    i, at_start = 0, not inside
    while i < len(text):
        if inside:
            close = text.find('"', i)
            if close < 0:
                return True
            if text.startswith('"', close + 1):
                i = close + 2
                continue
            inside, at_start, i = False, False, close + 1
        elif at_start and text[i] == '"':
            inside, i = True, i + 1
        else:
            comma = text.find(",", i)
            if comma < 0:
                return False
            at_start, i = True, comma + 1
    return inside


def _cells_alone(text: str) -> list[str] | None:
    """The cells of a line read as a whole record by itself, or None if it is not one."""
    if '"' in text and _ends_inside_quotes(text, False):
        return None
    try:
        return next(csv.reader((text,)), [])
    except csv.Error:
        return None


def _cells_strictly(text: str) -> list[str] | None:
    """The cells of text that is exactly one record by strict CSV rules, or None."""
    try:
        records = list(csv.reader((text,), strict=True))
    except csv.Error:
        return None
    return records[0] if len(records) == 1 else None


class _OpenRecord:
    """A record whose quoted field is still open; its text is held up to MAX_LINE_BYTES."""

    def __init__(self, line: int, text: str) -> None:
        self.line, self.last, self.parts, self.size, self.inside = line, line, [text], len(text), True

    def add(self, text: str) -> None:
        self.last += 1
        self.size += len(text)
        if self.size <= MAX_LINE_BYTES:
            self.parts.append(text)
        self.inside = _ends_inside_quotes(text, True)

    def text(self) -> str:
        return "".join(self.parts)

    def error(self) -> str | None:
        return f"record (lines {self.line}-{self.last}) is longer than {MAX_LINE_BYTES} bytes" \
            if self.size > MAX_LINE_BYTES else None

    def unclosed(self, why: str) -> Row:
        span = f"; lines {self.line}-{self.last} rejected as one record" if self.last > self.line else ""
        return Row(self.line, _shown(self.text()).rstrip("\r\n"),
                   error=f"malformed CSV: the quote opened on line {self.line} is never closed ({why}){span}")


def _shown(text: str) -> str:
    """Text as it can be written to the rejects file: undecodable bytes as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _record(header: list[str], line: int, text: str, lenient: bool, error: str | None = None,
            last: int | None = None) -> Iterator[Row]:
    """The record on `line` (to `last`, when a quoted field spans lines: then it must be strict CSV, a
    quote closed where it is followed by a comma, or it is taken for a quote that went wrong)."""
    raw = text.rstrip("\r\n")
    if error:
        yield Row(line, _shown(raw), error=error)
        return
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as bad:
            if not lenient:
                yield Row(line, _shown(raw), error=f"not valid UTF-8 (character {bad.start})")
                return
            text = raw = _shown(text)
    if '"' not in raw and "\r" not in raw:
        cells = raw.split(",")  # what csv reads from a line without quotes, at a fraction of the cost
    else:
        try:
            records = list(csv.reader((text,), strict=last is not None))
        except csv.Error as problem:
            spans = "" if last is None else f" (lines {line}-{last} read as one record: a quote that never closed?)"
            yield Row(line, raw, error=f"malformed CSV: {problem}{spans}")
            return
        if len(records) != 1:
            yield Row(line, raw, error="malformed CSV: not one record")
            return
        cells = records[0]
    if len(cells) > len(header) or (len(cells) < len(header) and not lenient):
        if any(c.strip() for c in cells):
            yield Row(line, raw, error=f"has {len(cells)} cells, the header has {len(header)}")
        return
    cells += [""] * (len(header) - len(cells))
    data = {k: v.strip() for k, v in zip(header, cells, strict=True)}
    if any(data.values()):
        yield Row(line, raw, data=data)


READERS: dict[str, Callable[[IO[bytes]], Iterator[Row]]] = {"jsonl": read_jsonl, "csv": read_csv}


def guess_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() not in (".gz",)]
    return "csv" if suffixes and suffixes[-1] == ".csv" else "jsonl"
