"""Each dashboard page's first render on the demo bank (Streamlit's AppTest), goal < 2 s a page.

    python -m bench.dashboard_bench [--outlets 470]

Builds the demo bank once under a temp dir, then for each page: a fresh session logs in and the page
renders for the first time (caches cold), timed; the login's own run is measured as the baseline.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from plaintrail.cli import main as cli

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
PAGES = ("views/redblack.py", "views/timeline.py", "views/scores.py", "views/sla.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=470)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="plaintrail-dash-"))
    home = str(work / "home")
    cli(["demo-data", "--outlets", str(args.outlets), "--out", str(work / "data")])
    cli(["--home", home, "org", "load", str(work / "data" / "bank.yaml")])
    cli(["--home", home, "import", str(work / "data" / "actions.jsonl")])
    cli(["--home", home, "users", "demo"])
    os.environ["PLAINTRAIL_HOME"] = home
    for page in PAGES:
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=120).run()
        at.text_input[0].input("manager")
        at.text_input[1].input("plaintrail-manager")
        started = time.perf_counter()
        at.button[0].click().run()
        login = time.perf_counter() - started
        started = time.perf_counter()
        at.switch_page(page).run()
        took = time.perf_counter() - started
        verdict = "met" if took < 2 else "NOT met"
        print(f"{page:22} first render {took * 1000:6.0f} ms (login + default page {login * 1000:5.0f} ms); "
              f"goal < 2000 ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
