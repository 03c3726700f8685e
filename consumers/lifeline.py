"""A child process that dies with its parent: a rebuild's folding processes must not outlive it.

A parent killed with SIGKILL runs no clean-up, and its children would go on folding, then block for
ever writing their results into a queue nobody reads. On Linux the kernel kills them when the parent
dies (prctl PR_SET_PDEATHSIG); elsewhere, or if that call fails, a watchdog thread notices that the
parent is gone (the child was handed to another process) and ends the child itself.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
WATCH_EVERY = 0.5  # seconds between the watchdog's looks at the parent


def die_with(parent: int) -> None:
    """Call first thing in a child process started by `parent` (its pid)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog below still stands
    if os.getppid() != parent:  # the parent died before the call above: nobody waits for this child
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        threading.Event().wait(WATCH_EVERY)
    os._exit(1)
