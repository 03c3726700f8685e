#!/usr/bin/env python3
"""Back up a plaintrail home while it runs: every SQLite database through SQLite's online backup API, the rest
(the keys above all) as files. Standard library only.

    python tools/backup_home.py HOME BACKUP_DIR

Each database is copied page by page inside a read transaction, so the copy is consistent even while an
import, intake or a worker writes to it (a plain `cp` of a database being written, or of its -wal file
alone, may not be). Lock files, WAL/journal side files and rejects are left out. BACKUP_DIR must not exist.
Restoring is copying BACKUP_DIR to where the home should be (with every plaintrail process stopped), then
`plaintrail checkpoint` and `plaintrail verify`. The databases are copied one after another, in an order that
leaves each copy at most behind the ones it follows: the Merkle tree, then the read models, then the events,
then the key vault. Events recorded while the copies ran are then in the copied event store but not yet in
the copied tree: `plaintrail checkpoint` extends the tree over them (verify says "not covered" until then),
and the read models fold them at the next command.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

SKIPPED_SUFFIXES = (".lock", "-lock", "-wal", "-shm", "-journal")
SKIPPED_FOLDERS = ("rejects",)
# Copied first, in this order: a tree or read models copied after the events could name events the copy
# lacks (verify: "deleted"); copied before, they only lag behind it, which the next command makes good.
FIRST = ("integrity.sqlite", "readmodels.sqlite", "events.sqlite")
POINTER = "readmodels.live"  # names the live read-model version (projections/versions.py); others are left out


def rank(path: Path) -> tuple[int, str]:
    """Copy order: the tree, the read models (readmodels-vN.sqlite after a rebuild), the events, the rest."""
    name = "readmodels.sqlite" if path.name.startswith("readmodels") else path.name
    return (FIRST.index(name) if name in FIRST else len(FIRST)), str(path)


def not_live(home: Path, path: Path) -> bool:
    """A read-model version other than the live one: an old one being dropped, or one a killed rebuild left."""
    if path.parent != home or not path.name.startswith("readmodels") or not path.name.endswith(".sqlite"):
        return False
    try:
        live = (home / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        live = "readmodels.sqlite"
    return path.name != live


def is_database(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(16) == b"SQLite format 3\x00"


def back_up(home: Path, target: Path) -> list[Path]:
    """Copy `home` into `target` (created); returns the files written, relative to `target`."""
    if not (home / "events.sqlite").is_file() and not (home / "keys").is_dir():
        raise SystemExit(f"{home} is not a plaintrail home (no events.sqlite, no keys/)")
    target.mkdir(parents=True)
    files = [p for p in home.rglob("*") if p.is_file() and not p.name.endswith(SKIPPED_SUFFIXES)
             and p.relative_to(home).parts[0] not in SKIPPED_FOLDERS and not not_live(home, p)]
    files.sort(key=rank)
    written = []
    for source in files:
        relative = source.relative_to(home)
        copy = target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        if is_database(source):
            with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as old, \
                    closing(sqlite3.connect(copy)) as new:
                old.backup(new)
        else:
            shutil.copy2(source, copy)
        copy.chmod(source.stat().st_mode & 0o777)  # the keys stay readable by their owner only
        written.append(relative)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    home, target = Path(argv[0]), Path(argv[1])
    if target.exists():
        print(f"{target} exists: give a new directory", file=sys.stderr)
        return 2
    written = back_up(home, target)
    print(f"backed up {len(written)} files of {home} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
