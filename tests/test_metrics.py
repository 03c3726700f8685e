"""The metrics port (monitoring/): /metrics parsed with prometheus-client's own parser, /healthz and /readyz
saying what the loop last said, the settings refusing a bad port, and the Grafana dashboard drawing only
metrics that plaintrail exports."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitoring.endpoint import serve
from monitoring.health import Health
from monitoring.metrics import dashboard_sample, intake_sample, registry, relay_sample, worker_sample
from plaintrail.cli import main
from plaintrail.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def samples(text: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def small_home(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    assert main(["demo-data", "--seed", "4", "--outlets", "5", "--months", "2", "--out", str(home / "data")]) == 0
    assert main(["--home", str(home), "org", "load", str(home / "data" / "bank.yaml")]) == 0
    assert main(["--home", str(home), "import", str(home / "data" / "actions.jsonl")]) == 0
    return Settings(home=home)


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PLAINTRAIL_DATABASE_URL", "PLAINTRAIL_KAFKA_BOOTSTRAP", "PLAINTRAIL_METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_a_worker_registry_served_on_loopback_parses_and_health_follows_the_loop(tmp_path: Path) -> None:
    settings = small_home(tmp_path)
    worker = SimpleNamespace(folded=7, dead=2, projection="readmodels", dlq="complaint-events.dlq",
                             lag={("complaint-events", 0): (40, 3), ("complaint-events", 1): (12, 0)})
    health = Health(stale_after=0.5)
    server = serve(0, registry(settings, "worker", worker_sample(worker, "plaintrail-readmodels")), health)
    port = server.server_address[1]
    try:
        assert server.server_address[0] == "127.0.0.1"
        code, text = get(port, "/metrics")
        assert code == 200
        found = samples(text)
        assert found["plaintrail_events_folded_total"][0].value == 7
        assert found["plaintrail_dead_lettered_total"][0].labels == {"topic": "complaint-events.dlq"}
        lag = {s.labels["partition"]: s.value for s in found["plaintrail_consumer_lag"]}
        assert lag == {"0": 3, "1": 0}
        head = found["plaintrail_log_head"][0].value
        assert head > 100 and found["plaintrail_projection_position"][0].value == head  # the import caught up
        assert found["plaintrail_projection_lag"][0].value == 0
        assert found["plaintrail_checkpoint_size"][0].value == head
        assert found["plaintrail_store_up"][0].value == 1
        assert found["plaintrail_read_model_info"][0].labels["version"] == "readmodels.sqlite"
        assert "process_resident_memory_bytes" in found

        assert get(port, "/healthz")[0] == 200
        code, body = get(port, "/readyz")
        assert code == 503 and json.loads(body)["reason"] == "starting"
        health.beat(True)
        assert get(port, "/readyz")[0] == 200
        health.beat(False, "no partition of the topic assigned to this worker (yet)")
        code, body = get(port, "/readyz")
        assert code == 503 and "no partition" in json.loads(body)["reason"]
        time.sleep(0.7)  # the loop went quiet for longer than it may
        code, body = get(port, "/healthz")
        assert code == 503 and "has not gone round" in json.loads(body)["reason"]
        assert get(port, "/nothing")[0] == 404
    finally:
        server.shutdown()


def test_a_store_that_does_not_answer_is_a_zero_not_a_failed_scrape(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url="postgresql://nobody:x@127.0.0.1:1/nothing")
    server = serve(0, registry(settings, "relay", relay_sample({"events": 5}, "complaint-events")), Health())
    try:
        code, text = get(server.server_address[1], "/metrics")
    finally:
        server.shutdown()
    found = samples(text)
    assert code == 200 and found["plaintrail_store_up"][0].value == 0
    assert found["plaintrail_events_published_total"][0].value == 5


@pytest.mark.parametrize("value", ["eighty", "-1", "70000"])
def test_a_bad_metrics_port_is_refused_with_its_name(value: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="metrics port|PLAINTRAIL_METRICS_PORT"):
        Settings(home=tmp_path, metrics_port=value).metrics_at()
    assert Settings(home=tmp_path).metrics_at() is None
    assert Settings(home=tmp_path, metrics_port="9400").metrics_at() == 9400
    assert Settings(home=tmp_path, metrics_port="9400").metrics_at(0) == 0  # the command line wins


def test_the_grafana_dashboard_draws_only_metrics_plaintrail_exports(tmp_path: Path) -> None:
    settings = small_home(tmp_path)
    settings = replace(settings, kafka_bootstrap="127.0.0.1:1")  # the relay's gauges too
    worker = SimpleNamespace(folded=1, dead=0, projection="readmodels", dlq="d", lag={("t", 0): (1, 0)})
    intake = SimpleNamespace(accepted=1, duplicates=0, dead=0, topics=SimpleNamespace(actions_dlq="a"),
                             lag={("a", 0): (1, 0)})
    exported: set[str] = set()
    for role, own in (("worker", worker_sample(worker, "g")), ("intake", intake_sample(intake, "g")),
                      ("relay", relay_sample({"events": 1}, "t")), ("dashboard", dashboard_sample(lambda: True))):
        for family in registry(settings, role, own).collect():
            exported.update(sample.name for sample in family.samples)
    board = json.loads((ROOT / "infra" / "grafana-dashboard.json").read_text(encoding="utf-8"))
    drawn = {name for panel in board["panels"] for target in panel["targets"]
             for name in re.findall(r"\b((?:plaintrail|process)_[a-z_]+)\b", target["expr"])}
    assert len(board["panels"]) >= 10 and len(drawn) >= 15
    assert drawn <= exported, f"the dashboard draws metrics nothing exports: {sorted(drawn - exported)}"


def test_the_dashboard_with_a_metrics_port_is_ready_when_streamlit_answers(tmp_path: Path) -> None:
    settings = small_home(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        web = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAINTRAIL_")}
    env["PYTHONPATH"] = str(ROOT)
    dashboard = subprocess.Popen([sys.executable, "-m", "plaintrail.cli", "--home", str(settings.home), "dashboard",
                                  "--port", str(web), "--metrics-port", "0"], env=env, cwd=ROOT, text=True,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert dashboard.stderr is not None
        line = dashboard.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/metrics", line)
        assert found, line
        port = int(found.group(1))
        deadline = time.monotonic() + 90
        while get(port, "/readyz")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert get(port, "/readyz")[0] == 200 and get(port, "/healthz")[0] == 200
        scraped = samples(get(port, "/metrics")[1])
        assert scraped["plaintrail_dashboard_up"][0].value == 1
        assert scraped["plaintrail_log_head"][0].value > 100
    finally:
        dashboard.send_signal(signal.SIGTERM)  # passed on to Streamlit, which ends; then the parent
        dashboard.wait(timeout=60)
    assert dashboard.returncode is not None
