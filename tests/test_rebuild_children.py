"""kill -9 of a rebuild takes its folding processes with it, and the next catch-up rebuilds to the right answer
(issue 14, part 5); with blue/green (issue 22) the live version is never touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from kafka_stand_ins import read_models

from bench.synthetic import write_bank
from domain.actions import parse_action
from domain.organisation import OrganisationSpec
from plaintrail.settings import Settings
from plaintrail.wiring import catch_up, open_log, open_read_models, rebuild
from projections.versions import live_file, sqlite_versions

ROOT = Path(__file__).resolve().parents[1]
# The real `plaintrail rebuild`, split into two folding processes however small the log.
REBUILD = ("import sys; import consumers.replay as replay; replay.ALONE_BELOW = 0; "
           "from plaintrail.cli import main; sys.exit(main(['rebuild', '--workers', '2']))")


def children_of(pid: int) -> set[int]:
    """The folding processes `pid` spawned (not multiprocessing's resource tracker)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def folding(pid: int) -> bool:
    """The child is past its start: besides its main thread it runs the watchdog it starts before folding
    (consumers/lifeline.py), so its parent's death is already its own."""
    try:
        return len(os.listdir(f"/proc/{pid}/task")) >= 2
    except OSError:
        return False


def test_kill_9_of_a_rebuild_takes_its_children_and_the_next_catch_up_is_right(tmp_path: Path) -> None:
    org, actions, _ = write_bank(tmp_path / "bank", complaints=1_000, seed=5, outlet_count=20)
    settings = Settings(home=tmp_path / "home")
    log = open_log(settings)
    log.load_organisation(OrganisationSpec.parse(yaml.safe_load(org.read_text(encoding="utf-8"))))
    lines = actions.read_text(encoding="utf-8").splitlines()
    assert not log.record((n, parse_action(json.loads(line))) for n, line in enumerate(lines)).rejected
    catch_up(settings, log=log)
    expected = read_models(settings)

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINTRAIL_")}
    env.update(PLAINTRAIL_HOME=str(settings.home), PYTHONPATH=str(ROOT))
    children: set[int] = set()
    for _ in range(5):  # a small log may be folded before both children are seen folding: start it again
        parent = subprocess.Popen([sys.executable, "-c", REBUILD], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and parent.poll() is None:
            children = children_of(parent.pid)
            if len(children) >= 2 and all(folding(c) for c in children):
                break
            time.sleep(0.002)
        if parent.poll() is None and len(children) >= 2:
            break
        parent.wait(timeout=60)
    assert parent.poll() is None and len(children) >= 2, "the rebuild never had two folding processes"
    for child in children:  # stand for children that would never finish by themselves (a reader gone away)
        os.kill(child, signal.SIGSTOP)
    parent.send_signal(signal.SIGKILL)
    parent.wait(timeout=30)
    gone_by = time.monotonic() + 5
    while time.monotonic() < gone_by and any(alive(c) for c in children):
        time.sleep(0.05)
    survivors = [c for c in children if alive(c)]
    for child in survivors:  # clean up before failing, never leave them behind
        os.kill(child, signal.SIGKILL)
    assert not survivors, f"rebuild processes outlived their parent: {survivors}"

    assert read_models(settings) == expected  # the live version never saw the rebuild (blue/green)
    abandoned = [name for name in sqlite_versions(settings.home) if name != live_file(settings.home)]
    assert abandoned, "the killed rebuild left no version of its own beside the live one"
    check = open_read_models(settings)
    try:
        assert check.meta("rebuild") != "under way"
    finally:
        check.close()
    assert catch_up(settings) == 0  # nothing to fold again: the live version was right all along
    assert read_models(settings) == expected
    assert rebuild(settings).events == log.recorder.max_notification_id()  # the next rebuild: every event once
    assert read_models(settings) == expected
    assert sqlite_versions(settings.home) == [live_file(settings.home)], "the abandoned version was not removed"


def test_the_watchdog_ends_a_child_whose_parent_died_where_the_kernel_would_not() -> None:
    """Without PR_SET_PDEATHSIG (not Linux, or the call failed) the child's watchdog notices it was orphaned."""
    child = ("import ctypes, os, time\nimport consumers.lifeline as lifeline\n"
             "def refused(*args, **kwargs):\n    raise OSError('no prctl here')\n"
             "lifeline.ctypes.CDLL = refused\nlifeline.die_with(os.getppid())\nprint('watching', flush=True)\n"
             "time.sleep(60)\n")
    parent = ("import subprocess, sys, time\n"
              f"child = subprocess.Popen([sys.executable, '-c', {child!r}], stdout=subprocess.PIPE, text=True)\n"
              "assert child.stdout.readline().strip() == 'watching'\nprint(child.pid, flush=True)\ntime.sleep(60)\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = subprocess.Popen([sys.executable, "-c", parent], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert started.stdout is not None
    orphan = int(started.stdout.readline())
    assert alive(orphan)
    started.send_signal(signal.SIGKILL)
    started.wait(timeout=30)
    gone_by = time.monotonic() + 5
    while time.monotonic() < gone_by and alive(orphan):
        time.sleep(0.05)
    if alive(orphan):
        os.kill(orphan, signal.SIGKILL)
        raise AssertionError("the orphaned child outlived its parent by 5 s")
