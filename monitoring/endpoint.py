"""The metrics port: /metrics (Prometheus text), /healthz and /readyz (200 or 503, a line of JSON).

A thread of the process it watches, on loopback unless told otherwise: the numbers are about a bank's
complaints, not for the whole network.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from monitoring.health import Health
from monitoring.metrics import Sample, registry
from plaintrail.settings import Settings


def watch(settings: Settings, role: str, port: int | None, health: Health,
          own: Sample | None = None) -> ThreadingHTTPServer | None:
    """The metrics port of a `role` process, when one is asked for (--metrics-port or PLAINTRAIL_METRICS_PORT)."""
    chosen = settings.metrics_at(port)
    if chosen is None:
        return None
    return serve(chosen, registry(settings, role, own), health, settings.metrics_host, role)


def serve(port: int, registry: CollectorRegistry, health: Health, host: str = "127.0.0.1",
          name: str = "plaintrail") -> ThreadingHTTPServer:
    """Start answering on host:port (0: any free port) in a daemon thread; says where on stderr."""

    class Answer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server name)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self.send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif path in ("/healthz", "/readyz"):
                good, reason = health.alive() if path == "/healthz" else health.readiness()
                body = json.dumps({"status": "ok" if good else "failing", "reason": reason, "process": name})
                self.send(200 if good else 503, body.encode() + b"\n", "application/json")
            else:
                self.send(404, b"not found: try /metrics, /healthz or /readyz\n", "text/plain")

        def send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # scrapes every 15 s are not news
            return

    server = ThreadingHTTPServer((host, port), Answer)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    bound_host, bound_port = str(server.server_address[0]), server.server_address[1]
    print(f"plaintrail {name}: metrics on http://{bound_host}:{bound_port}/metrics (health: /healthz, /readyz)",
          file=sys.stderr, flush=True)
    return server
