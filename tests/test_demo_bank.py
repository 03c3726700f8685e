"""The demo bank is deterministic, imports without a single reject, and tells a story worth ranking."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from domain.periods import Period
from plaintrail.cli import main
from plaintrail.commands.leaderboard import leaderboard
from plaintrail.demo_bank import write
from plaintrail.settings import Settings


def test_same_seed_same_bank_other_seed_other_bank(tmp_path: Path) -> None:
    a = write(tmp_path / "a", seed=3, outlets=40, months=2)
    b = write(tmp_path / "b", seed=3, outlets=40, months=2)
    c = write(tmp_path / "c", seed=4, outlets=40, months=2)
    assert a[1].read_bytes() == b[1].read_bytes() and a[0].read_bytes() == b[0].read_bytes()
    assert a[1].read_bytes() != c[1].read_bytes()


def test_demo_bank_imports_cleanly_and_covers_every_path(tmp_path: Path) -> None:
    org, actions, count = write(tmp_path / "data", seed=1, outlets=60, months=12)
    home = str(tmp_path / "home")
    assert main(["--home", home, "org", "load", str(org)]) == 0
    assert main(["--home", home, "import", str(actions)]) == 0  # 0 = nothing rejected
    kinds = Counter(json.loads(line)["action"] for line in actions.read_text(encoding="utf-8").splitlines())
    assert sum(kinds.values()) == count
    for action in ("received", "assigned", "contacted", "handled", "feedback", "closed", "callback", "validated",
                   "escalated", "withdrawn", "reopened", "compensated", "annulled", "extended",
                   "responsibility_assigned", "appealed", "appeal_decided", "rewarded"):
        assert kinds[action] > 0, action
    rows = leaderboard(Settings(home=Path(home)), Period.parse("2024"), "outlet")
    complaints = sorted(r["complaints"] for r in rows)
    assert complaints[-1] >= 3 * max(1, complaints[len(complaints) // 2])  # some outlets are much worse
    assert any(r["list"] == "black" for r in rows) and any(r["list"] == "red" for r in rows)
    assessed(home)


def assessed(home: str) -> None:
    """Every part of the assessment has something to show: departments, rewards, notices, appeals, grades."""
    def run(*argv: str) -> Any:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["--home", home, *argv, "--json"]) == 0
        return json.loads(out.getvalue())

    people = run("scores", "--period", "2024")
    rules = Counter(e["rule"].rsplit(".", 1)[0] if e["rule"].startswith("fine.") else e["rule"]
                    for p in people for e in p["entries"])
    assert rules["accountability.person"] and rules["reward.person"] and rules["fine"]
    assert any(p["overturned"] for p in people) and {p["grade"] for p in people} >= {"A", "C", "D"}
    units = run("scores", "--period", "2024", "--units")
    assert {u["unit"] for u in units if u["kind"] == "department"} == {"D-RETAIL", "D-CARD", "D-OPS", "D-ONLINE"}
    appeals = run("sla", "--period", "2024", "--appeals")
    assert {a["decision"] for a in appeals} == {"pending", "upheld", "overturned"}
