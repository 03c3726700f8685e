"""`plaintrail dashboard`: serve the Streamlit dashboard on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from plaintrail.settings import Settings

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("dashboard", help="serve the dashboard on 127.0.0.1",
                            description="Run the Streamlit dashboard on loopback for this --home; Ctrl-C stops it.")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1", help="listen address (default loopback only)")
    parser.set_defaults(func=run)


def command(settings: Settings, port: int, address: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", address,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--client.disableDataExport", "true"]


def run(args: argparse.Namespace, settings: Settings) -> int:
    env = dict(os.environ, PLAINTRAIL_HOME=str(settings.home.resolve()))
    print(f"dashboard: http://{args.address}:{args.port}  (home {settings.home}; Ctrl-C stops it)", flush=True)
    cmd = command(settings, args.port, args.address)
    os.execve(cmd[0], cmd, env)  # become Streamlit: signals (Ctrl-C, SIGTERM) reach the server itself
    return 0  # not reached
