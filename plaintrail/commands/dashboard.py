"""`plaintrail dashboard`: serve the Streamlit dashboard on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from monitoring.health import Health
from plaintrail.settings import Settings

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("dashboard", help="serve the dashboard on 127.0.0.1",
                            description="Run the Streamlit dashboard on loopback for this --home; Ctrl-C stops it.")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1", help="listen address (default loopback only)")
    parser.add_argument("--metrics-port", type=int, metavar="PORT",
                        help="also answer /metrics (Prometheus), /healthz and /readyz on this port, on "
                        "PLAINTRAIL_METRICS_HOST (default 127.0.0.1); default $PLAINTRAIL_METRICS_PORT, else none")
    parser.set_defaults(func=run)


def command(settings: Settings, port: int, address: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", address,
            "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--client.disableDataExport", "true"]


def run(args: argparse.Namespace, settings: Settings) -> int:
    env = dict(os.environ, PLAINTRAIL_HOME=str(settings.home.resolve()))
    port = settings.metrics_at(args.metrics_port)  # a bad PLAINTRAIL_METRICS_PORT is refused before anything starts
    print(f"dashboard: http://{args.address}:{args.port}  (home {settings.home}; Ctrl-C stops it)", flush=True)
    cmd = command(settings, args.port, args.address)
    if port is None:
        os.execve(cmd[0], cmd, env)  # become Streamlit: signals (Ctrl-C, SIGTERM) reach the server itself
    return watched(settings, cmd, env, port, args.address, args.port)


def watched(settings: Settings, cmd: list[str], env: dict[str, str], port: int, address: str, web: int) -> int:
    """Streamlit as a child, watched from here: /metrics (the home's sample and whether Streamlit answers its
    own health check), /healthz (the child runs), /readyz (Streamlit says ok). SIGTERM and Ctrl-C are passed on."""
    from monitoring.endpoint import serve
    from monitoring.metrics import dashboard_sample, registry

    child = subprocess.Popen(cmd, env=env)
    health = DashboardHealth(child, f"http://{'127.0.0.1' if address == '0.0.0.0' else address}:{web}")
    server = serve(port, registry(settings, "dashboard", dashboard_sample(health.answers)), health,
                   settings.metrics_host, "dashboard")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _: child.send_signal(number))
    try:
        return child.wait()
    finally:
        server.shutdown()


class DashboardHealth(Health):
    """Alive while Streamlit runs; ready when it answers its own /_stcore/health."""

    def __init__(self, child: subprocess.Popen[bytes], url: str) -> None:
        super().__init__()
        self.child, self.url = child, url

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def alive(self) -> tuple[bool, str]:
        code = self.child.poll()
        return (True, "ok") if code is None else (False, f"Streamlit exited with status {code}")

    def readiness(self) -> tuple[bool, str]:
        alive, why = self.alive()
        if not alive:
            return False, why
        return (True, "ok") if self.answers() else (False, "Streamlit does not answer /_stcore/health yet")
