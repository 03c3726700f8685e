"""Exit statuses, one meaning each, so a script can tell "some lines rejected" from "plaintrail broke".

An unexpected error is reported in one line; its traceback goes to HOME/logs/errors.log (and to
stderr with PLAINTRAIL_DEBUG=1), never mixed up with the statuses users act on.
"""

from __future__ import annotations

import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

OK = 0
PROBLEMS = 1  # import: some lines rejected; verify: the record was altered or events could not be folded
USAGE = 2  # bad usage or input, something not found, or refused (e.g. a rebuild already under way)
UNAVAILABLE = 69  # a `--once` Kafka command found no broker to work with (BSD sysexits' EX_UNAVAILABLE)
INTERNAL = 70  # an unexpected error inside plaintrail (BSD sysexits' EX_SOFTWARE)
INTERRUPTED = 130  # Ctrl-C / SIGINT: what was saved is kept

EPILOG = f"""exit status:
  {OK:<4}done
  {PROBLEMS:<4}some lines rejected (import), or problems found (verify)
  {USAGE:<4}bad usage or input, not found, or refused (e.g. a rebuild already under way)
  {UNAVAILABLE:<4}unavailable: `worker --once` or `intake --once` was given nothing to read, or
      `relay --once` had nothing acknowledged, within PLAINTRAIL_KAFKA_WAIT seconds (default 30)
  {INTERNAL:<4}internal error: one line on stderr, the traceback in HOME/logs/errors.log
      (on stderr with PLAINTRAIL_DEBUG=1)
  {INTERRUPTED:<4}interrupted (Ctrl-C): what was saved is kept"""


def internal_error(command: str, error: BaseException, home: Path) -> int:
    """Say in one line what broke and where the details are; return INTERNAL."""
    details = "".join(traceback.format_exception(error))
    if os.environ.get("PLAINTRAIL_DEBUG", "") not in ("", "0"):
        print(details, file=sys.stderr, end="")
        where = "traceback above"
    else:
        where = _log(home, command, details)
    summary = str(error).splitlines()[0][:300] if str(error) else ""
    print(f"plaintrail {command}: internal error: {type(error).__name__}"
          f"{': ' + summary if summary else ''} ({where})", file=sys.stderr)
    return INTERNAL


def _log(home: Path, command: str, details: str) -> str:
    log = home / "logs" / "errors.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as file:
            file.write(f"--- {datetime.now(UTC).isoformat()} plaintrail {command} (pid {os.getpid()})\n{details}")
    except OSError:
        return "rerun with PLAINTRAIL_DEBUG=1 for the traceback"
    return f"traceback in {log}; PLAINTRAIL_DEBUG=1 prints it"
